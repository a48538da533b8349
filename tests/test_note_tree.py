"""The note tree (SPEC.md section 19), against a naive full-tree computation written here.

    EMPTY[0] = 0^8, EMPTY[h+1] = compress(EMPTY[h], EMPTY[h]); node = compress(left, right);
    missing leaves are EMPTY[0]; position i's path bit at level h is bit h of i (1: right child);
    the ledger keeps the last root_window roots.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shielded.commit.merkle import root_from_path
from shielded.errors import ParameterError
from shielded.field.koalabear import P
from shielded.hash.sponge import compress
from shielded.state.note_tree import IncrementalWitness, NoteTree, RootHistory, TreeFullError, empty_roots
from shielded.testing.protocol import tree_states

ZERO = (0,) * 8
LEAF = st.tuples(*([st.integers(0, P - 1)] * 8))


def naive_levels(depth: int, leaves: list) -> list[list]:
    """levels[h] = all 2^(depth-h) nodes at height h of the full tree, missing leaves = 0^8."""
    level = [tuple(x) for x in leaves] + [ZERO] * ((1 << depth) - len(leaves))
    levels = [level]
    for _ in range(depth):
        level = [tuple(compress(level[2 * i], level[2 * i + 1])) for i in range(len(level) // 2)]
        levels.append(level)
    return levels


def naive_root(depth: int, leaves: list):
    return naive_levels(depth, leaves)[depth][0]


def naive_path(levels: list, position: int) -> list:
    return [levels[h][(position >> h) ^ 1] for h in range(len(levels) - 1)]


def naive_root_from_path(leaf, position, siblings):
    cur = tuple(leaf)
    for h, sib in enumerate(siblings):
        right = (position >> h) & 1
        cur = tuple(compress(tuple(sib), cur) if right else compress(cur, tuple(sib)))
    return cur


def leaf_seq(n: int, seed: int = 0) -> list:
    return [tuple((seed * 1000003 + 8 * i + j) % P for j in range(8)) for i in range(n)]


def test_empty_roots_match_spec():
    e = empty_roots(8)
    assert e[0] == ZERO and len(e) == 9
    for h in range(8):
        assert e[h + 1] == tuple(compress(e[h], e[h]))
    for d in range(0, 6):
        assert NoteTree(d).root() == naive_root(d, []) == empty_roots(d)[d]


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4])
def test_root_every_fill_level(depth):
    """Every size from empty to full, at small depths."""
    leaves = leaf_seq(1 << depth, seed=depth)
    tree = NoteTree(depth, keep_nodes=True)
    assert tree.root() == naive_root(depth, [])
    for n, leaf in enumerate(leaves, start=1):
        assert tree.append(leaf) == n - 1
        assert tree.size == n
        assert tree.root() == naive_root(depth, leaves[:n]), (depth, n)


@given(st.integers(1, 6).flatmap(lambda d: st.tuples(st.just(d), st.lists(LEAF, max_size=1 << d))))
def test_root_and_paths_random_fills(case):
    depth, leaves = case
    tree = NoteTree(depth, keep_nodes=True)
    for leaf in leaves:
        tree.append(leaf)
    levels = naive_levels(depth, leaves)
    root = levels[depth][0]
    assert tree.root() == root
    for pos, leaf in enumerate(leaves):
        path = tree.path(pos)
        assert [tuple(x) for x in path] == naive_path(levels, pos)
        assert root_from_path(leaf, pos, path) == root
        assert naive_root_from_path(leaf, pos, path) == root


@given(tree_states(8, 1, 20))
def test_depth8_paths_verify(tree):
    root = tree.root()
    for pos in range(tree.size):
        leaf = tree.nodes[(0, pos)]
        assert root_from_path(leaf, pos, tree.path(pos)) == root
        # the wrong direction at level 0 does not verify (unless leaf and sibling are equal)
        if tuple(tree.path(pos)[0]) != leaf:
            assert root_from_path(leaf, pos ^ 1, tree.path(pos)) != root


def test_depth8_root_matches_naive():
    leaves = leaf_seq(77, seed=5)
    tree = NoteTree(8)
    for leaf in leaves:
        tree.append(leaf)
    assert tree.root() == naive_root(8, leaves)


def test_root_from_path_matches_spec_direction_bits():
    """Bit h of the index = 1 means the running node is the right child at level h."""
    leaf, sibs = (5,) * 8, [(h + 1,) * 8 for h in range(3)]
    for index in range(8):
        assert root_from_path(leaf, index, sibs) == naive_root_from_path(leaf, index, sibs)
    assert root_from_path(leaf, 0, sibs[:1]) == tuple(compress(leaf, sibs[0]))
    assert root_from_path(leaf, 1, sibs[:1]) == tuple(compress(sibs[0], leaf))


@pytest.mark.parametrize("depth", [1, 3, 5])
def test_full_tree_root_and_tree_full(depth):
    leaves = leaf_seq(1 << depth, seed=11)
    tree = NoteTree(depth, keep_nodes=True)
    for leaf in leaves:
        tree.append(leaf)
    full = naive_root(depth, leaves)
    assert tree.root() == full
    levels = naive_levels(depth, leaves)
    for pos in range(1 << depth):
        assert [tuple(x) for x in tree.path(pos)] == naive_path(levels, pos)
    with pytest.raises(TreeFullError, match="full"):
        tree.append((1,) * 8)
    # nothing changed
    assert tree.size == 1 << depth and tree.root() == full


def test_depth_zero_tree():
    tree = NoteTree(0, keep_nodes=True)
    assert tree.root() == ZERO
    tree.append((3,) * 8)
    assert tree.root() == (3,) * 8
    with pytest.raises(TreeFullError):
        tree.append((4,) * 8)


@pytest.mark.parametrize("depth", [-1, 33])
def test_bad_depth(depth):
    with pytest.raises(ParameterError, match="depth"):
        NoteTree(depth)


def test_path_needs_nodes_and_a_present_position():
    tree = NoteTree(4)
    tree.append((1,) * 8)
    with pytest.raises(ParameterError, match="keep_nodes"):
        tree.path(0)
    tree = NoteTree(4, keep_nodes=True)
    tree.append((1,) * 8)
    for bad in (1, 5, -1):
        with pytest.raises(ParameterError, match="not in the tree"):
            tree.path(bad)


# -- incremental witnesses --------------------------------------------------------------------

@given(st.integers(1, 5).flatmap(
    lambda d: st.tuples(st.just(d), st.lists(LEAF, min_size=1, max_size=1 << d),
                        st.sets(st.integers(0, (1 << d) - 1)))))
def test_incremental_witnesses_follow_operator_paths(case):
    """A frontier-only tree with a witness for chosen leaves, against the operator's paths after
    every append."""
    depth, leaves, tracked = case
    operator = NoteTree(depth, keep_nodes=True)
    wallet = NoteTree(depth)
    witnesses: dict[int, IncrementalWitness] = {}
    for leaf in leaves:
        for w in witnesses.values():
            w.append(leaf)
        pos = wallet.append(leaf)
        assert operator.append(leaf) == pos
        if pos in tracked:
            witnesses[pos] = wallet.witness(pos)
        assert wallet.root() == operator.root()
        for p, w in witnesses.items():
            assert w.position == p
            path = w.path()
            assert [tuple(x) for x in path] == [tuple(x) for x in operator.path(p)], (p, operator.size)
            assert root_from_path(operator.nodes[(0, p)], p, path) == operator.root()


def test_incremental_witness_until_full():
    depth = 4
    leaves = leaf_seq(1 << depth, seed=3)
    tree = NoteTree(depth, keep_nodes=True)
    witnesses = {}
    for leaf in leaves:
        for w in witnesses.values():
            w.append(leaf)
        pos = tree.append(leaf)
        witnesses[pos] = tree.witness(pos)
    levels = naive_levels(depth, leaves)
    for p, w in witnesses.items():
        assert [tuple(x) for x in w.path()] == naive_path(levels, p)
        with pytest.raises(TreeFullError):     # no leaf can follow a full tree
            w.append((1,) * 8)


def test_witness_only_right_after_append():
    tree = NoteTree(4)
    with pytest.raises(ParameterError, match="right after"):
        tree.witness(0)                        # nothing appended yet
    tree.append((1,) * 8)
    tree.witness(0)
    tree.append((2,) * 8)
    with pytest.raises(ParameterError, match="right after"):
        tree.witness(0)
    with pytest.raises(ParameterError, match="right after"):
        tree.witness(2)
    assert tree.witness(1).position == 1


# -- root history -------------------------------------------------------------------------------

def test_root_history_window():
    roots = [(i,) * 8 for i in range(10)]
    hist = RootHistory(3, roots[0])
    assert roots[0] in hist and hist.latest() == roots[0]
    for i in range(1, 10):
        hist.push(roots[i])
        assert hist.latest() == roots[i]
        window = roots[max(0, i - 2):i + 1]
        for j, r in enumerate(roots):
            assert (r in hist) == (r in window), (i, j)
    assert list(roots[7]) in hist                 # membership by value, any sequence type


def test_root_history_window_one_and_empty():
    hist = RootHistory(1)
    assert (0,) * 8 not in hist
    hist.push((1,) * 8)
    hist.push((2,) * 8)
    assert (2,) * 8 in hist and (1,) * 8 not in hist
    with pytest.raises(ParameterError, match="window"):
        RootHistory(0)


def test_root_history_with_tree():
    tree = NoteTree(3)
    hist = RootHistory(2, tree.root())
    r0 = tree.root()
    tree.append((1,) * 8)
    hist.push(tree.root())
    r1 = tree.root()
    tree.append((2,) * 8)
    hist.push(tree.root())
    assert r0 not in hist and r1 in hist and tree.root() in hist
