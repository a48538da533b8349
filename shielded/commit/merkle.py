"""Merkle trees over matrices: a leaf is a row of values (plus optional salt), with caps and
deduplicated batch openings (SPEC.md, "Merkle commitments").

The matrix is stored as (C, N): C polynomials evaluated at N points; leaf j is column j.  The
commitment is the cap: the 2^h nodes at height h below the root (h = cap height), so an opening
path stops h levels short of the root.

A batch opening of a set of leaf indices lists, level by level from the leaves up to the cap,
the sibling digests that the verifier cannot compute itself, in increasing index order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shielded.errors import ParameterError


@dataclass(frozen=True)
class BatchOpening:
    """Sibling digests for a set of leaves; shape (k, digest_width)."""

    siblings: np.ndarray


def effective_cap_height(num_leaves: int, cap_height: int) -> int:
    log_n = num_leaves.bit_length() - 1
    return min(cap_height, log_n)


class MerkleTree:
    def __init__(self, hasher, mat: np.ndarray, cap_height: int, salt: np.ndarray | None = None):
        mat = np.ascontiguousarray(mat, dtype=np.uint32)
        if mat.ndim != 2:
            raise ParameterError("a Merkle tree commits to a (C, N) matrix")
        n = mat.shape[1]
        if n == 0 or n & (n - 1):
            raise ParameterError(f"the number of leaves must be a power of two, got {n}")
        if salt is not None and salt.shape[1] != n:
            raise ParameterError("salt must have one column per leaf")
        self.hasher = hasher
        self.mat = mat
        self.salt = salt
        self.cap_height = effective_cap_height(n, cap_height)
        layers = [hasher.hash_leaves(mat, salt)]
        while layers[-1].shape[0] > (1 << self.cap_height):
            cur = layers[-1]
            layers.append(hasher.compress(cur[0::2], cur[1::2]))
        self.layers = layers

    @property
    def num_leaves(self) -> int:
        return self.mat.shape[1]

    @property
    def cap(self) -> np.ndarray:
        return self.layers[-1]

    def leaf(self, index: int) -> np.ndarray:
        """Row values of a leaf followed by its salt."""
        row = self.mat[:, index]
        if self.salt is None or self.salt.shape[0] == 0:
            return row.copy()
        return np.concatenate([row, self.salt[:, index]])

    def open_batch(self, indices) -> BatchOpening:
        known = sorted(set(int(i) for i in indices))
        sibs = []
        for level in self.layers[:-1]:
            known_set = set(known)
            for i in known:
                s = i ^ 1
                if s not in known_set:
                    sibs.append(level[s])
            known = sorted(set(i >> 1 for i in known))
        width = self.hasher.digest_width
        arr = np.array(sibs, dtype=self.hasher.digest_dtype).reshape(len(sibs), width)
        return BatchOpening(arr)

    def path(self, index: int) -> np.ndarray:
        """Siblings of one leaf, from the bottom up to the cap (for fixed-shape verifiers)."""
        out = []
        i = int(index)
        for level in self.layers[:-1]:
            out.append(level[i ^ 1])
            i >>= 1
        return np.array(out, dtype=self.hasher.digest_dtype).reshape(len(out), self.hasher.digest_width)


def batch_sibling_count(indices, log_leaves: int, cap_height: int) -> int:
    """How many siblings a batch opening of these indices holds (used to parse proofs)."""
    known = sorted(set(int(i) for i in indices))
    count = 0
    for _ in range(log_leaves - cap_height):
        known_set = set(known)
        count += sum(1 for i in known if (i ^ 1) not in known_set)
        known = sorted(set(i >> 1 for i in known))
    return count


def verify_batch(hasher, cap: np.ndarray, log_leaves: int, indices, leaf_digests: dict,
                 opening: BatchOpening) -> bool:
    """Check that the leaves with these digests ({index: digest}) sit at those indices under the
    cap.  Returns False on any mismatch, including a sibling count that does not fit."""
    cap_height = effective_cap_height(1 << log_leaves, cap.shape[0].bit_length() - 1)
    if cap.shape[0] != 1 << cap_height:
        return False
    known = sorted(set(int(i) for i in indices))
    if any(not 0 <= i < (1 << log_leaves) for i in known) or set(leaf_digests) != set(known):
        return False
    nodes = {i: np.asarray(leaf_digests[i]) for i in known}
    sibs = opening.siblings
    pos = 0
    for _ in range(log_leaves - cap_height):
        lefts, rights, parents = [], [], []
        for i in known:
            if i & 1 and (i ^ 1) in nodes:
                continue  # handled with its left sibling
            s = i ^ 1
            if s in nodes:
                sib = nodes[s]
            else:
                if pos >= sibs.shape[0]:
                    return False
                sib = sibs[pos]
                pos += 1
            left, right = (nodes[i], sib) if i % 2 == 0 else (sib, nodes[i])
            lefts.append(left)
            rights.append(right)
            parents.append(i >> 1)
        if parents:
            comp = hasher.compress(np.array(lefts, dtype=hasher.digest_dtype),
                                   np.array(rights, dtype=hasher.digest_dtype))
        nodes = {p: comp[k] for k, p in enumerate(parents)}
        known = sorted(nodes)
    if pos != sibs.shape[0]:
        return False
    return all(np.array_equal(nodes[i], cap[i]) for i in known)


def root_from_path(leaf, index: int, siblings) -> tuple[int, ...]:
    """Plain Merkle root from a leaf digest, its index and the sibling digests from the bottom up
    (Poseidon2 compression; bit i of the index says whether the node at level i is a right child).
    The twin of circuits.gadgets.merkle.merkle_root."""
    from shielded.hash.sponge import compress
    cur = tuple(int(x) for x in leaf)
    for level, sib in enumerate(siblings):
        sib = tuple(int(x) for x in sib)
        cur = compress(sib, cur) if (index >> level) & 1 else compress(cur, sib)
    return cur
