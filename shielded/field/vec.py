"""Vector kernels over canonical uint32 arrays: base field and quartic extension.

Base vectors have shape (n,); extension vectors have shape (n, 4) (coefficients of 1, u, u^2,
u^3).  All inputs must be canonical; all outputs are canonical.  The scalar twins in
``koalabear`` and ``ext`` are the reference; tests compare the two on random inputs.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from shielded.errors import ParameterError
from shielded.field.ext import W, Ext
from shielded.field.koalabear import P
from shielded.field.mont import R2_MOD_P, R_MOD_P, madd, mmul, msub, to_mont_int, minv, to_mont, from_mont

DTYPE = np.uint32
_P = np.uint64(P)
_R2 = np.uint64(R2_MOD_P)
_WM = np.uint64(to_mont_int(W))


def as_field_array(values, what: str = "values") -> np.ndarray:
    """Convert ints / an array to a canonical uint32 array, raising ParameterError if out of range."""
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(arr.shape, DTYPE)
    if arr.dtype == DTYPE:
        if arr.size and int(arr.max()) >= P:
            raise ParameterError(f"{what}: elements must be < p")
        return arr
    if arr.dtype.kind not in "iuO" or (arr.size and (int(arr.min()) < 0 or int(arr.max()) >= P)):
        raise ParameterError(f"{what}: expected integers in [0, p)")
    return arr.astype(DTYPE)


# -- base field ----------------------------------------------------------------------------

@nb.njit(parallel=False, cache=True)
def add(a, b):
    out = np.empty(a.shape[0], np.uint32)
    for i in range(a.shape[0]):
        out[i] = madd(np.uint64(a[i]), np.uint64(b[i]))
    return out


@nb.njit(cache=True)
def sub(a, b):
    out = np.empty(a.shape[0], np.uint32)
    for i in range(a.shape[0]):
        out[i] = msub(np.uint64(a[i]), np.uint64(b[i]))
    return out


@nb.njit(cache=True)
def mul(a, b):
    out = np.empty(a.shape[0], np.uint32)
    for i in range(a.shape[0]):
        out[i] = mmul(mmul(np.uint64(a[i]), np.uint64(b[i])), _R2)
    return out


@nb.njit(cache=True)
def scale(a, c):
    """a * c for a vector a and a canonical scalar c."""
    cm = mmul(np.uint64(c), _R2)
    out = np.empty(a.shape[0], np.uint32)
    for i in range(a.shape[0]):
        out[i] = mmul(np.uint64(a[i]), cm)
    return out


@nb.njit(cache=True)
def powers(base, count):
    """[1, base, ..., base^(count-1)] as canonical uint32."""
    out = np.empty(count, np.uint32)
    bm = mmul(np.uint64(base), _R2)
    acc = np.uint64(1)
    for i in range(count):
        out[i] = acc
        acc = mmul(acc, bm)
    return out


@nb.njit(cache=True)
def batch_inverse(a):
    """Element-wise inverse (Montgomery's trick); raises ZeroDivisionError on a zero element."""
    n = a.shape[0]
    out = np.empty(n, np.uint32)
    if n == 0:
        return out
    prefix = np.empty(n, np.uint64)
    acc = np.uint64(R_MOD_P)  # 1 in Montgomery form
    for i in range(n):
        if a[i] == 0:
            raise ZeroDivisionError("inverse of zero in F_p")
        prefix[i] = acc
        acc = mmul(acc, to_mont(np.uint64(a[i])))
    inv = minv(acc)
    for i in range(n - 1, -1, -1):
        # prefix (Montgomery) * inv (Montgomery) -> Montgomery; convert back
        out[i] = from_mont(mmul(prefix[i], inv))
        inv = mmul(inv, to_mont(np.uint64(a[i])))
    return out


# -- extension field (arrays of shape (n, 4)) -------------------------------------------------

@nb.njit(inline="always", cache=True)
def ext_mmul(a0, a1, a2, a3, b0, b1, b2, b3):
    """Product in F_p^4 of Montgomery-form components."""
    c0 = madd(mmul(a0, b0), mmul(_WM, madd(madd(mmul(a1, b3), mmul(a2, b2)), mmul(a3, b1))))
    c1 = madd(madd(mmul(a0, b1), mmul(a1, b0)), mmul(_WM, madd(mmul(a2, b3), mmul(a3, b2))))
    c2 = madd(madd(madd(mmul(a0, b2), mmul(a1, b1)), mmul(a2, b0)), mmul(_WM, mmul(a3, b3)))
    c3 = madd(madd(madd(mmul(a0, b3), mmul(a1, b2)), mmul(a2, b1)), mmul(a3, b0))
    return c0, c1, c2, c3


@nb.njit(cache=True)
def ext_mul(a, b):
    n = a.shape[0]
    out = np.empty((n, 4), np.uint32)
    for i in range(n):
        c0, c1, c2, c3 = ext_mmul(
            to_mont(np.uint64(a[i, 0])), to_mont(np.uint64(a[i, 1])),
            to_mont(np.uint64(a[i, 2])), to_mont(np.uint64(a[i, 3])),
            np.uint64(b[i, 0]), np.uint64(b[i, 1]), np.uint64(b[i, 2]), np.uint64(b[i, 3]))
        out[i, 0] = c0
        out[i, 1] = c1
        out[i, 2] = c2
        out[i, 3] = c3
    return out


@nb.njit(cache=True)
def ext_add(a, b):
    n = a.shape[0]
    out = np.empty((n, 4), np.uint32)
    for i in range(n):
        for k in range(4):
            out[i, k] = madd(np.uint64(a[i, k]), np.uint64(b[i, k]))
    return out


@nb.njit(cache=True)
def ext_sub(a, b):
    n = a.shape[0]
    out = np.empty((n, 4), np.uint32)
    for i in range(n):
        for k in range(4):
            out[i, k] = msub(np.uint64(a[i, k]), np.uint64(b[i, k]))
    return out


@nb.njit(cache=True)
def ext_scale_base(a, b):
    """a[i] * b[i] for ext vector a and base vector b."""
    n = a.shape[0]
    out = np.empty((n, 4), np.uint32)
    for i in range(n):
        bm = to_mont(np.uint64(b[i]))
        for k in range(4):
            out[i, k] = mmul(np.uint64(a[i, k]), bm)
    return out


@nb.njit(inline="always", cache=True)
def _ext_minv(a0, a1, a2, a3):
    """Inverse of a Montgomery-form extension element (see Ext.inverse for the method)."""
    two = madd(np.uint64(R_MOD_P), np.uint64(R_MOD_P))
    c0 = msub(madd(mmul(a0, a0), mmul(_WM, mmul(a2, a2))), mmul(_WM, mmul(two, mmul(a1, a3))))
    c1 = msub(msub(mmul(two, mmul(a0, a2)), mmul(a1, a1)), mmul(_WM, mmul(a3, a3)))
    norm = msub(mmul(c0, c0), mmul(_WM, mmul(c1, c1)))
    ninv = minv(norm)
    d0 = mmul(c0, ninv)
    d1 = msub(np.uint64(0), mmul(c1, ninv))
    z = np.uint64(0)
    return ext_mmul(a0, msub(z, a1), a2, msub(z, a3), d0, z, d1, z)


@nb.njit(cache=True)
def ext_batch_inverse(a):
    """Element-wise inverse of an (n, 4) array; raises ZeroDivisionError on a zero element."""
    n = a.shape[0]
    out = np.empty((n, 4), np.uint32)
    if n == 0:
        return out
    pre = np.empty((n, 4), np.uint64)
    one = np.uint64(R_MOD_P)
    z = np.uint64(0)
    x0, x1, x2, x3 = one, z, z, z
    for i in range(n):
        if a[i, 0] == 0 and a[i, 1] == 0 and a[i, 2] == 0 and a[i, 3] == 0:
            raise ZeroDivisionError("inverse of zero in F_p^4")
        pre[i, 0] = x0
        pre[i, 1] = x1
        pre[i, 2] = x2
        pre[i, 3] = x3
        x0, x1, x2, x3 = ext_mmul(x0, x1, x2, x3,
                                  to_mont(np.uint64(a[i, 0])), to_mont(np.uint64(a[i, 1])),
                                  to_mont(np.uint64(a[i, 2])), to_mont(np.uint64(a[i, 3])))
    y0, y1, y2, y3 = _ext_minv(x0, x1, x2, x3)
    for i in range(n - 1, -1, -1):
        r0, r1, r2, r3 = ext_mmul(pre[i, 0], pre[i, 1], pre[i, 2], pre[i, 3], y0, y1, y2, y3)
        out[i, 0] = from_mont(r0)
        out[i, 1] = from_mont(r1)
        out[i, 2] = from_mont(r2)
        out[i, 3] = from_mont(r3)
        y0, y1, y2, y3 = ext_mmul(y0, y1, y2, y3,
                                  to_mont(np.uint64(a[i, 0])), to_mont(np.uint64(a[i, 1])),
                                  to_mont(np.uint64(a[i, 2])), to_mont(np.uint64(a[i, 3])))
    return out


def ext_to_array(values: list[Ext]) -> np.ndarray:
    return np.array([v.c for v in values], dtype=DTYPE).reshape(len(values), 4)


def array_to_ext(arr: np.ndarray) -> list[Ext]:
    return [Ext(*map(int, row)) for row in arr]
