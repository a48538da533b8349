"""The Poseidon2 permutation over KoalaBear, widths 16 and 24 (plain reference and batched).

Round structure (../shared/vectors/README.md, Grassi-Khovratovich-Schofnegger 2023): one external
linear layer; 4 full rounds (add constants, cube every element, external layer); the partial
rounds (add a constant to element 0, cube it, internal layer); 4 full rounds.

``permute`` is the reference on Python ints.  ``permute_batch`` runs many states at once in a
numba kernel (Montgomery form inside) and is checked against ``permute``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numba as nb
import numpy as np

from shielded.errors import ParameterError
from shielded.field.koalabear import P, check_elements
from shielded.field.mont import R2_MOD_P, madd32, mmul32, to_mont_int
from shielded.hash.poseidon2_params import params


def external_linear_layer(state: list[int]) -> list[int]:
    """Apply M4 to each block of 4, then add the k-th column sum to every element k mod 4."""
    out = []
    for b in range(0, len(state), 4):
        a, bb, c, d = state[b:b + 4]
        t = a + bb + c + d
        out += [t + a + 2 * bb, t + bb + 2 * c, t + c + 2 * d, t + d + 2 * a]
    sums = [sum(out[k::4]) for k in range(4)]
    return [(x + sums[i % 4]) % P for i, x in enumerate(out)]


def internal_linear_layer(state: list[int], diagonal: Sequence[int]) -> list[int]:
    """state[i] = sum(state) + diagonal[i] * state[i]."""
    s = sum(state)
    return [(s + d * x) % P for x, d in zip(state, diagonal)]


def permute(state: Sequence[int]) -> list[int]:
    """Poseidon2 permutation of a list of 16 or 24 canonical field elements."""
    width = len(state)
    prm = params(width)  # raises ParameterError for a bad width
    s = check_elements(state, "state")
    s = external_linear_layer(s)
    for rc in prm.external_initial:
        s = external_linear_layer([pow((x + c) % P, 3, P) for x, c in zip(s, rc)])
    for c in prm.internal:
        s[0] = pow((s[0] + c) % P, 3, P)
        s = internal_linear_layer(s, prm.diagonal)
    for rc in prm.external_final:
        s = external_linear_layer([pow((x + c) % P, 3, P) for x, c in zip(s, rc)])
    return s


# -- batched kernel -----------------------------------------------------------------------------

@lru_cache(maxsize=None)
def mont_tables(width: int):
    """Round constants and diagonal in Montgomery form, as uint64 arrays (the trace kernel)."""
    prm = params(width)
    ext_init = np.array([[to_mont_int(c) for c in r] for r in prm.external_initial], np.uint64)
    ext_final = np.array([[to_mont_int(c) for c in r] for r in prm.external_final], np.uint64)
    internal = np.array([to_mont_int(c) for c in prm.internal], np.uint64)
    diag = np.array([to_mont_int(c) for c in prm.diagonal], np.uint64)
    return ext_init, internal, ext_final, diag


@lru_cache(maxsize=None)
def mont_tables32(width: int):
    """The same tables as uint32 arrays, for ``permute_soa``."""
    return tuple(t.astype(np.uint32) for t in mont_tables(width))


# The lane kernels below hold states column-wise as uint32 (state element i of lane l at
# st[i, l]) and use the 32-bit Montgomery helpers: LLVM then vectorises each lane loop with
# 32-bit lanes and 32x32->64-bit products, about 1.5x faster than the same loops over uint64
# (BENCHMARKS.md, kernels).

@nb.njit(inline="always", cache=True)
def _external_soa(st, tmp, lanes):
    width = st.shape[0]
    for b in range(0, width, 4):
        for l in range(lanes):
            a = st[b, l]
            bb = st[b + 1, l]
            c = st[b + 2, l]
            d = st[b + 3, l]
            t = madd32(madd32(a, bb), madd32(c, d))
            st[b, l] = madd32(madd32(t, a), madd32(bb, bb))
            st[b + 1, l] = madd32(madd32(t, bb), madd32(c, c))
            st[b + 2, l] = madd32(madd32(t, c), madd32(d, d))
            st[b + 3, l] = madd32(madd32(t, d), madd32(a, a))
    for k in range(4):
        for l in range(lanes):
            tmp[k, l] = st[k, l]
        for b in range(4 + k, width, 4):
            for l in range(lanes):
                tmp[k, l] = madd32(tmp[k, l], st[b, l])
    for i in range(width):
        k = i % 4
        for l in range(lanes):
            st[i, l] = madd32(st[i, l], tmp[k, l])


@nb.njit(inline="always", cache=True)
def _full_round_soa(st, rc, tmp, lanes):
    width = st.shape[0]
    for i in range(width):
        c = rc[i]
        for l in range(lanes):
            x = madd32(st[i, l], c)
            st[i, l] = mmul32(mmul32(x, x), x)
    _external_soa(st, tmp, lanes)


@nb.njit(cache=True)
def permute_soa(st, ext_init, internal, ext_final, diag, lanes):
    """Permute ``lanes`` states held column-wise in st[width, >=lanes] (uint32, Montgomery
    form; the tables from ``mont_tables32``)."""
    width = st.shape[0]
    tmp = np.empty((4, lanes), np.uint32)
    ssum = np.empty(lanes, np.uint32)
    _external_soa(st, tmp, lanes)
    for r in range(ext_init.shape[0]):
        _full_round_soa(st, ext_init[r], tmp, lanes)
    for r in range(internal.shape[0]):
        c = internal[r]
        for l in range(lanes):
            x = madd32(st[0, l], c)
            st[0, l] = mmul32(mmul32(x, x), x)
        for l in range(lanes):
            ssum[l] = st[0, l]
        for i in range(1, width):
            for l in range(lanes):
                ssum[l] = madd32(ssum[l], st[i, l])
        for i in range(width):
            d = diag[i]
            for l in range(lanes):
                st[i, l] = madd32(ssum[l], mmul32(st[i, l], d))
    for r in range(ext_final.shape[0]):
        _full_round_soa(st, ext_final[r], tmp, lanes)


_LANES = 128
_R2 = np.uint32(R2_MOD_P)
_ONE = np.uint32(1)


@nb.njit(parallel=True, cache=True)
def _permute_rows(states, ext_init, internal, ext_final, diag):
    n, width = states.shape
    out = np.empty((n, width), np.uint32)
    nchunks = (n + _LANES - 1) // _LANES
    for ch in nb.prange(nchunks):
        start = ch * _LANES
        lanes = min(_LANES, n - start)
        st = np.empty((width, _LANES), np.uint32)
        for i in range(width):
            for l in range(lanes):
                st[i, l] = mmul32(states[start + l, i], _R2)
        permute_soa(st, ext_init, internal, ext_final, diag, lanes)
        for i in range(width):
            for l in range(lanes):
                out[start + l, i] = mmul32(st[i, l], _ONE)
    return out


def permute_batch(states: np.ndarray) -> np.ndarray:
    """Permute each row of an (n, width) array of canonical elements; returns a new uint32 array."""
    states = np.ascontiguousarray(states)
    if states.ndim != 2 or states.shape[1] not in (16, 24):
        raise ParameterError(f"permute_batch expects shape (n, 16) or (n, 24), got {states.shape}")
    if states.dtype != np.uint32:
        if states.size and (states.min() < 0 or states.max() >= P):
            raise ParameterError("permute_batch: elements must be in [0, p)")
        states = states.astype(np.uint32)
    elif states.size and int(states.max()) >= P:
        raise ParameterError("permute_batch: elements must be in [0, p)")
    return _permute_rows(states, *mont_tables32(states.shape[1]))


@nb.njit(cache=True)
def _absorb_blocks(state, blocks, ext_init, internal, ext_final, diag):
    """Overwrite-mode duplex over full blocks: for each row of blocks (k, 8): rate = row; permute."""
    st = np.empty((16, 1), np.uint32)
    for i in range(16):
        st[i, 0] = mmul32(state[i], _R2)
    for b in range(blocks.shape[0]):
        for i in range(8):
            st[i, 0] = mmul32(blocks[b, i], _R2)
        permute_soa(st, ext_init, internal, ext_final, diag, 1)
    out = np.empty(16, np.uint32)
    for i in range(16):
        out[i] = mmul32(st[i, 0], _ONE)
    return out


def absorb_blocks(state: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """Fast path of the sponge/duplex inner loop (state (16,), blocks (k, 8), canonical)."""
    return _absorb_blocks(np.ascontiguousarray(state, np.uint32), np.ascontiguousarray(blocks, np.uint32),
                          *mont_tables32(16))
