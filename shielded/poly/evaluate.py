"""Evaluating committed polynomials at extension-field points.

Two linear kernels do the work: ``dot_rows`` (each row of a base matrix dotted with an
extension weight vector) and ``combine_rows`` (a linear combination of rows with extension
coefficients).  Barycentric evaluation on H_n and evaluation from coefficients are both
``dot_rows`` with the right weights.  Sums are accumulated unreduced in uint64 (each
Montgomery product is < p < 2^31, so 2^33 terms fit) and reduced once.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from shielded.errors import ParameterError
from shielded.field import vec
from shielded.field.ext import ONE, Ext
from shielded.field.koalabear import P, inv, two_adic_generator
from shielded.field.mont import R2_MOD_P, R_MOD_P, mmul, mmul32

R_ONE_M = R_MOD_P

_R2 = np.uint64(R2_MOD_P)
_P = np.uint64(P)


@nb.njit(parallel=True, cache=True)
def _dot_rows(mat, weights_m):
    rows, n = mat.shape
    out = np.empty((rows, 4), np.uint32)
    for r in nb.prange(rows):
        a0 = np.uint64(0)
        a1 = np.uint64(0)
        a2 = np.uint64(0)
        a3 = np.uint64(0)
        for j in range(n):
            x = np.uint64(mat[r, j])
            a0 += mmul(x, weights_m[j, 0])
            a1 += mmul(x, weights_m[j, 1])
            a2 += mmul(x, weights_m[j, 2])
            a3 += mmul(x, weights_m[j, 3])
        out[r, 0] = a0 % _P
        out[r, 1] = a1 % _P
        out[r, 2] = a2 % _P
        out[r, 3] = a3 % _P
    return out


@nb.njit(parallel=True, cache=True)
def _combine_rows(mat, coeffs_m):
    rows, n = mat.shape
    out = np.empty((n, 4), np.uint32)
    block = 1024
    nblocks = (n + block - 1) // block
    for b in nb.prange(nblocks):
        start = b * block
        stop = min(n, start + block)
        acc = np.zeros((4, stop - start), np.uint64)
        # one contiguous accumulator per coefficient and 32-bit products (mmul32 < p < 2^31)
        # let the inner loop vectorise; 2^32 products fit in a uint64 sum before a reduction
        a0 = acc[0]
        a1 = acc[1]
        a2 = acc[2]
        a3 = acc[3]
        for r in range(rows):
            c0 = np.uint32(coeffs_m[r, 0])
            c1 = np.uint32(coeffs_m[r, 1])
            c2 = np.uint32(coeffs_m[r, 2])
            c3 = np.uint32(coeffs_m[r, 3])
            row = mat[r, start:stop]
            for j in range(stop - start):
                x = row[j]
                a0[j] += np.uint64(mmul32(x, c0))
                a1[j] += np.uint64(mmul32(x, c1))
                a2[j] += np.uint64(mmul32(x, c2))
                a3[j] += np.uint64(mmul32(x, c3))
            if (r & 0x3FFFFFFF) == 0x3FFFFFFF:  # keep the unreduced sums below 2^64
                for k in range(4):
                    for j in range(stop - start):
                        acc[k, j] %= _P
        for j in range(stop - start):
            for k in range(4):
                out[start + j, k] = acc[k, j] % _P
    return out


@nb.njit(cache=True)
def _to_mont_matrix(a):
    out = np.empty(a.shape, np.uint64)
    flat_in = a.ravel()
    flat_out = out.ravel()
    for i in range(flat_in.shape[0]):
        flat_out[i] = mmul(np.uint64(flat_in[i]), _R2)
    return out


def dot_rows(mat: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """out[r] = sum_j mat[r, j] * weights[j]; mat (rows, n) base, weights (n, 4) ext."""
    mat = np.ascontiguousarray(mat, dtype=np.uint32)
    if mat.ndim != 2 or weights.shape != (mat.shape[1], 4):
        raise ParameterError(f"dot_rows: shapes {mat.shape} and {weights.shape} do not match")
    return _dot_rows(mat, _to_mont_matrix(np.ascontiguousarray(weights, dtype=np.uint32)))


def combine_rows(mat: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """out[j] = sum_r coeffs[r] * mat[r, j]; mat (rows, n) base, coeffs (rows, 4) ext."""
    mat = np.ascontiguousarray(mat, dtype=np.uint32)
    if mat.ndim != 2 or coeffs.shape != (mat.shape[0], 4):
        raise ParameterError(f"combine_rows: shapes {mat.shape} and {coeffs.shape} do not match")
    return _combine_rows(mat, _to_mont_matrix(np.ascontiguousarray(coeffs, dtype=np.uint32)))


@nb.njit(cache=True)
def _ext_powers(z_m, count):
    from_one = np.uint64(1)
    out = np.empty((count, 4), np.uint32)
    a0, a1, a2, a3 = np.uint64(R_ONE_M), np.uint64(0), np.uint64(0), np.uint64(0)
    for i in range(count):
        out[i, 0] = mmul(a0, from_one)
        out[i, 1] = mmul(a1, from_one)
        out[i, 2] = mmul(a2, from_one)
        out[i, 3] = mmul(a3, from_one)
        a0, a1, a2, a3 = vec.ext_mmul(a0, a1, a2, a3, z_m[0], z_m[1], z_m[2], z_m[3])
    return out


def ext_powers_array(z: Ext, count: int) -> np.ndarray:
    """[1, z, ..., z^(count-1)] as a (count, 4) array."""
    from shielded.field.mont import to_mont_int
    return _ext_powers(np.array([to_mont_int(c) for c in z.c], np.uint64), count)


def eval_coeffs_at(coeffs: np.ndarray, z: Ext) -> np.ndarray:
    """Values at z of each row's polynomial given by coefficients: shape (rows, 4)."""
    return dot_rows(coeffs, ext_powers_array(z, coeffs.shape[1]))


def barycentric_weights(n: int, z: Ext) -> np.ndarray:
    """Weights W_j with f(z) = sum_j f(w^j) W_j for deg f < n, z outside H_n:
    W_j = (z^n - 1) / n * w^j / (z - w^j)."""
    if n & (n - 1) or n == 0:
        raise ParameterError("barycentric evaluation needs a power-of-two domain")
    log_n = n.bit_length() - 1
    w = two_adic_generator(log_n)
    pts = vec.powers(w, n)
    diff = np.zeros((n, 4), np.uint32)
    diff[:] = z.c
    diff[:, 0] = (diff[:, 0].astype(np.int64) - pts.astype(np.int64)) % P
    if not np.all(diff.any(axis=1)):
        raise ParameterError("barycentric evaluation point lies in the domain")
    inv_diff = vec.ext_batch_inverse(diff)
    scale = (z ** n - 1) * inv(n)
    weights = vec.ext_scale_base(inv_diff, pts)
    return vec.ext_mul(weights, np.tile(np.array(scale.c, np.uint32), (n, 1)))


def barycentric_eval(evals: np.ndarray, z: Ext) -> np.ndarray:
    """Values at z (shape (rows, 4)) of each row's polynomial given by its values on H_n."""
    evals = np.atleast_2d(evals)
    return dot_rows(evals, barycentric_weights(evals.shape[1], z))
