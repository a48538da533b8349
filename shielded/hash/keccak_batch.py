"""Keccak-256 over many equal-length messages at once (numba), for the Keccak Merkle trees.

The same function as ``shielded.hash.keccak.keccak256`` (original Keccak padding, as the EVM's
KECCAK256, not SHA3-256): Keccak-f[1600], rate 1088 bits (136 bytes), capacity 512, pad10*1 with
domain byte 0x01, 32-byte output.  The round constants and rotation offsets are derived here from
their definitions in the Keccak reference (the degree-8 LFSR x^8 + x^6 + x^5 + x^4 + 1 for iota;
offsets (t+1)(t+2)/2 along the (x, y) -> (y, 2x + 3y) walk for rho) rather than typed in; the
tests compare every output length class against pycryptodome.
"""

from __future__ import annotations

import numba as nb
import numpy as np

RATE = 136
ROUNDS = 24


def _lfsr_bits(count: int) -> list[int]:
    """Output bits rc(0), rc(1), ... of the Keccak iota LFSR."""
    r, out = 1, []
    for _ in range(count):
        out.append(r & 1)
        r <<= 1
        if r & 0x100:
            r ^= 0x171          # x^8 + x^6 + x^5 + x^4 + 1
    return out


def _round_constants() -> np.ndarray:
    bits = _lfsr_bits(7 * ROUNDS)
    rc = []
    for i in range(ROUNDS):
        v = 0
        for j in range(7):
            if bits[j + 7 * i]:
                v |= 1 << ((1 << j) - 1)
        rc.append(v)
    return np.array(rc, np.uint64)


def _rotation_offsets() -> np.ndarray:
    rot = [0] * 25
    x, y = 1, 0
    for t in range(24):
        rot[x + 5 * y] = ((t + 1) * (t + 2) // 2) % 64
        x, y = y, (2 * x + 3 * y) % 5
    return np.array(rot, np.uint64)


RC = _round_constants()
ROT = _rotation_offsets()


@nb.njit(cache=True, inline="always")
def _rotl(v, r):
    if r == 0:
        return v
    return (v << r) | (v >> (np.uint64(64) - r))


@nb.njit(cache=True)
def _keccak_f(a, b, c, rc, rot):
    for rnd in range(ROUNDS):
        for x in range(5):
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20]
        for x in range(5):
            d = c[(x + 4) % 5] ^ _rotl(c[(x + 1) % 5], np.uint64(1))
            for y in range(5):
                a[x + 5 * y] ^= d
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = _rotl(a[x + 5 * y], rot[x + 5 * y])
        for y in range(5):
            for x in range(5):
                a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y])
        a[0] ^= rc[rnd]


@nb.njit(cache=True, inline="always")
def _pad(byte, pos, length, last):
    """Keccak's pad10*1 applied to the byte at ``pos`` of a ``length``-byte message whose padded
    form ends at ``last``: the message byte, 0x01 just after it, 0x80 on the last byte."""
    if pos == length:
        byte = np.uint64(0x01)
    elif pos > length:
        byte = np.uint64(0)
    if pos == last:
        byte |= np.uint64(0x80)
    return byte


@nb.njit(cache=True, inline="always")
def _squeeze(a, out, i):
    """The 32-byte digest (the first four lanes, little-endian) into out[i]."""
    for k in range(4):
        for t in range(8):
            out[i, 8 * k + t] = np.uint8((a[k] >> np.uint64(8 * t)) & np.uint64(0xFF))


@nb.njit(parallel=True, cache=True)
def _keccak256_rows(msgs, out, rc, rot):
    n, length = msgs.shape
    blocks = length // RATE + 1            # padding adds at least one byte
    for i in nb.prange(n):
        a = np.zeros(25, np.uint64)
        b = np.empty(25, np.uint64)
        c = np.empty(5, np.uint64)
        for blk in range(blocks):
            base = blk * RATE
            for k in range(RATE // 8):
                lane = np.uint64(0)
                for t in range(8):
                    pos = base + 8 * k + t
                    byte = np.uint64(msgs[i, pos]) if pos < length else np.uint64(0)
                    lane |= _pad(byte, pos, length, blocks * RATE - 1) << np.uint64(8 * t)
                a[k] ^= lane
            _keccak_f(a, b, c, rc, rot)
        _squeeze(a, out, i)


def keccak256_rows(msgs: np.ndarray) -> np.ndarray:
    """Keccak-256 of each row of a (N, L) uint8 array: an (N, 32) uint8 array."""
    msgs = np.ascontiguousarray(msgs, dtype=np.uint8)
    if msgs.ndim != 2:
        raise ValueError("messages must be a 2-D array of bytes, one message per row")
    out = np.empty((msgs.shape[0], 32), np.uint8)
    if msgs.shape[0]:
        _keccak256_rows(msgs, out, RC, ROT)
    return out


@nb.njit(parallel=True, cache=True)
def _keccak256_columns(mat, salt, prefix, out, rc, rot):
    """Keccak-256 of prefix || column j of [mat; salt] as 4-byte big-endian words, for every j."""
    c_main = mat.shape[0]
    total = c_main + salt.shape[0]
    n = out.shape[0]
    length = 1 + 4 * total
    blocks = length // RATE + 1
    for i in nb.prange(n):
        a = np.zeros(25, np.uint64)
        b = np.empty(25, np.uint64)
        c = np.empty(5, np.uint64)
        for blk in range(blocks):
            base = blk * RATE
            for k in range(RATE // 8):
                lane = np.uint64(0)
                for t in range(8):
                    pos = base + 8 * k + t
                    byte = np.uint64(0)
                    if pos == 0:
                        byte = np.uint64(prefix)
                    elif pos < length:
                        e = (pos - 1) >> 2
                        v = np.uint64(mat[e, i]) if e < c_main else np.uint64(salt[e - c_main, i])
                        byte = (v >> np.uint64(8 * (3 - ((pos - 1) & 3)))) & np.uint64(0xFF)
                    lane |= _pad(byte, pos, length, blocks * RATE - 1) << np.uint64(8 * t)
                a[k] ^= lane
            _keccak_f(a, b, c, rc, rot)
        _squeeze(a, out, i)


def keccak256_columns(mat: np.ndarray, salt: np.ndarray | None = None, prefix: int = 0) -> np.ndarray:
    """Keccak-256 of ``prefix`` (one byte) followed by column j of ``mat`` (C, N) and then of
    ``salt`` (S, N), every element a 4-byte big-endian word: an (N, 32) uint8 array.  The same
    digests as keccak256_rows of those messages, without building them."""
    mat = np.ascontiguousarray(mat, dtype=np.uint32)
    if mat.ndim != 2:
        raise ValueError("a matrix of columns is a 2-D array")
    n = mat.shape[1]
    salt = np.zeros((0, n), np.uint32) if salt is None else np.ascontiguousarray(salt, dtype=np.uint32)
    if salt.ndim != 2 or salt.shape[1] != n:
        raise ValueError("salt must have one column per leaf")
    if not 0 <= prefix < 256:
        raise ValueError("the prefix is one byte")
    out = np.empty((n, 32), np.uint8)
    if n:
        _keccak256_columns(mat, salt, np.uint8(prefix), out, RC, ROT)
    return out
