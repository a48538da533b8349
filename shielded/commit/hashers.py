"""The two hashes a Merkle tree can use, behind one interface (STYLE.md rule 8).

Poseidon2: a leaf is the sponge digest (Tag.MERKLE_LEAF) of its row followed by its salt; a node is
compress(left, right).  Digests are arrays of 8 uint32 elements.

Keccak-256: a leaf is keccak256(0x00 || row || salt) with every element as a 4-byte big-endian
word; a node is keccak256(0x01 || left || right).  Digests are 32-byte arrays (uint8).  This is
the hash of the L1-facing proof, where the EVM pays for hashing.
"""

from __future__ import annotations

import numpy as np

from shielded.errors import ParameterError
from shielded.hash.keccak_batch import keccak256_columns, keccak256_rows
from shielded.hash.sponge import Tag, compress_pairs, hash_columns


class PoseidonHasher:
    name = "poseidon2"
    digest_width = 8
    digest_dtype = np.uint32

    def hash_leaves(self, mat: np.ndarray, salt: np.ndarray | None = None) -> np.ndarray:
        """Digests (N, 8) of the N columns of ``mat`` (C, N), with salt rows (S, N) appended."""
        return hash_columns(mat, Tag.MERKLE_LEAF, salt)

    def hash_rows(self, rows: np.ndarray) -> np.ndarray:
        """Digests of leaves given as rows (N, C) (salt already appended)."""
        return hash_columns(np.ascontiguousarray(np.asarray(rows, np.uint32).T), Tag.MERKLE_LEAF)

    def compress(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return compress_pairs(left, right)


class KeccakHasher:
    name = "keccak"
    digest_width = 32
    digest_dtype = np.uint8

    def hash_rows(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, np.uint32)
        msgs = np.empty((rows.shape[0], 1 + 4 * rows.shape[1]), np.uint8)
        msgs[:, 0] = 0x00
        msgs[:, 1:] = np.ascontiguousarray(rows.astype(">u4")).view(np.uint8).reshape(rows.shape[0], -1)
        return keccak256_rows(msgs)

    def hash_leaves(self, mat: np.ndarray, salt: np.ndarray | None = None) -> np.ndarray:
        """keccak256(0x00 || column j || its salt) for every column, read in place."""
        return keccak256_columns(mat, salt, 0x00)

    def compress(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        msgs = np.empty((left.shape[0], 65), np.uint8)
        msgs[:, 0] = 0x01
        msgs[:, 1:33] = left
        msgs[:, 33:] = right
        return keccak256_rows(msgs)


POSEIDON = PoseidonHasher()
KECCAK = KeccakHasher()


def hasher_for(name: str):
    if name == "poseidon2":
        return POSEIDON
    if name == "keccak":
        return KECCAK
    raise ParameterError(f"hash must be 'poseidon2' or 'keccak', got {name!r}")
