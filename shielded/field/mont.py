"""Montgomery arithmetic for numba kernels (R = 2^32).

Every array that crosses a module boundary holds canonical elements (uint32 in [0, p)).  Kernels
that multiply a lot convert to Montgomery form (a R mod p) on entry and back on exit, because a
Montgomery product vectorises (about 0.3 ns per element here) while ``(a * b) % p`` does not
(about 1.6 ns in numba, 15 ns in numpy).  See BENCHMARKS.md.

``mont_mul(aR, bR) = abR``; ``mont_mul(a, bR) = ab`` (one operand canonical gives a canonical
product, which is how twiddle factors and round constants are stored).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from shielded.field.koalabear import P

R_BITS = 32
R_MOD_P = (1 << R_BITS) % P
R2_MOD_P = (1 << (2 * R_BITS)) % P
R3_MOD_P = (1 << (3 * R_BITS)) % P
P_NEG_INV = (-pow(P, -1, 1 << R_BITS)) % (1 << R_BITS)  # -p^-1 mod 2^32

_P = np.uint64(P)
_PINV = np.uint64(P_NEG_INV)
_MASK = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_R2 = np.uint64(R2_MOD_P)
_P32 = np.uint32(P)
_PINV32 = np.uint32(P_NEG_INV)


def to_mont_int(a: int) -> int:
    """Montgomery form of a canonical int (Python side, for constant tables)."""
    return a * R_MOD_P % P


def from_mont_int(a: int) -> int:
    return a * pow(R_MOD_P, -1, P) % P


@nb.njit(inline="always", cache=True)
def mmul(a, b):
    """Montgomery product of two uint64 values < p: a*b*2^-32 mod p, result < p."""
    t = a * b
    m = ((t & _MASK) * _PINV) & _MASK
    u = (t + m * _P) >> _SHIFT
    if u >= _P:
        u -= _P
    return u


@nb.njit(inline="always", cache=True)
def mmul32(a, b):
    """``mmul`` on uint32 operands < p, with a uint32 result < p.

    Written so that the vectoriser sees 32x32->64-bit products (one vpmuludq each, where the
    uint64 ``mmul`` needs a full 64-bit multiply) and 32-bit lanes: the final correction is
    min(u, u - p) in wrapping uint32 arithmetic (u < 2p; when u < p, u - p wraps above u).
    """
    t = np.uint64(a) * np.uint64(b)
    m = np.uint32(np.uint32(t) * _PINV32)
    u = np.uint32((t + np.uint64(m) * _P) >> _SHIFT)
    return min(u, np.uint32(u - _P32))


@nb.njit(inline="always", cache=True)
def madd32(a, b):
    """``madd`` on uint32 operands < p (a + b < 2^32 cannot wrap), with a uint32 result."""
    s = np.uint32(a + b)
    return min(s, np.uint32(s - _P32))


@nb.njit(inline="always", cache=True)
def msub32(a, b):
    """``msub`` on uint32 operands < p: a - b wraps to 2^32 + a - b when a < b, and then adding
    p wraps back to the smaller, correct value."""
    d = np.uint32(a - b)
    return min(d, np.uint32(d + _P32))


@nb.njit(inline="always", cache=True)
def madd(a, b):
    s = a + b
    if s >= _P:
        s -= _P
    return s


@nb.njit(inline="always", cache=True)
def msub(a, b):
    if a >= b:
        return a - b
    return a + _P - b


@nb.njit(inline="always", cache=True)
def to_mont(a):
    return mmul(a, _R2)


@nb.njit(inline="always", cache=True)
def from_mont(a):
    return mmul(a, np.uint64(1))


@nb.njit(cache=True)
def mpow(a, e):
    """a^e for a in Montgomery form (result in Montgomery form)."""
    result = np.uint64(R_MOD_P)
    base = a
    while e > 0:
        if e & 1:
            result = mmul(result, base)
        base = mmul(base, base)
        e >>= 1
    return result


@nb.njit(cache=True)
def minv(a):
    """Inverse in Montgomery form (input Montgomery, non-zero)."""
    return mpow(a, P - 2)
