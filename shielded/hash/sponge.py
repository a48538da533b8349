"""Poseidon2 sponge (width 16, rate 8, capacity 8) and 2-to-1 compression, with domain tags.

Sponge (overwrite mode): the capacity starts as (tag, input length, 0, ..., 0); each block of 8
inputs overwrites the rate and is followed by a permutation; the last block is zero-padded
(the length in the capacity makes this injective); the digest is the rate after the last
permutation.  An empty input still costs one permutation.

Compression: compress(l, r) = first 8 elements of (P(l || r) + (l || r)), the feed-forward
compression mode of the Poseidon2 paper (Grassi, Khovratovich, Schofnegger, "Poseidon2",
AFRICACRYPT 2023, Sect. 2).  Used only for Merkle nodes; leaves are hashed with the sponge and a
leaf tag, so leaf and node hashing are separate functions.

Tags are small integers listed in ``Tag`` and in SPEC.md; every use of the sponge names one.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Sequence

import numba as nb
import numpy as np

from shielded.errors import ParameterError
from shielded.field.koalabear import P, check_elements
from shielded.field.mont import R2_MOD_P, madd32, mmul32
from shielded.hash.poseidon2 import absorb_blocks, mont_tables32, permute, permute_soa

WIDTH = 16
RATE = 8
DIGEST_LEN = 8

Digest = tuple[int, ...]
"""Eight canonical field elements (about 248 bits)."""


class Tag(IntEnum):
    """Domain-separation tags: the first capacity element of every sponge."""

    MERKLE_LEAF = 1
    TRANSCRIPT = 2
    CIRCUIT_DIGEST = 3
    CIRCUIT_SHAPE = 4
    # protocol (SPEC.md, Part II)
    KEY_ASK = 16          # spending key -> spend authorising key
    KEY_NK = 17           # spending key -> nullifier key
    AK = 18               # ask -> its public commitment ak
    OWNER = 19            # (ak, nk) -> owner digest
    NOTE_COMMITMENT = 20  # note -> commitment
    NOTE_LEAF = 21        # commitment -> note-tree leaf
    NULLIFIER = 22        # (nk, commitment, position) -> nullifier
    CIPHERTEXTS = 23      # a transaction's ciphertexts -> the digest its proof binds
    NULLIFIER_LEAF = 24   # indexed nullifier-tree leaf (key, next index, next key)
    ANCHORS = 25          # the list of anchor roots of a batch
    BATCH_RECORDS = 26    # (records digest so far, one transaction record) -> records digest


def _initial_state(tag: int, length: int) -> list[int]:
    if not 0 <= tag < P or not 0 <= length < P:
        raise ParameterError("sponge tag and length must be field elements")
    return [0] * RATE + [tag, length] + [0] * (WIDTH - RATE - 2)


def hash_elements_reference(tag: int, inputs: Sequence[int]) -> Digest:
    """The sponge on the plain permutation (reference path)."""
    inputs = check_elements(inputs, "inputs")
    state = _initial_state(int(tag), len(inputs))
    blocks = max(1, -(-len(inputs) // RATE))
    for b in range(blocks):
        chunk = inputs[b * RATE:(b + 1) * RATE]
        state[:RATE] = chunk + [0] * (RATE - len(chunk))
        state = permute(state)
    return tuple(state[:DIGEST_LEN])


def hash_elements(tag: int, inputs: Sequence[int]) -> Digest:
    """Sponge digest of a sequence of canonical field elements under ``tag`` (fast path: every
    block in one numba call; equal to hash_elements_reference, which the tests check)."""
    inputs = check_elements(inputs, "inputs")
    state = np.array(_initial_state(int(tag), len(inputs)), np.uint32)
    blocks = max(1, -(-len(inputs) // RATE))
    padded = np.zeros(blocks * RATE, np.uint32)
    padded[:len(inputs)] = inputs
    out = absorb_blocks(state, padded.reshape(blocks, RATE))
    return tuple(int(x) for x in out[:DIGEST_LEN])


def _compress_input(left: Sequence[int], right: Sequence[int]) -> list[int]:
    x = check_elements(list(left) + list(right), "compress input")
    if len(left) != DIGEST_LEN or len(right) != DIGEST_LEN:
        raise ParameterError("compress takes two digests of 8 elements")
    return x


def compress(left: Sequence[int], right: Sequence[int]) -> Digest:
    """Two digests to one: Trunc_8(P(l || r) + (l || r)) (numba kernel; the tests compare it
    with the README permutation and with ``compress_reference``)."""
    x = _compress_input(left, right)
    out = _compress_one(np.array(x, np.uint32), *mont_tables32(16))
    return tuple(int(v) for v in out)


def compress_reference(left: Sequence[int], right: Sequence[int]) -> Digest:
    """``compress`` on the plain permutation (reference path)."""
    x = _compress_input(left, right)
    y = permute(x)
    return tuple((y[i] + x[i]) % P for i in range(DIGEST_LEN))


# -- batched kernels -------------------------------------------------------------------------

_LANES = 128
_R2 = np.uint32(R2_MOD_P)
_PP = np.uint32(P)
_ONE = np.uint32(1)


@nb.njit(parallel=True, cache=True)
def _hash_columns(mat, salt, tag, ext_init, internal, ext_final, diag):
    """Sponge digest of every column j of the stacked matrix [mat; salt] (shapes (C,N), (S,N))."""
    c_main = mat.shape[0]
    c_salt = salt.shape[0]
    total = c_main + c_salt
    n = mat.shape[1] if c_main > 0 else salt.shape[1]
    out = np.empty((n, 8), np.uint32)
    blocks = max(1, (total + 7) // 8)
    nchunks = (n + _LANES - 1) // _LANES
    bad = np.zeros(nchunks, np.uint8)
    tag_m = mmul32(np.uint32(tag), _R2)
    len_m = mmul32(np.uint32(total), _R2)
    for ch in nb.prange(nchunks):
        start = ch * _LANES
        lanes = min(_LANES, n - start)
        st = np.zeros((16, _LANES), np.uint32)
        for l in range(lanes):
            st[8, l] = tag_m
            st[9, l] = len_m
        for b in range(blocks):
            for i in range(8):
                col = b * 8 + i
                if col < c_main:
                    for l in range(lanes):
                        x = mat[col, start + l]
                        if x >= _PP:
                            bad[ch] = 1
                        st[i, l] = mmul32(x, _R2)
                elif col < total:
                    for l in range(lanes):
                        x = salt[col - c_main, start + l]
                        if x >= _PP:
                            bad[ch] = 1
                        st[i, l] = mmul32(x, _R2)
                else:
                    for l in range(lanes):
                        st[i, l] = 0
            permute_soa(st, ext_init, internal, ext_final, diag, lanes)
        for i in range(8):
            for l in range(lanes):
                out[start + l, i] = mmul32(st[i, l], _ONE)
    return out, bad.any()


@nb.njit(cache=True)
def _compress_one(x, ext_init, internal, ext_final, diag):
    """compress of one 16-element input (the plain tree code calls it thousands of times: about
    5 us here against 0.14 ms on the plain permutation)."""
    st = np.empty((16, 1), np.uint32)
    xm = np.empty(16, np.uint32)
    for i in range(16):
        xm[i] = mmul32(x[i], _R2)
        st[i, 0] = xm[i]
    permute_soa(st, ext_init, internal, ext_final, diag, 1)
    out = np.empty(8, np.uint32)
    for i in range(8):
        out[i] = mmul32(madd32(st[i, 0], xm[i]), _ONE)
    return out


@nb.njit(parallel=True, cache=True)
def _compress_pairs(left, right, ext_init, internal, ext_final, diag):
    n = left.shape[0]
    out = np.empty((n, 8), np.uint32)
    nchunks = (n + _LANES - 1) // _LANES
    for ch in nb.prange(nchunks):
        start = ch * _LANES
        lanes = min(_LANES, n - start)
        st = np.empty((16, _LANES), np.uint32)
        x = np.empty((8, _LANES), np.uint32)
        for i in range(8):
            for l in range(lanes):
                st[i, l] = mmul32(left[start + l, i], _R2)
                st[i + 8, l] = mmul32(right[start + l, i], _R2)
                x[i, l] = st[i, l]
        permute_soa(st, ext_init, internal, ext_final, diag, lanes)
        for i in range(8):
            for l in range(lanes):
                out[start + l, i] = mmul32(madd32(st[i, l], x[i, l]), _ONE)
    return out


_EMPTY = np.zeros((0, 0), np.uint32)


def hash_columns(mat: np.ndarray, tag: int, salt: np.ndarray | None = None) -> np.ndarray:
    """Digest (shape (N, 8)) of each column of ``mat`` (shape (C, N)), salt rows appended."""
    mat = np.ascontiguousarray(mat, dtype=np.uint32)
    n = mat.shape[1]
    salt_arr = np.zeros((0, n), np.uint32) if salt is None else np.ascontiguousarray(salt, dtype=np.uint32)
    if salt_arr.shape[1] != n:
        raise ParameterError("salt must have one column per leaf")
    out, bad = _hash_columns(mat, salt_arr, np.uint64(int(tag)), *mont_tables32(16))
    if bad:
        raise ParameterError("hash_columns: elements must be canonical (< p)")
    return out


def compress_pairs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Row-wise compress(left[i], right[i]) for two (n, 8) digest arrays."""
    left = np.ascontiguousarray(left, dtype=np.uint32)
    right = np.ascontiguousarray(right, dtype=np.uint32)
    if left.shape != right.shape or left.ndim != 2 or left.shape[1] != DIGEST_LEN:
        raise ParameterError("compress_pairs takes two (n, 8) arrays")
    for arr in (left, right):
        if arr.size and int(arr.max()) >= P:
            raise ParameterError("compress_pairs: elements must be canonical (< p)")
    return _compress_pairs(left, right, *mont_tables32(16))
