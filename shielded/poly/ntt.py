"""Radix-2 number-theoretic transforms over KoalaBear, batched over the rows of a matrix.

A matrix of shape (C, n) holds C polynomials, one per row.  ``ntt`` maps coefficients to
evaluations on H_n = <w_n> in natural order (entry j is the value at w_n^j); ``intt`` inverts it.
``coset_lde`` maps evaluations on H_n to evaluations on shift * H_{n * blowup}, natural order.
``naive_dft`` is the quadratic reference the tests compare against.
"""

from __future__ import annotations

from functools import lru_cache

import numba as nb
import numpy as np

from shielded.errors import ParameterError
from shielded.field.koalabear import GENERATOR, P, TWO_ADICITY, inv, two_adic_generator
from shielded.field.mont import madd32, mmul32, msub32, to_mont_int

_ONE_M = np.uint32(to_mont_int(1))


@lru_cache(maxsize=None)
def _twiddles(log_n: int, inverse: bool) -> np.ndarray:
    """Twiddles laid out per stage, Montgomery form: entry h + j (h = half-length of a stage,
    j < h) is w_{2h}^j, so each stage reads a contiguous run (this lets the loop vectorise)."""
    if not 0 <= log_n <= TWO_ADICITY:
        raise ParameterError(f"NTT size 2^{log_n} exceeds the field's two-adicity {TWO_ADICITY}")
    n = 1 << log_n
    out = np.zeros(max(2, n), np.uint32)
    h = 1
    while h < n:
        w = two_adic_generator((2 * h).bit_length() - 1)
        if inverse:
            w = inv(w)
        acc = 1
        for j in range(h):
            out[h + j] = to_mont_int(acc)
            acc = acc * w % P
        h *= 2
    return out


@nb.njit(cache=True)
def _bit_reverse_inplace(a):
    n = a.shape[0]
    if n <= 2:
        return
    log_n = 0
    while (1 << log_n) < n:
        log_n += 1
    # reverse the low and high halves of the index bits separately via a small table
    lo_bits = log_n // 2
    hi_bits = log_n - lo_bits
    size = 1 << max(lo_bits, hi_bits)
    rev = np.empty(size, np.int64)
    bits = max(lo_bits, hi_bits)
    for i in range(size):
        r = 0
        x = i
        for _ in range(bits):
            r = (r << 1) | (x & 1)
            x >>= 1
        rev[i] = r
    lo_mask = (1 << lo_bits) - 1
    for i in range(n):
        lo = i & lo_mask
        hi = i >> lo_bits
        # rev over `bits` bits, then align to the widths of the two halves
        j = ((rev[lo] >> (bits - lo_bits)) << hi_bits) | (rev[hi] >> (bits - hi_bits))
        if i < j:
            t = a[i]
            a[i] = a[j]
            a[j] = t


@nb.njit(cache=True)
def _ntt_row(a, tw):
    """In-place NTT of one row (uint32 canonical values) with Montgomery twiddles; the 32-bit
    helpers let the butterfly loops vectorise with 32-bit lanes."""
    n = a.shape[0]
    _bit_reverse_inplace(a)
    if n >= 4:
        # the first two stages fused (half = 1 and 2) as radix-4 butterflies: their inner loops
        # are too short to vectorise; tw[3] = w_4
        w4 = tw[3]
        for s0 in range(0, n, 4):
            x0 = a[s0]
            x1 = a[s0 + 1]
            x2 = a[s0 + 2]
            x3 = a[s0 + 3]
            y0 = madd32(x0, x1)
            y1 = msub32(x0, x1)
            y2 = madd32(x2, x3)
            y3 = mmul32(msub32(x2, x3), w4)
            a[s0] = madd32(y0, y2)
            a[s0 + 2] = msub32(y0, y2)
            a[s0 + 1] = madd32(y1, y3)
            a[s0 + 3] = msub32(y1, y3)
        half = 4
    else:
        half = 1
    _stages_from(a, tw, half)


@nb.njit(inline="always", cache=True)
def _stages_from(a, tw, half):
    """The butterfly stages of half-length half, 2 half, ..., n/2 (bit-reversed input)."""
    n = a.shape[0]
    while half < n:
        t = tw[half:2 * half]
        for start in range(0, n, 2 * half):
            # slice views let LLVM see the halves as separate arrays and vectorise (4x faster)
            lo = a[start:start + half]
            hi = a[start + half:start + 2 * half]
            for j in range(half):
                u = lo[j]
                v = mmul32(hi[j], t[j])
                lo[j] = madd32(u, v)
                hi[j] = msub32(u, v)
        half <<= 1


@nb.njit(parallel=True, cache=True)
def _ntt_rows(mat, tw, out_len, scale_m, shift_pows, rev):
    """For each row: optionally multiply coefficient i by shift_pows[i] * scale, zero-pad to
    out_len, transform.  scale_m is Montgomery; shift_pows is Montgomery (or empty).

    Zero padding by B = out_len / n > 1 (``rev``: the bit reversal of log n bits): after the
    bit reversal of out_len positions only every B-th one is non-zero (position B k holds
    coefficient rev[k]), and the first log B stages only copy it into its block of B, since
    every butterfly there has a zero odd input.  So the blocks are filled directly and the
    transform starts at stage log B, skipping the long bit reversal and log B stages."""
    rows, n = mat.shape
    out = np.zeros((rows, out_len), np.uint32)
    blow = out_len // n
    for r in nb.prange(rows):
        a = out[r]
        if blow > 1:
            for k in range(n):
                x = _scaled_coefficient(mat, r, rev[k], scale_m, shift_pows)
                for t in range(blow):
                    a[blow * k + t] = x
            _stages_from(a, tw, blow)
        else:
            for i in range(n):
                a[i] = _scaled_coefficient(mat, r, i, scale_m, shift_pows)
            _ntt_row(a, tw)
    return out


@nb.njit(inline="always", cache=True)
def _scaled_coefficient(mat, r, i, scale_m, shift_pows):
    """mat[r, i] * shift_pows[i] * scale (no shift factor when shift_pows is empty)."""
    if shift_pows.shape[0] > 0:
        return mmul32(mmul32(mat[r, i], shift_pows[i]), scale_m)
    return mmul32(mat[r, i], scale_m)


@lru_cache(maxsize=None)
def _bit_reversal(log_n: int) -> np.ndarray:
    """rev[k] = k with its log_n bits reversed."""
    idx = np.arange(1 << log_n, dtype=np.int64)
    rev = np.zeros_like(idx)
    for b in range(log_n):
        rev |= ((idx >> b) & 1) << (log_n - 1 - b)
    return rev


_NO_REV = np.zeros(0, np.int64)


def _check(mat: np.ndarray) -> tuple[np.ndarray, int]:
    mat = np.ascontiguousarray(mat)
    if mat.ndim == 1:
        mat = mat[None, :]
    if mat.ndim != 2:
        raise ParameterError("expected a (rows, n) matrix")
    n = mat.shape[1]
    if n == 0 or n & (n - 1):
        raise ParameterError(f"transform length must be a power of two, got {n}")
    if mat.dtype != np.uint32:
        mat = mat.astype(np.uint32)
    return mat, n.bit_length() - 1


_EMPTY = np.zeros(0, np.uint32)


def ntt(coeffs: np.ndarray) -> np.ndarray:
    """Evaluations on H_n (natural order) of each row's polynomial."""
    mat, log_n = _check(coeffs)
    return _ntt_rows(mat, _twiddles(log_n, False), mat.shape[1], _ONE_M, _EMPTY, _NO_REV)


def intt(evals: np.ndarray) -> np.ndarray:
    """Coefficients of each row from its evaluations on H_n."""
    mat, log_n = _check(evals)
    n_inv = to_mont_int(inv(mat.shape[1]))
    return _ntt_rows(mat, _twiddles(log_n, True), mat.shape[1], np.uint32(n_inv), _EMPTY, _NO_REV)


@lru_cache(maxsize=64)
def _shift_powers(shift: int, n: int) -> np.ndarray:
    out = np.empty(n, np.uint32)
    acc = 1
    for i in range(n):
        out[i] = to_mont_int(acc)
        acc = acc * shift % P
    return out


def coset_ntt(coeffs: np.ndarray, shift: int, out_len: int | None = None) -> np.ndarray:
    """Evaluations on shift * H_{out_len} of each row (coefficients zero-padded to out_len)."""
    mat, log_n = _check(coeffs)
    n = mat.shape[1]
    out_len = n if out_len is None else out_len
    if out_len < n or out_len & (out_len - 1):
        raise ParameterError("out_len must be a power of two at least the input length")
    rev = _bit_reversal(log_n) if out_len > n else _NO_REV
    return _ntt_rows(mat, _twiddles(out_len.bit_length() - 1, False), out_len, _ONE_M,
                     _shift_powers(shift % P, n), rev)


def coset_intt(evals: np.ndarray, shift: int) -> np.ndarray:
    """Coefficients of each row from its evaluations on shift * H_n."""
    coeffs = intt(evals)
    n = coeffs.shape[1]
    inv_pows = _shift_powers(inv(shift % P), n)
    return _ntt_rows(coeffs, _twiddles(0, False), n, _ONE_M, inv_pows, _NO_REV) if n == 1 else \
        _scale_by_powers(coeffs, inv_pows)


@nb.njit(parallel=True, cache=True)
def _scale_rows_by(mat, pows_m):
    rows, n = mat.shape
    out = np.empty((rows, n), np.uint32)
    for r in nb.prange(rows):
        for i in range(n):
            out[r, i] = mmul32(mat[r, i], pows_m[i])
    return out


def _scale_by_powers(mat: np.ndarray, pows_m: np.ndarray) -> np.ndarray:
    return _scale_rows_by(mat, pows_m)


def coset_lde(evals: np.ndarray, blowup: int, shift: int = GENERATOR) -> np.ndarray:
    """Low-degree extension: values on H_n -> values on shift * H_{n * blowup}."""
    if blowup < 1 or blowup & (blowup - 1):
        raise ParameterError(f"blowup must be a power of two, got {blowup}")
    coeffs = intt(evals)
    return coset_ntt(coeffs, shift, coeffs.shape[1] * blowup)


def naive_dft(coeffs: list[int], points: list[int]) -> list[int]:
    """Reference: evaluate the polynomial with these coefficients at each point (quadratic)."""
    out = []
    for x in points:
        acc = 0
        for c in reversed(coeffs):
            acc = (acc * x + c) % P
        out.append(acc)
    return out
