"""Merkle trees with caps and deduplicated batch openings, for both hashers (SPEC.md section 4).

Caps are compared with a tree built here from the plain hash functions; openings must verify, and
every single-point corruption of an opening must make verify_batch return False.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shielded.commit.hashers import KECCAK, POSEIDON, hasher_for
from shielded.commit.merkle import BatchOpening, MerkleTree, batch_sibling_count, verify_batch
from shielded.errors import ParameterError
from shielded.field.koalabear import P
from shielded.hash.keccak import keccak256
from shielded.hash.sponge import Tag, compress, hash_elements

HASHERS = {"poseidon2": POSEIDON, "keccak": KECCAK}


# -- plain reference ---------------------------------------------------------------------------

def ref_leaf(name: str, values: list[int]) -> np.ndarray:
    if name == "poseidon2":
        return np.array(hash_elements(Tag.MERKLE_LEAF, values), np.uint32)
    data = b"\x00" + b"".join(v.to_bytes(4, "big") for v in values)
    return np.frombuffer(keccak256(data), np.uint8)


def ref_node(name: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    if name == "poseidon2":
        return np.array(compress(left.tolist(), right.tolist()), np.uint32)
    return np.frombuffer(keccak256(b"\x01" + left.tobytes() + right.tobytes()), np.uint8)


def ref_cap(name: str, mat: np.ndarray, cap_height: int, salt=None) -> np.ndarray:
    """SPEC 4: hash each column (|| salt), compress pairwise up to 2^min(h, log N) nodes."""
    n = mat.shape[1]
    full = mat if salt is None else np.concatenate([mat, salt])
    level = [ref_leaf(name, full[:, j].tolist()) for j in range(n)]
    target = 1 << min(cap_height, n.bit_length() - 1)
    while len(level) > target:
        level = [ref_node(name, level[2 * i], level[2 * i + 1]) for i in range(len(level) // 2)]
    return np.array(level)


def random_matrix(rows: int, log_n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, P, (rows, 1 << log_n), dtype=np.uint32)


def leaf_digests(tree: MerkleTree, indices) -> dict:
    idx = sorted(set(indices))
    digests = tree.hasher.hash_rows(np.array([tree.leaf(i) for i in idx], np.uint32).reshape(len(idx), -1))
    return {i: digests[k] for k, i in enumerate(idx)}


def flip(digest: np.ndarray) -> np.ndarray:
    """A different valid digest: +1 mod p for Poseidon elements, xor 1 for Keccak bytes."""
    out = digest.copy()
    if out.dtype == np.uint8:
        out[0] ^= 1
    else:
        out[0] = (int(out[0]) + 1) % P
    return out


def ref_sibling_count(indices, log_leaves: int, cap_height: int) -> int:
    """Per level, siblings needed = 2 * (#distinct parents) - (#distinct known nodes)."""
    known = set(indices)
    total = 0
    for _ in range(max(0, log_leaves - cap_height)):
        parents = {i >> 1 for i in known}
        total += 2 * len(parents) - len(known)
        known = parents
    return total


# -- tests -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", HASHERS)
@pytest.mark.parametrize("log_n,cap_height", [(0, 0), (0, 3), (1, 0), (3, 0), (3, 2), (3, 3), (3, 5), (5, 1),
                                              (5, 8)])
def test_cap_matches_reference(name, log_n, cap_height):
    """The cap is the 2^min(h, log N) nodes of the plain tree (h > log N clamps to the leaves)."""
    mat = random_matrix(3, log_n, seed=log_n * 10 + cap_height)
    tree = MerkleTree(HASHERS[name], mat, cap_height)
    expect = ref_cap(name, mat, cap_height)
    assert tree.cap.shape == expect.shape == (1 << min(cap_height, log_n), HASHERS[name].digest_width)
    assert np.array_equal(tree.cap, expect)
    assert tree.num_leaves == 1 << log_n


@pytest.mark.parametrize("name", HASHERS)
def test_hash_rows_equals_hash_leaves(name):
    """Leaves given as rows (N, C) hash like columns of the (C, N) matrix."""
    mat = random_matrix(5, 3, seed=1)
    h = HASHERS[name]
    assert np.array_equal(h.hash_rows(mat.T), h.hash_leaves(mat))
    assert hasher_for(name) is h


@pytest.mark.parametrize("name", HASHERS)
@given(log_n=st.integers(0, 6), cap_height=st.integers(0, 8), data=st.data())
def test_batch_openings_verify(name, log_n, cap_height, data):
    """Random index sets (with duplicates) verify, and the sibling count is exact and predicted."""
    h = HASHERS[name]
    mat = random_matrix(2, log_n, seed=data.draw(st.integers(0, 1000)))
    tree = MerkleTree(h, mat, cap_height)
    indices = data.draw(st.lists(st.integers(0, (1 << log_n) - 1), min_size=1, max_size=8))
    opening = tree.open_batch(indices)
    eff = min(cap_height, log_n)
    count = batch_sibling_count(indices, log_n, eff)
    assert opening.siblings.shape == (count, h.digest_width)
    assert count == ref_sibling_count(indices, log_n, eff)
    assert verify_batch(h, tree.cap, log_n, indices, leaf_digests(tree, indices), opening)


@pytest.mark.parametrize("name", HASHERS)
def test_single_path_matches_batch_opening(name):
    """path(i) is the one-index batch opening and it verifies."""
    tree = MerkleTree(HASHERS[name], random_matrix(2, 4, seed=3), 1)
    for i in (0, 5, 15):
        path = tree.path(i)
        assert path.shape == (3, HASHERS[name].digest_width)
        assert np.array_equal(path, tree.open_batch([i]).siblings)
        assert verify_batch(tree.hasher, tree.cap, 4, [i], leaf_digests(tree, [i]), BatchOpening(path))


# A fixed opening that every corruption test starts from: 32 leaves, cap height 2, indices with a
# duplicate, a sibling pair (6, 7) and leaves under different cap nodes.
LOG_N, CAP_H, INDICES = 5, 2, [3, 3, 6, 7, 20]


def fixed_opening(name: str):
    tree = MerkleTree(HASHERS[name], random_matrix(3, LOG_N, seed=9), CAP_H)
    return tree, leaf_digests(tree, INDICES), tree.open_batch(INDICES)


@pytest.mark.parametrize("name", HASHERS)
def test_fixed_opening_verifies(name):
    """Baseline for the corruption tests below: the untouched opening verifies."""
    tree, leaves, opening = fixed_opening(name)
    assert opening.siblings.shape[0] == ref_sibling_count(INDICES, LOG_N, CAP_H) > 0
    assert verify_batch(tree.hasher, tree.cap, LOG_N, INDICES, leaves, opening)


@pytest.mark.parametrize("name", HASHERS)
def test_changed_sibling_rejected(name):
    """Changing any one sibling digest breaks verification."""
    tree, leaves, opening = fixed_opening(name)
    for k in range(opening.siblings.shape[0]):
        sibs = opening.siblings.copy()
        sibs[k] = flip(sibs[k])
        assert not verify_batch(tree.hasher, tree.cap, LOG_N, INDICES, leaves, BatchOpening(sibs))


@pytest.mark.parametrize("name", HASHERS)
def test_changed_leaf_rejected(name):
    """Changing any one leaf digest (or the leaf values it is computed from) breaks verification."""
    tree, leaves, opening = fixed_opening(name)
    for i in leaves:
        bad = dict(leaves)
        bad[i] = flip(leaves[i])
        assert not verify_batch(tree.hasher, tree.cap, LOG_N, INDICES, bad, opening)
        row = tree.leaf(i)
        row[0] = (int(row[0]) + 1) % P
        bad[i] = tree.hasher.hash_rows(row[None, :])[0]
        assert not verify_batch(tree.hasher, tree.cap, LOG_N, INDICES, bad, opening)


@pytest.mark.parametrize("name", HASHERS)
def test_changed_cap_rejected(name):
    """Changing a cap node above an opened leaf breaks verification; other cap nodes are not read."""
    tree, leaves, opening = fixed_opening(name)
    reached = {i >> (LOG_N - CAP_H) for i in INDICES}
    assert 0 < len(reached) < tree.cap.shape[0]
    for k in range(tree.cap.shape[0]):
        cap = tree.cap.copy()
        cap[k] = flip(cap[k])
        ok = verify_batch(tree.hasher, cap, LOG_N, INDICES, leaves, opening)
        assert ok == (k not in reached)


@pytest.mark.parametrize("name", HASHERS)
def test_changed_index_rejected(name):
    """Claiming an opened leaf sits at another unopened index (one flipped bit per level) fails."""
    tree, leaves, opening = fixed_opening(name)
    distinct = sorted(set(INDICES))
    for old in distinct:
        for new in (old ^ (1 << b) for b in range(LOG_N)):
            if new in leaves:
                continue
            idx = [new if i == old else i for i in distinct]
            moved = {(new if i == old else i): d for i, d in leaves.items()}
            assert not verify_batch(tree.hasher, tree.cap, LOG_N, idx, moved, opening), (old, new)


@pytest.mark.parametrize("name", HASHERS)
def test_missing_or_extra_sibling_rejected(name):
    """The sibling count must be exact: dropping any one, or adding one anywhere, fails."""
    tree, leaves, opening = fixed_opening(name)
    sibs = opening.siblings
    for k in range(sibs.shape[0]):
        fewer = np.delete(sibs, k, axis=0)
        assert not verify_batch(tree.hasher, tree.cap, LOG_N, INDICES, leaves, BatchOpening(fewer))
    for k in range(sibs.shape[0] + 1):
        more = np.insert(sibs, k, sibs[min(k, sibs.shape[0] - 1)], axis=0)
        assert not verify_batch(tree.hasher, tree.cap, LOG_N, INDICES, leaves, BatchOpening(more))


@pytest.mark.parametrize("name", HASHERS)
def test_leaf_set_and_shape_mismatches_rejected(name):
    """Digests for other indices, indices out of range and a wrong-size cap all fail."""
    tree, leaves, opening = fixed_opening(name)
    h = tree.hasher
    partial = dict(leaves)
    partial.pop(20)
    assert not verify_batch(h, tree.cap, LOG_N, INDICES, partial, opening)
    extra = dict(leaves)
    extra[0] = leaves[3]
    assert not verify_batch(h, tree.cap, LOG_N, INDICES, extra, opening)
    assert not verify_batch(h, tree.cap, LOG_N, INDICES + [32], {**leaves, 32: leaves[3]}, opening)
    assert not verify_batch(h, tree.cap, LOG_N, INDICES + [-1], {**leaves, -1: leaves[3]}, opening)
    assert not verify_batch(h, tree.cap[:3], LOG_N, INDICES, leaves, opening)
    assert not verify_batch(h, tree.cap[:2], LOG_N, INDICES, leaves, opening)


@pytest.mark.parametrize("name", HASHERS)
def test_cap_above_leaves_needs_no_siblings(name):
    """With cap_height >= log N the cap is the leaf digests and openings are empty but checked."""
    tree = MerkleTree(HASHERS[name], random_matrix(2, 2, seed=4), 6)
    leaves = leaf_digests(tree, [1, 2])
    opening = tree.open_batch([1, 2])
    assert opening.siblings.shape[0] == 0
    assert verify_batch(tree.hasher, tree.cap, 2, [1, 2], leaves, opening)
    bad = {1: flip(leaves[1]), 2: leaves[2]}
    assert not verify_batch(tree.hasher, tree.cap, 2, [1, 2], bad, opening)


@pytest.mark.parametrize("name", HASHERS)
def test_salt_changes_root_and_verifies(name):
    """Salted leaves hash row || salt: the salt changes the cap, and salted openings verify."""
    mat = random_matrix(3, 3, seed=6)
    salt = random_matrix(4, 3, seed=7)
    h = HASHERS[name]
    plain = MerkleTree(h, mat, 0)
    salted = MerkleTree(h, mat, 0, salt)
    other = MerkleTree(h, mat, 0, (salt + 1) % P)
    assert not np.array_equal(plain.cap, salted.cap)
    assert not np.array_equal(salted.cap, other.cap)
    assert np.array_equal(salted.cap, ref_cap(name, mat, 0, salt))
    assert salted.leaf(5).tolist() == mat[:, 5].tolist() + salt[:, 5].tolist()
    idx = [0, 5]
    assert verify_batch(h, salted.cap, 3, idx, leaf_digests(salted, idx), salted.open_batch(idx))
    # the unsalted leaf digests do not open the salted tree
    unsalted = {i: h.hash_rows(mat[:, i][None, :])[0] for i in idx}
    assert not verify_batch(h, salted.cap, 3, idx, unsalted, salted.open_batch(idx))


@pytest.mark.parametrize("name", HASHERS)
def test_bad_shapes_rejected(name):
    """Non-power-of-two leaf counts, non-matrices and mis-shaped salt raise ParameterError."""
    h = HASHERS[name]
    for mat in (np.zeros((2, 3), np.uint32), np.zeros((2, 0), np.uint32), np.zeros(4, np.uint32)):
        with pytest.raises(ParameterError):
            MerkleTree(h, mat, 0)
    with pytest.raises(ParameterError):
        MerkleTree(h, np.zeros((2, 4), np.uint32), 0, np.zeros((1, 2), np.uint32))
    with pytest.raises(ParameterError):
        hasher_for("sha256")
