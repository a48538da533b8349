"""The indexed nullifier tree (shielded/state/nullifier_tree.py) against a naive model written here.

The model is a Python set of key integers, key(nf) = sum_j (nf_j mod 2^30) 2^(30 j) over j < 4,
and the Merkle root is recomputed from scratch from ``tree.leaves``:

    leaf digest = H(NULLIFIER_LEAF, key limbs || next_index || next key limbs), unused = 0^8;
    node = compress(left, right); missing leaves are 0^8; bit h of a position: right child.

After any sequence of inserts, the linked list from the sentinel visits the keys in increasing
order and equals sorted(model); a present key (including one reached through a second limb
representative nf_j + 2^30) raises NullifierExists and changes nothing; a full tree raises
TreeFullError and changes nothing; each InsertionWitness opens the roots before and after.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shielded.commit.merkle import root_from_path
from shielded.field.koalabear import P
from shielded.hash.sponge import Tag, compress, hash_elements
from shielded.state.note_tree import TreeFullError
from shielded.state.nullifier_tree import (SENTINEL, InsertionWitness, NullifierExists, NullifierLeaf,
                                           NullifierTree, key_int, nullifier_key)
from shielded.testing import field_elements

ZERO = (0,) * 8
LIMB = 1 << 30
ALIAS_MAX = P - LIMB - 1           # nf_j <= ALIAS_MAX  <=>  nf_j + 2^30 < p

# -- the naive model ---------------------------------------------------------------------------


def model_key(nf) -> int:
    """key(nf) from the docstring, written without the module's helpers."""
    return sum((int(nf[j]) % LIMB) << (30 * j) for j in range(4))


def model_limbs(k: int) -> list[int]:
    return [(k >> (30 * j)) % LIMB for j in range(4)]


def model_leaf_digest(leaf: NullifierLeaf) -> tuple:
    key, next_key = key_int(leaf.key), key_int(leaf.next_key)
    return tuple(hash_elements(Tag.NULLIFIER_LEAF, model_limbs(key) + [leaf.next_index] + model_limbs(next_key)))


def naive_root(depth: int, digests: list) -> tuple:
    level = [tuple(d) for d in digests] + [ZERO] * ((1 << depth) - len(digests))
    for _ in range(depth):
        level = [tuple(compress(level[2 * i], level[2 * i + 1])) for i in range(len(level) // 2)]
    return level[0]


def linked_keys(tree: NullifierTree) -> list[int]:
    """Walk the list from the sentinel; every leaf's next key is its successor's key."""
    out, index, seen = [], 0, set()
    while True:
        assert index not in seen, "the linked list has a cycle"
        seen.add(index)
        leaf = tree.leaves[index]
        out.append(key_int(leaf.key))
        if key_int(leaf.next_key) == 0:
            assert leaf.next_index == 0, "the end of the list points at the sentinel"
            return out
        assert tree.leaves[leaf.next_index].key == leaf.next_key
        index = leaf.next_index


def snapshot(tree: NullifierTree) -> tuple:
    return tree.root(), tree.size, list(tree.leaves)


def assert_matches_model(tree: NullifierTree, model: set[int]) -> None:
    assert tree.size == len(model) + 1 == len(tree.leaves)
    assert linked_keys(tree) == [0] + sorted(model)
    assert tree.root() == naive_root(tree.depth, [model_leaf_digest(x) for x in tree.leaves])


def assert_witness_consistent(w: InsertionWitness, before: list, key: int, root_after) -> None:
    """The low leaf is the predecessor of key and opens root_before; the updated low leaf with the
    same path gives the middle root, where position new_index is still empty; the new leaf with
    new_path gives root_after."""
    low = w.low_leaf
    assert before[w.low_index] == low
    assert w.new_index == len(before)
    assert key_int(low.key) < key and (key_int(low.next_key) == 0 or key < key_int(low.next_key))
    assert w.root_before == naive_root(len(w.low_path), [model_leaf_digest(x) for x in before])
    assert root_from_path(model_leaf_digest(low), w.low_index, w.low_path) == w.root_before
    updated = NullifierLeaf(low.key, w.new_index, tuple(model_limbs(key)))
    mid = root_from_path(model_leaf_digest(updated), w.low_index, w.low_path)
    assert root_from_path(ZERO, w.new_index, w.new_path) == mid
    new = NullifierLeaf(tuple(model_limbs(key)), low.next_index, low.next_key)
    assert root_from_path(model_leaf_digest(new), w.new_index, w.new_path) == w.root_after == root_after


# -- strategies --------------------------------------------------------------------------------

# limb values at the edges: 0 and 2^30 share limb 0, 2^30 - 1 is the largest limb, p - 1 gives
# 2^30 - 2^24, the largest limb of a value >= 2^30
EDGE = st.sampled_from([0, 1, LIMB - 1, LIMB, ALIAS_MAX, P - 1])
nullifiers = st.tuples(*[EDGE | field_elements()] * 8)


@st.composite
def operations(draw, max_ops: int = 20):
    """A list of nullifiers to insert: fresh ones, repeats and aliases (nf_j -> nf_j +- 2^30)."""
    out = []
    for _ in range(draw(st.integers(0, max_ops))):
        kind = draw(st.sampled_from(["fresh", "fresh", "repeat", "alias"]) if out else st.just("fresh"))
        if kind == "fresh":
            out.append(draw(nullifiers))
            continue
        nf = list(draw(st.sampled_from(out)))
        if kind == "alias":
            j = draw(st.integers(0, 3))
            if nf[j] <= ALIAS_MAX:
                nf[j] += LIMB
            elif nf[j] >= LIMB:
                nf[j] -= LIMB
            nf[4 + draw(st.integers(0, 3))] = draw(field_elements())    # elements 4..7 are not in the key
        out.append(tuple(nf))
    return out


# -- the key -----------------------------------------------------------------------------------


@given(nullifiers)
def test_nullifier_key_is_four_30_bit_limbs(nf):
    key = nullifier_key(nf)
    assert list(key) == model_limbs(model_key(nf))
    assert key_int(key) == model_key(nf)
    assert all(0 <= x < LIMB for x in key)


@given(nullifiers, st.integers(0, 3), field_elements(0, ALIAS_MAX))
def test_nf_j_and_nf_j_plus_2_30_give_one_key(nf, j, low):
    """The two representatives of one limb (both < p) give one key: the second insert is a double
    spend, whichever of the two comes first."""
    a, b = list(nf), list(nf)
    a[j], b[j] = low, low + LIMB
    assert b[j] < P
    assert nullifier_key(a) == nullifier_key(b)
    for first, second in ((a, b), (b, a)):
        tree = NullifierTree(4)
        if model_key(first) == 0:                      # the sentinel's key is present from the start
            with pytest.raises(NullifierExists):
                tree.insert(first)
            continue
        tree.insert(first)
        assert tree.contains(second)
        before = snapshot(tree)
        with pytest.raises(NullifierExists):
            tree.insert(second)
        assert snapshot(tree) == before


@pytest.mark.parametrize("nf", [(0,) * 8, (LIMB, 0, LIMB, LIMB) + (5,) * 4, (LIMB,) * 4 + (1,) * 4],
                         ids=["zero", "mixed", "all 2^30"])
def test_a_nullifier_with_key_0_is_the_sentinel(nf):
    """Key 0 is the sentinel's: it is always present, so it can never be inserted."""
    tree = NullifierTree(3)
    assert model_key(nf) == 0 and tree.contains(nf)
    before = snapshot(tree)
    with pytest.raises(NullifierExists):
        tree.insert(nf)
    assert snapshot(tree) == before


def test_leaf_digest_is_the_spec_formula():
    leaf = NullifierLeaf((1, 2, 3, 4), 7, (5, 6, 7, 8))
    assert leaf.digest() == tuple(hash_elements(Tag.NULLIFIER_LEAF, [1, 2, 3, 4, 7, 5, 6, 7, 8]))
    assert SENTINEL == NullifierLeaf((0,) * 4, 0, (0,) * 4)


# -- inserts against the model -----------------------------------------------------------------


def test_a_new_tree_holds_only_the_sentinel():
    tree = NullifierTree(4)
    assert tree.leaves == [SENTINEL]
    assert_matches_model(tree, set())


@settings(max_examples=30)
@given(st.sampled_from([2, 4, 5]), operations())
def test_inserts_match_the_model(depth, ops):
    tree, model = NullifierTree(depth), set()
    for nf in ops:
        k = model_key(nf)
        assert tree.contains(nf) == (k in model or k == 0)
        before = snapshot(tree)
        if k in model or k == 0:
            with pytest.raises(NullifierExists):
                tree.insert(nf)
            assert snapshot(tree) == before
        elif tree.size == 1 << depth:
            with pytest.raises(TreeFullError):
                tree.insert(nf)
            assert snapshot(tree) == before and not tree.contains(nf)
        else:
            w = tree.insert(nf)
            assert_witness_consistent(w, before[2], k, tree.root())
            model.add(k)
            assert tree.contains(nf)
        assert_matches_model(tree, model)


@settings(max_examples=20)
@given(st.lists(nullifiers, min_size=1, max_size=12, unique_by=model_key), st.randoms(use_true_random=False))
def test_the_final_state_does_not_depend_on_insertion_order_except_positions(nfs, rnd):
    """Two orders of the same keys give the same sorted list (positions and roots differ)."""
    nfs = [nf for nf in nfs if model_key(nf) != 0]
    shuffled = list(nfs)
    rnd.shuffle(shuffled)
    a, b = NullifierTree(4), NullifierTree(4)
    for nf in nfs:
        a.insert(nf)
    for nf in shuffled:
        b.insert(nf)
    assert linked_keys(a) == linked_keys(b) == [0] + sorted(model_key(nf) for nf in nfs)


@settings(max_examples=20)
@given(st.lists(nullifiers, min_size=1, max_size=10, unique_by=model_key), st.data())
def test_a_double_insert_changes_nothing(nfs, data):
    tree = NullifierTree(4)
    inserted = []
    for nf in nfs:
        if model_key(nf) != 0:
            tree.insert(nf)
            inserted.append(nf)
    if not inserted:
        return
    again = data.draw(st.sampled_from(inserted))
    before = snapshot(tree)
    internals = copy.deepcopy((tree.tree.nodes, tree.tree.frontier))
    with pytest.raises(NullifierExists):
        tree.insert(again)
    assert snapshot(tree) == before
    assert (tree.tree.nodes, tree.tree.frontier) == internals
    assert_matches_model(tree, {model_key(nf) for nf in inserted})


# -- a full tree -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_a_full_tree_refuses_an_insert_and_changes_nothing(depth):
    tree, model = NullifierTree(depth), set()
    for i in range((1 << depth) - 1):
        nf = (7 * i + 3, i, 0, 1) + (0,) * 4
        tree.insert(nf)
        model.add(model_key(nf))
    assert tree.size == 1 << depth
    assert_matches_model(tree, model)
    fresh = [(5, 5, 5, 5) + (0,) * 4, (LIMB - 1,) * 4 + (0,) * 4, (1, 0, 0, 0) + (9,) * 4]
    for nf in fresh:
        assert model_key(nf) not in model
        before = snapshot(tree)
        with pytest.raises(TreeFullError):
            tree.insert(nf)
        assert snapshot(tree) == before
        assert not tree.contains(nf)
        assert_matches_model(tree, model)
    # a present key is still a double spend, not a full tree
    for k in model | {0}:
        with pytest.raises(NullifierExists):
            tree.insert(tuple(model_limbs(k)) + (0,) * 4)
