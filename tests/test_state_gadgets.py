"""The state-update gadgets (circuits/aggregation/state_gadgets.py) against their plain twins, in
check mode (STYLE.md rule 3), and every attack on them rejected.

Twins: NoteTree.append (note_pair_append), NullifierTree.insert (nullifier_insert),
shielded.state.nullifier_tree.nullifier_key, integer comparison (less_than), bits of an integer
(position_bits), shielded.commit.merkle.root_from_path (path_root).

The harness is the one of tests/test_gadgets.py: a tiny circuit per gadget, the witness generated
leniently (conflicts recorded, not raised) so that invalid witnesses reach check mode, and a
``MaliciousBuilder`` for advice a cheating prover chooses.  Here the builder can target the hints
of one gadget (by name) and of some of its calls only, because the insertion gadget mixes the
hints of nullifier_key, is_nonzero and less_than.  An attack witness is otherwise built honestly
(``forged_insert``: paths recomputed from the leaves with the attacked values), so that the one
constraint under test is what stops it.

The comparison gadget works on 15-bit half-limbs: with whole 30-bit limbs a wrong borrow could
wrap mod p back into range (p < 2^31), which let a prover forge a comparison and insert a key
twice; the tests at wide limb gaps below are the regression tests for that bug.  The hints of
less_than are its eight borrows (7 is the result); the half-limb splits are hints of _halves.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.aggregation import state_gadgets as sg
from shielded.commit.merkle import root_from_path
from shielded.field.koalabear import P
from shielded.hash.sponge import compress
from shielded.proof.builder import CircuitBuilder
from shielded.proof.check import Violation, check
from shielded.proof.config import ProofConfig
from shielded.proof.witness import Witness, generate_witness
from shielded.protocol.note import note_leaf
from shielded.state.note_tree import NoteTree
from shielded.state.nullifier_tree import NullifierLeaf, NullifierTree, key_int, nullifier_key
from shielded.testing import field_elements

DEPTH = 4
LIMB = 1 << 30
SAFE = LIMB              # any 30-bit limb (the name is kept from when wide gaps were unsound)
BORROWS = range(8)        # less_than's borrow hints, least significant half-limb first
ZERO = (0,) * 8

# -- harness -----------------------------------------------------------------------------------


class MaliciousBuilder(CircuitBuilder):
    """A builder whose hints are computed by ``evil(honest_fn, *values)`` instead of the gadget's
    honest function: what a cheating prover is free to do.  With ``gadget``, only the hints
    created inside that function (by name) are replaced, and with ``calls`` only its k-th hints
    (counted from 0 in creation order)."""

    def __init__(self, evil: Callable, gadget: str | None = None, calls: set[int] | None = None):
        super().__init__(ProofConfig(), "malicious")
        self.evil, self.gadget, self.calls = evil, gadget, calls
        self.count = 0

    def hint(self, fn, inputs, num_outputs):
        if self.gadget is None or fn.__qualname__.split(".")[0] == self.gadget:
            k, self.count = self.count, self.count + 1
            if self.calls is None or k in self.calls:
                return super().hint(lambda *v: self.evil(fn, *v), inputs, num_outputs)
        return super().hint(fn, inputs, num_outputs)


def flip(honest, *values):
    """The other boolean answer."""
    return 1 - honest(*values)


@dataclass
class Run:
    circuit: object
    witness: Witness

    @property
    def public(self) -> list[int]:
        return self.witness.public_values()

    def violations(self) -> list[Violation]:
        return check(self.circuit, trace=self.witness.trace(), public_values=self.public)

    def accepts(self) -> None:
        assert self.witness.problems == []
        found = self.violations()
        assert found == [], "check mode found:\n  " + "\n  ".join(str(v) for v in found[:10])

    def rejects(self) -> set[str]:
        """Check mode reports a violation; returns the kinds of gate that failed."""
        found = self.violations()
        assert found, "check mode accepted the witness"
        return {v.gate.split("(")[0] for v in found}


def assign(var, value, out: dict) -> dict:
    """Pair a (nested list of) var(s) with a value of the same shape."""
    if isinstance(var, (list, tuple)):
        assert len(var) == len(value)
        for v, x in zip(var, value):
            assign(v, x, out)
    else:
        out[var] = int(value) % P
    return out


@dataclass
class Gadget:
    """A built circuit around one gadget: named inputs, outputs made public."""
    circuit: object
    inputs: dict

    def run(self, values: dict) -> Run:
        assert set(values) == set(self.inputs)
        assignment: dict = {}
        for name, var in self.inputs.items():
            assign(var, values[name], assignment)
        return Run(self.circuit, generate_witness(self.circuit, assignment, strict=False))


def build(name: str, shape: dict, body: Callable, builder: CircuitBuilder | None = None) -> Gadget:
    """``shape`` maps each input name to None (one element) or a tuple of lengths (nested lists)."""
    b = builder or CircuitBuilder(ProofConfig(), name)

    def alloc(s):
        return b.add_input() if not s else [alloc(s[1:]) if len(s) > 1 else b.add_input() for _ in range(s[0])]
    inputs = {k: alloc(s) for k, s in shape.items()}
    for v in body(b, **inputs):
        b.make_public(v)
    return Gadget(b.build(), inputs)


def tiny(body: Callable, values: Sequence[int], builder: CircuitBuilder | None = None) -> Run:
    """Inputs x_i = values[i], outputs = body(b, xs) made public (as in tests/test_gadgets.py)."""
    g = build("tiny", {"x": (len(values),)}, lambda b, x: list(body(b, x)), builder)
    return g.run({"x": list(values)})


# -- naive trees -------------------------------------------------------------------------------


def naive_levels(depth: int, digests: list) -> list[list]:
    level = [tuple(d) for d in digests] + [ZERO] * ((1 << depth) - len(digests))
    levels = [level]
    for _ in range(depth):
        level = [tuple(compress(level[2 * i], level[2 * i + 1])) for i in range(len(level) // 2)]
        levels.append(level)
    return levels


def naive_path(levels: list, position: int) -> list:
    return [list(levels[h][(position >> h) ^ 1]) for h in range(len(levels) - 1)]


# -- position_bits and path_root ---------------------------------------------------------------


@given(st.integers(0, (1 << DEPTH) - 1))
def test_position_bits_are_the_bits_of_the_position(size):
    t = tiny(lambda b, x: sg.position_bits(b, x[0], DEPTH), [size])
    assert t.public == [(size >> i) & 1 for i in range(DEPTH)]
    t.accepts()


@given(st.sampled_from([1 << DEPTH, (1 << DEPTH) + 1, 1 << 30, P - 1]) | field_elements(1 << DEPTH, P - 1))
def test_position_bits_reject_a_position_outside_the_tree(size):
    tiny(lambda b, x: sg.position_bits(b, x[0], DEPTH), [size]).rejects()


@given(field_elements())
def test_position_bits_above_31_levels_are_zero(size):
    t = tiny(lambda b, x: sg.position_bits(b, x[0], 32), [size])
    assert t.public == [(size >> i) & 1 for i in range(32)]
    t.accepts()


digests = st.tuples(*[field_elements()] * 8)


@given(digests, st.integers(0, (1 << DEPTH) - 1), st.lists(digests, min_size=DEPTH, max_size=DEPTH))
def test_path_root_matches_root_from_path(leaf, position, siblings):
    bits = [(position >> i) & 1 for i in range(DEPTH)]
    t = tiny(lambda b, x: sg.path_root(b, x[:8], x[8:8 + DEPTH],
                                       [x[8 + DEPTH + 8 * i:16 + DEPTH + 8 * i] for i in range(DEPTH)]),
             list(leaf) + bits + [v for s in siblings for v in s])
    assert t.public == list(root_from_path(leaf, position, siblings))
    t.accepts()


# -- note_pair_append --------------------------------------------------------------------------


def build_append(depth: int, builder: CircuitBuilder | None = None) -> Gadget:
    def body(b, active, root_old, size_old, cm0, cm1, siblings):
        root_new, size_new = sg.note_pair_append(b, active, root_old, size_old, cm0, cm1, siblings, depth)
        return list(root_new) + [size_new]
    return build("note pair append", {"active": None, "root_old": (8,), "size_old": None, "cm0": (8,),
                                      "cm1": (8,), "siblings": (depth - 1, 8)}, body, builder)


APPEND = functools.cache(build_append)


def note_tree_with(pairs: int) -> NoteTree:
    tree = NoteTree(DEPTH, keep_nodes=True)
    for i in range(2 * pairs):
        tree.append(note_leaf(tuple(range(8 * i, 8 * i + 8))))
    return tree


def append_values(tree: NoteTree, cm0, cm1, size_old=None, siblings=None, root_old=None, active=1) -> dict:
    """The inputs for appending (cm0, cm1) to ``tree`` (not modified); honest unless overridden."""
    size = tree.size if size_old is None else size_old
    if siblings is None:
        digests = [tree.nodes[(0, i)] for i in range(tree.size)]
        siblings = naive_path(naive_levels(DEPTH, digests), size % (1 << DEPTH))[1:]
    return dict(active=active, root_old=list(tree.root() if root_old is None else root_old), size_old=size,
                cm0=list(cm0), cm1=list(cm1), siblings=siblings)


@settings(max_examples=20)
@given(st.lists(st.tuples(digests, digests), min_size=1, max_size=1 << (DEPTH - 1)))
def test_note_pair_append_matches_the_note_tree(pairs):
    tree = NoteTree(DEPTH, keep_nodes=True)
    for cm0, cm1 in pairs:
        values = append_values(tree, cm0, cm1)
        size = tree.size
        tree.append(note_leaf(cm0))
        tree.append(note_leaf(cm1))
        assert values["siblings"] == [list(s) for s in tree.path(size)[1:]]
        run = APPEND(DEPTH).run(values)
        assert run.public == list(tree.root()) + [tree.size]
        run.accepts()


@settings(max_examples=20)
@given(digests, st.integers(0, (1 << (DEPTH - 1)) - 1), digests, digests,
       st.lists(digests, min_size=DEPTH - 1, max_size=DEPTH - 1))
def test_inactive_note_pair_append_passes_through(root, pairs, cm0, cm1, siblings):
    """A padding slot: any root, any commitments and siblings; the root and size pass through."""
    run = APPEND(DEPTH).run(dict(active=0, root_old=list(root), size_old=2 * pairs, cm0=list(cm0),
                                 cm1=list(cm1), siblings=[list(s) for s in siblings]))
    assert run.public == list(root) + [2 * pairs]
    run.accepts()


def test_inactive_slots_pass_through_an_exactly_full_tree():
    """A slot after the one that filled a tree exactly is inactive: it must not need a position
    inside the tree (regression: the leaf could not be proved for the transaction filling it)."""
    full = 1 << DEPTH
    run = APPEND(DEPTH).run(dict(active=0, root_old=list(CM0), size_old=full, cm0=list(CM0), cm1=list(CM1),
                                 siblings=[[0] * 8] * (DEPTH - 1)))
    assert run.public == list(CM0) + [full]
    run.accepts()
    zero_path = [[0] * 8] * DEPTH
    run = INSERT(DEPTH).run(dict(active=0, root_old=list(CM1), size_old=full, nf=list(CM0), low_key=[0] * 4,
                                 low_next_index=0, low_next_key=[0] * 4, low_position=full,
                                 low_path=zero_path, new_path=zero_path))
    assert run.public == list(CM1) + [full]
    run.accepts()


CM0, CM1 = tuple(range(100, 108)), tuple(range(200, 208))


@pytest.mark.parametrize("pairs", [0, 1, 3, (1 << (DEPTH - 1)) - 1])
def test_note_pair_append_accepts_the_honest_append(pairs):
    APPEND(DEPTH).run(append_values(note_tree_with(pairs), CM0, CM1)).accepts()


@pytest.mark.parametrize("level", range(DEPTH - 1))
@pytest.mark.parametrize("pairs", [0, 3, 5])
def test_note_pair_append_rejects_a_wrong_sibling(pairs, level):
    values = append_values(note_tree_with(pairs), CM0, CM1)
    values["siblings"][level][level % 8] = (values["siblings"][level][level % 8] + 1) % P
    APPEND(DEPTH).run(values).rejects()


@pytest.mark.parametrize("pairs", [0, 2, 6])
def test_note_pair_append_rejects_an_odd_size(pairs):
    """size + 1 has the same bits above bit 0, so the old-root check passes: only the alignment
    check (bit 0 = 0) stops it."""
    tree = note_tree_with(pairs)
    values = append_values(tree, CM0, CM1, size_old=tree.size + 1)
    assert values["siblings"] == append_values(tree, CM0, CM1)["siblings"]
    APPEND(DEPTH).run(values).rejects()


@pytest.mark.parametrize("element", [0, 7])
def test_note_pair_append_rejects_a_wrong_old_root(element):
    tree = note_tree_with(2)
    root = list(tree.root())
    root[element] = (root[element] + 1) % P
    APPEND(DEPTH).run(append_values(tree, CM0, CM1, root_old=root)).rejects()


@pytest.mark.parametrize("extra", [1 << DEPTH, 1 << 20, 1 << 30])
def test_note_pair_append_rejects_a_size_beyond_the_tree(extra):
    """size + 2^depth (+ more) has the same low bits, so every path check passes: only the
    position range check stops it."""
    tree = note_tree_with(3)
    assert APPEND(DEPTH).run(append_values(tree, CM0, CM1, size_old=tree.size + extra)).rejects() == {"decompose"}


def test_note_pair_append_rejects_a_full_tree():
    tree = note_tree_with(1 << (DEPTH - 1))
    APPEND(DEPTH).run(append_values(tree, CM0, CM1, siblings=[[0] * 8] * (DEPTH - 1))).rejects()


@pytest.mark.parametrize("position", [0, 2, 6])
def test_note_pair_append_rejects_overwriting_existing_notes(position):
    """An earlier (occupied) even position with its true siblings: the pair there is not empty."""
    tree = note_tree_with(5)
    APPEND(DEPTH).run(append_values(tree, CM0, CM1, size_old=position)).rejects()


# -- nullifier_key ------------------------------------------------------------------------------

EDGE = st.sampled_from([0, 1, (1 << 24) - 2, LIMB - 1, LIMB, P - LIMB - 1, P - LIMB, P - 1])


def key_run(nf: Sequence[int], builder: CircuitBuilder | None = None) -> Run:
    return tiny(lambda b, x: sg.nullifier_key(b, x), nf, builder)


@given(st.tuples(*[EDGE | field_elements()] * 4))
def test_nullifier_key_matches_the_plain_key(nf):
    t = key_run(nf)
    assert t.public == list(nullifier_key(nf))
    t.accepts()


@given(st.integers(0, 3), field_elements(0, P - LIMB - 1), st.tuples(*[field_elements()] * 4))
def test_nullifier_key_gives_nf_j_and_nf_j_plus_2_30_one_key(j, low, nf):
    a, b = list(nf), list(nf)
    a[j], b[j] = low, low + LIMB
    ta, tb = key_run(a), key_run(b)
    assert ta.public == tb.public == list(nullifier_key(a))
    ta.accepts()
    tb.accepts()


@given(st.integers(0, 3), EDGE | field_elements())
def test_nullifier_key_rejects_the_other_limb_representative(j, x):
    """t flipped: nf_j = limb' + 2^30 t' with the other t'.  For nf_j < 2^24 - 1 and t' = 1 the
    limb nf_j + p - 2^30 is below 2^30, and only the second check (limb + t (2^24 - 1) < 2^30)
    stops it; in every case a range check fails."""
    nf = [5, 6, 7, 8]
    nf[j] = x
    t = key_run(nf, MaliciousBuilder(flip, "nullifier_key", {j}))
    assert t.rejects() == {"decompose"}


@given(st.integers(0, 3), EDGE | field_elements(), field_elements())
def test_nullifier_key_accepts_only_the_honest_limb_split(j, x, forged):
    nf = [5, 6, 7, 8]
    nf[j] = x
    t = key_run(nf, MaliciousBuilder(lambda honest, v: forged, "nullifier_key", {j}))
    if forged == x >> 30:
        t.accepts()
    else:
        t.rejects()


# -- less_than and is_zero_key -----------------------------------------------------------------

safe_limbs = st.lists(st.sampled_from([0, 1, SAFE - 1]) | st.integers(0, SAFE - 1), min_size=4, max_size=4)


def less_than_run(x, y, builder=None) -> Run:
    return tiny(lambda b, v: [sg.less_than(b, v[:4], v[4:])], list(x) + list(y), builder)


@given(safe_limbs, safe_limbs)
def test_less_than_matches_integer_comparison(x, y):
    t = less_than_run(x, y)
    assert t.public == [int(key_int(x) < key_int(y))]
    t.accepts()


@given(safe_limbs, st.integers(0, 3))
def test_less_than_of_equal_keys_is_0(x, j):
    t = less_than_run(x, x)
    assert t.public == [0]
    t.accepts()
    y = list(x)
    y[j] += 1
    assert less_than_run(x, y).public == [1] and less_than_run(y, x).public == [0]


@given(safe_limbs, safe_limbs, st.sampled_from(BORROWS))
def test_less_than_rejects_a_forged_borrow(x, y, j):
    """Any one borrow flipped (the last one is the result) is rejected."""
    less_than_run(x, y, MaliciousBuilder(flip, "less_than", {j})).rejects()


@given(safe_limbs, safe_limbs, st.integers(0, 7))
def test_less_than_rejects_a_forged_half_limb_split(x, y, j):
    """A limb split as (lo + 2^15, hi - 1) or (lo - 2^15, hi + 1) is rejected (ranges, or the sum)."""
    def shifted(honest, v):
        lo, hi = honest(v)
        return [lo + (1 << 15), hi - 1] if hi > 0 else [lo - (1 << 15), hi + 1]
    less_than_run(x, y, MaliciousBuilder(shifted, "_halves", {j})).rejects()


WIDE = [([0, 0, 0, LIMB - 1], [0, 0, 0, 0]), ([0, 0, 0, 0], [0, 0, 0, LIMB - 1]),
        ([LIMB - 1, 0, 0, 0], [0, 0, 0, 0]), ([0, 0, 0, 0], [LIMB - 1, 0, 0, 0])]
# regression: with whole 30-bit limbs these gaps let the wrong borrow wrap mod p into range


@pytest.mark.parametrize("x,y", WIDE, ids=["x3 max", "y3 max", "x0 max", "y0 max"])
def test_less_than_matches_integer_comparison_at_wide_limb_gaps(x, y):
    t = less_than_run(x, y)
    t.accepts()
    assert t.public == [int(key_int(x) < key_int(y))]


def test_less_than_rejects_a_forged_result_at_a_wide_gap():
    x, y = [0, 0, 0, LIMB - (1 << 24) + 9], [0, 0, 0, 0]
    honest = less_than_run(x, y)
    assert honest.public == [0]
    honest.accepts()
    less_than_run(x, y, MaliciousBuilder(flip, "less_than", {7})).rejects()


@given(st.lists(st.sampled_from([0, 0, 1, P - 1]) | field_elements(), min_size=4, max_size=4))
def test_is_zero_key_matches_all_limbs_zero(limbs):
    t = tiny(lambda b, x: [sg.is_zero_key(b, x)], limbs)
    assert t.public == [int(not any(limbs))]
    t.accepts()


@given(st.lists(st.sampled_from([0, 1]) | field_elements(), min_size=4, max_size=4),
       st.lists(field_elements(), min_size=4, max_size=4))
def test_is_zero_key_cannot_be_forged_through_the_hints(limbs, inverses):
    it = iter(inverses)
    t = tiny(lambda b, x: [sg.is_zero_key(b, x)], limbs, MaliciousBuilder(lambda honest, v: next(it)))
    if t.public != [int(not any(limbs))]:
        t.rejects()


# -- nullifier_insert --------------------------------------------------------------------------


def build_insert(depth: int, builder: CircuitBuilder | None = None) -> Gadget:
    def body(b, active, root_old, size_old, nf, low_key, low_next_index, low_next_key, low_position, low_path,
             new_path):
        root_new, size_new = sg.nullifier_insert(b, active, root_old, size_old, nf, low_key, low_next_index,
                                                 low_next_key, low_position, low_path, new_path, depth)
        return list(root_new) + [size_new]
    return build("nullifier insert", {"active": None, "root_old": (8,), "size_old": None, "nf": (8,),
                                      "low_key": (4,), "low_next_index": None, "low_next_key": (4,),
                                      "low_position": None, "low_path": (depth, 8), "new_path": (depth, 8)},
                 body, builder)


INSERT = functools.cache(build_insert)


def forged_insert(tree: NullifierTree, nf, low_index: int, size_old: int | None = None, key=None,
                  active: int = 1) -> dict:
    """Inputs for inserting nf into ``tree`` (not modified) with the leaf at ``low_index`` as the
    low leaf: every path recomputed from the leaves, so the witness is consistent apart from the
    choices made here (low leaf, size, key)."""
    depth = tree.depth
    size = tree.size if size_old is None else size_old
    key = tuple(nullifier_key(nf) if key is None else key)
    low = tree.leaves[low_index]
    digests = [leaf.digest() for leaf in tree.leaves]
    updated = list(digests)
    updated[low_index] = NullifierLeaf(low.key, size, key).digest()
    return dict(active=active, root_old=list(tree.root()), size_old=size, nf=list(nf), low_key=list(low.key),
                low_next_index=low.next_index, low_next_key=list(low.next_key), low_position=low_index,
                low_path=naive_path(naive_levels(depth, digests), low_index),
                new_path=naive_path(naive_levels(depth, updated), size % (1 << depth)))


def true_low_index(tree: NullifierTree, nf) -> int:
    k = key_int(nullifier_key(nf))
    return max((i for i, leaf in enumerate(tree.leaves) if key_int(leaf.key) < k),
               key=lambda i: key_int(tree.leaves[i].key))


def nf_with(limbs: Sequence[int], tail: int = 0) -> tuple:
    return tuple(limbs) + (tail,) * 4


# nullifier elements from both representatives of a key limb: nf_j < 2^30 or nf_j = limb + 2^30 < p
safe_elements = st.integers(0, LIMB - 1) | st.integers(LIMB, P - 1)
safe_nullifiers = st.tuples(*[safe_elements] * 4, *[field_elements()] * 4)


@settings(max_examples=20)
@given(st.lists(safe_nullifiers, min_size=1, max_size=(1 << DEPTH) - 1,
                unique_by=lambda nf: key_int(nullifier_key(nf))))
def test_nullifier_insert_matches_the_nullifier_tree(nfs):
    tree = NullifierTree(DEPTH)
    for nf in nfs:
        if key_int(nullifier_key(nf)) == 0:
            continue
        size = tree.size
        w = tree.insert(nf)
        values = dict(active=1, root_old=list(w.root_before), size_old=size, nf=list(nf),
                      low_key=list(w.low_leaf.key), low_next_index=w.low_leaf.next_index,
                      low_next_key=list(w.low_leaf.next_key), low_position=w.low_index,
                      low_path=[list(s) for s in w.low_path], new_path=[list(s) for s in w.new_path])
        run = INSERT(DEPTH).run(values)
        assert run.public == list(tree.root()) + [tree.size]
        run.accepts()


@settings(max_examples=10)
@given(st.lists(safe_nullifiers, min_size=2, max_size=8, unique_by=lambda nf: key_int(nullifier_key(nf))))
def test_forged_insert_reproduces_the_honest_witness(nfs):
    """The attack helper, given the true low leaf, builds exactly what the plain tree gives."""
    tree = NullifierTree(DEPTH)
    for nf in nfs:
        if key_int(nullifier_key(nf)) == 0:
            continue
        values = forged_insert(tree, nf, true_low_index(tree, nf))
        w = tree.insert(nf)
        assert values["low_position"] == w.low_index
        assert values["low_path"] == [list(s) for s in w.low_path]
        assert values["new_path"] == [list(s) for s in w.new_path]


@settings(max_examples=20)
@given(digests, st.integers(0, (1 << DEPTH) - 1), st.tuples(*[EDGE | field_elements()] * 8))
def test_inactive_nullifier_insert_passes_through(root, size, nf):
    """A padding slot, filled as the operator fills it (zero low leaf and paths), with any nf."""
    zero_path = [[0] * 8] * DEPTH
    run = INSERT(DEPTH).run(dict(active=0, root_old=list(root), size_old=size, nf=list(nf), low_key=[0] * 4,
                                 low_next_index=0, low_next_key=[0] * 4, low_position=0, low_path=zero_path,
                                 new_path=zero_path))
    assert run.public == list(root) + [size]
    run.accepts()


def example_tree() -> NullifierTree:
    """Keys (limb 0 first) 0 (sentinel), 10, 20, 30, 40 inserted in the order 30, 10, 40, 20."""
    tree = NullifierTree(DEPTH)
    for k in (30, 10, 40, 20):
        tree.insert(nf_with([k, 0, 0, 0], tail=k))
    return tree


def index_of(tree: NullifierTree, k: int) -> int:
    return next(i for i, leaf in enumerate(tree.leaves) if key_int(leaf.key) == k)


def test_nullifier_insert_accepts_the_example_witnesses():
    tree = example_tree()
    for k in (5, 25, 45):
        INSERT(DEPTH).run(forged_insert(tree, nf_with([k, 0, 0, 0]), index_of(tree, k // 10 * 10))).accepts()


@pytest.mark.parametrize("k", [10, 20, 30, 40])
@pytest.mark.parametrize("low", ["predecessor", "itself"])
def test_nullifier_insert_rejects_a_double_insert(k, low):
    """The key is present: its predecessor fails key < next key (= key), the key's own leaf fails
    low key < key."""
    tree = example_tree()
    low_index = index_of(tree, k - 10 if low == "predecessor" else k)
    run = INSERT(DEPTH).run(forged_insert(tree, nf_with([k, 0, 0, 0], tail=99), low_index))
    assert run.rejects() == {"arithmetic"}          # the comparison, not a path


@pytest.mark.parametrize("k,low", [(25, 0), (25, 10), (45, 20), (15, 0)])
def test_nullifier_insert_rejects_a_low_leaf_that_skips_a_key(k, low):
    """A leaf below the key that is not its predecessor: its next key is below the key too."""
    tree = example_tree()
    run = INSERT(DEPTH).run(forged_insert(tree, nf_with([k, 0, 0, 0]), index_of(tree, low)))
    assert run.rejects() == {"arithmetic"}          # the comparison, not a path


@pytest.mark.parametrize("path", ["low_path", "new_path"])
@pytest.mark.parametrize("level", range(DEPTH))
def test_nullifier_insert_rejects_a_wrong_path(path, level):
    tree = example_tree()
    values = forged_insert(tree, nf_with([25, 0, 0, 0]), index_of(tree, 20))
    values[path][level][3] = (values[path][level][3] + 1) % P
    INSERT(DEPTH).run(values).rejects()


@pytest.mark.parametrize("field", ["root_old", "low_key", "low_next_key", "low_next_index", "low_position"])
def test_nullifier_insert_rejects_a_wrong_low_leaf_or_root(field):
    tree = example_tree()
    values = forged_insert(tree, nf_with([25, 0, 0, 0]), index_of(tree, 20))
    if isinstance(values[field], list):
        values[field][0] = (values[field][0] + 1) % P
    else:
        values[field] = (values[field] + 1) % P
    INSERT(DEPTH).run(values).rejects()


@pytest.mark.parametrize("position", [0, 1, 3, 4])
def test_nullifier_insert_rejects_a_nonempty_position_for_the_new_leaf(position):
    """size_old claimed to be an occupied position (paths recomputed for it)."""
    tree = example_tree()
    INSERT(DEPTH).run(forged_insert(tree, nf_with([25, 0, 0, 0]), index_of(tree, 20), size_old=position)).rejects()


@pytest.mark.parametrize("extra", [1 << DEPTH, 1 << 30])
def test_nullifier_insert_rejects_a_size_beyond_the_tree(extra):
    """size + 2^depth has the size's low bits, so every path check passes: only the position range
    check stops it."""
    tree = example_tree()
    run = INSERT(DEPTH).run(forged_insert(tree, nf_with([25, 0, 0, 0]), index_of(tree, 20),
                                          size_old=tree.size + extra))
    assert run.rejects() == {"decompose"}


def test_nullifier_insert_rejects_a_full_tree():
    tree = NullifierTree(2)
    for k in (10, 20, 30):
        tree.insert(nf_with([k, 0, 0, 0]))
    assert tree.size == 4
    values = forged_insert(tree, nf_with([25, 0, 0, 0]), index_of(tree, 20))
    INSERT(2).run(values).rejects()


@pytest.mark.parametrize("limb", range(4))
def test_nullifier_insert_rejects_a_second_key_for_a_spent_nullifier(limb):
    """nf_j = 7 < 2^24 - 1: with t_j forced to 1 the limb is 7 + p - 2^30 = 2^30 - 2^24 + 8, a key
    not in the tree, and the witness for that key is otherwise consistent.  Only the canonical
    check of nullifier_key (a range check) stops the double spend."""
    tree = NullifierTree(DEPTH)
    spent = [1, 1, 1, 1]
    spent[limb] = 7
    tree.insert(nf_with(spent, tail=3))
    alias = list(spent)
    alias[limb] = 7 + P - LIMB
    assert alias[limb] < LIMB and key_int(alias) not in {key_int(leaf.key) for leaf in tree.leaves}
    values = forged_insert(tree, nf_with(spent, tail=3), true_low_index(tree, nf_with(alias)), key=alias)
    run = build_insert(DEPTH, MaliciousBuilder(flip, "nullifier_key", {limb})).run(values)
    as_if = copy.deepcopy(tree)
    as_if.insert(nf_with(alias))                 # the state the forged insertion would claim
    assert run.public == list(as_if.root()) + [as_if.size]
    assert run.rejects() == {"decompose"}


WIDE_KEY = [0, 0, 0, LIMB - (1 << 24) + 10]       # top limb 2^30 - 2^24 + 10
SMALL_KEY = [1, 0, 0, 0]


def test_nullifier_insert_accepts_a_key_with_a_large_top_limb():
    tree = NullifierTree(DEPTH)
    nf = nf_with([5, 6, 7, LIMB - 1])
    INSERT(DEPTH).run(forged_insert(tree, nf, 0)).accepts()


def test_nullifier_insert_rejects_a_double_insert_through_a_forged_comparison():
    tree = NullifierTree(DEPTH)
    for limbs in (SMALL_KEY, WIDE_KEY):          # both inserts are accepted by the gadget honestly
        INSERT(DEPTH).run(forged_insert(tree, nf_with(limbs), true_low_index(tree, nf_with(limbs)))).accepts()
        tree.insert(nf_with(limbs))
    values = forged_insert(tree, nf_with(WIDE_KEY), 0)        # the sentinel: next key = SMALL_KEY
    assert values["low_next_key"] == SMALL_KEY
    INSERT(DEPTH).run(values).rejects()                        # honest hints: rejected
    # hints of less_than: 0-7 for low key < key, 8-15 for key < next key; 15 is its result
    build_insert(DEPTH, MaliciousBuilder(flip, "less_than", {15})).run(values).rejects()
