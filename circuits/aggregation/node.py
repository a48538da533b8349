"""Aggregation nodes (SPEC.md, Part III, "Aggregation circuits").

Three circuits share one shape (configuration, size, gate list, public inputs), so a node can
verify a proof of any of them with the key's cap as witness:

* dummy: no constraints beyond its shape; one proof of it, made at setup, stands in for a
  missing predecessor.
* leaf: optionally continues an earlier node (verifying its proof), then takes up to two client
  transactions: verifies each join-split proof (the join-split key is a constant), checks its
  root is the anchor it names, inserts its nullifiers, appends its commitments and adds its
  record to the fingerprint.  Leaves chain: a worker folds its share of a batch into a chain.
* merge: verifies two node proofs (a leaf or a merge each; the right one may be inactive) whose
  states chain.

Public inputs (layout.NODE_PI_FIELDS): both trees' roots and sizes before and after, the
anchors digest, the records digest D (a leaf chain folds each active record in with
H(BATCH_RECORDS, D || record) starting from zero; a merge compresses its children's D), the
fingerprint challenge r, the node's partial fingerprint F and R = r^(its element count), and the leaf and merge keys' digests, which every node passes through unchanged
and the final layer checks against the real ones (a key cannot contain its own digest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from circuits.aggregation.layout import (ANCHORS_LEN, MAX_ANCHORS, NODE_NUM_PUBLIC_INPUTS, NODE_PI_FIELDS,
                                         NODE_PI_OFFSETS, RECORD_ELEMENTS)
from circuits.aggregation.state_gadgets import note_pair_append, nullifier_insert
from circuits.gadgets.arith import assert_digests_equal, assert_enabled_equal, select_digest
from circuits.gadgets.hashing import compress, hash_elements
from circuits.joinsplit import NUM_PUBLIC_INPUTS as JS_NUM_PUBLIC_INPUTS
from circuits.joinsplit import PI_OFFSETS as JS
from circuits.recursion.context import CircuitContext
from circuits.recursion.proof_targets import allocate_proof_targets
from circuits.recursion.values import BaseV
from shielded.field.koalabear import P
from shielded.hash.sponge import Tag
from shielded.proof.builder import CircuitBuilder
from shielded.proof.verifier import verify_with_context

RANGE_VALUES_PER_ROW = 4


def node_field(public, name):
    start, length = NODE_PI_OFFSETS[name]
    return public[start:start + length]


def _pis(b):
    return {name: [b.public_input() for _ in range(n)] for name, n in NODE_PI_FIELDS}


def _js(pis, name):
    start, length = JS[name]
    return pis[start:start + length]


def ext_select_one(b, bit, x):
    """bit ? x : 1 for an extension var x."""
    one = b.ext_one()
    d = b.ext_sub(x, one)
    return tuple(b.arithmetic(1, 1, bit, dk, ok) for dk, ok in zip(d, one))


def ext_scale_bit(b, bit, x):
    return tuple(b.mul(bit, xk) for xk in x)


def ext_pow_vars(b, x, e: int):
    result = None
    base = tuple(x)
    while e:
        if e & 1:
            result = base if result is None else b.ext_mul(result, base)
        e >>= 1
        if e:
            base = b.ext_mul(base, base)
    return result


def _builder(name, config, min_log_rows):
    b = CircuitBuilder(config, name=name, range_values_per_row=RANGE_VALUES_PER_ROW)
    b.min_log_rows = min_log_rows
    return b


@dataclass
class NodeChild:
    """A verified node proof inside a node circuit."""

    active: object
    public: list
    cap: list
    is_merge: object
    proof: object


def verify_node(b, node_template, pis, dummy_digest=None, active=None) -> NodeChild:
    """Verify a node proof whose key (its cap, as witness) must be the leaf or the merge key
    (digests from this node's public inputs), or, when ``active`` is 0, the dummy key."""
    cap_len = node_template.preprocessed_cap.shape[0]
    public = b.add_inputs(NODE_NUM_PUBLIC_INPUTS)
    cap = [[BaseV(b, v) for v in b.add_inputs(8)] for _ in range(cap_len)]
    ctx = CircuitContext(b, dynamic_cap=cap)
    targets = allocate_proof_targets(b, node_template)
    verify_with_context(ctx, node_template, [BaseV(b, v) for v in public], targets)
    is_merge = b.add_input()
    b.assert_bool(is_merge)
    allowed = select_digest(b, is_merge, pis["merge_digest"], pis["leaf_digest"])
    if active is not None:
        allowed = select_digest(b, active, allowed, [b.constant(x) for x in dummy_digest])
    assert_digests_equal(b, [d.v() for d in ctx.digest], allowed)
    return NodeChild(active, public, cap, is_merge, targets)


def build_dummy(config, min_log_rows: int, gate_names) -> CircuitBuilder:
    b = _builder("aggregation-dummy", config, min_log_rows)
    _pis(b)
    b.ensure_gates(gate_names)
    return b


@dataclass
class SlotHandles:
    active: object
    anchor_index: object
    public: list
    proof: object
    note_siblings: list
    nf: list


@dataclass
class LeafCircuit:
    builder: CircuitBuilder
    pis: dict
    anchors: list
    prev: NodeChild = None
    slots: list = field(default_factory=list)


def build_leaf(js_vk, node_template, dummy_digest, config, depth: int, gate_names=(),
               min_log_rows: int = 0) -> LeafCircuit:
    b = _builder("aggregation-leaf", config, min_log_rows)
    pis = _pis(b)
    anchors = b.add_inputs(ANCHORS_LEN)
    assert_digests_equal(b, hash_elements(b, Tag.ANCHORS, anchors), pis["anchors_digest"])
    r = tuple(pis["r"])
    leaf = LeafCircuit(b, pis, anchors)
    # the earlier node this leaf continues (or the dummy proof)
    prev_active = b.add_input()
    b.assert_bool(prev_active)
    prev = verify_node(b, node_template, pis, dummy_digest, prev_active)
    leaf.prev = prev
    for name in ("anchors_digest", "r", "leaf_digest", "merge_digest"):
        assert_enabled_equal(b, prev_active, node_field(prev.public, name), pis[name])
    for old, new in (("note_root_old", "note_root_new"), ("note_size_old", "note_size_new"),
                     ("nf_root_old", "nf_root_new"), ("nf_size_old", "nf_size_new")):
        assert_enabled_equal(b, prev_active, node_field(prev.public, old), pis[old])
    note_root = select_digest(b, prev_active, node_field(prev.public, "note_root_new"), pis["note_root_old"])
    note_size = b.select(prev_active, node_field(prev.public, "note_size_new")[0], pis["note_size_old"][0])
    nf_root = select_digest(b, prev_active, node_field(prev.public, "nf_root_new"), pis["nf_root_old"])
    nf_size = b.select(prev_active, node_field(prev.public, "nf_size_new")[0], pis["nf_size_old"][0])
    zero = [b.zero()] * 8
    D = select_digest(b, prev_active, node_field(prev.public, "records_digest"), zero)
    F = ext_scale_bit(b, prev_active, tuple(node_field(prev.public, "F")))
    R = ext_select_one(b, prev_active, tuple(node_field(prev.public, "R")))
    r_rec = ext_pow_vars(b, r, RECORD_ELEMENTS)
    count = anchors[0]
    digests = [anchors[1 + 8 * i:9 + 8 * i] for i in range(MAX_ANCHORS)]
    for _ in range(2):
        active = b.add_input()
        b.assert_bool(active)
        public = b.add_inputs(JS_NUM_PUBLIC_INPUTS)
        targets = allocate_proof_targets(b, js_vk)
        verify_with_context(CircuitContext(b), js_vk, [BaseV(b, v) for v in public], targets)
        # the anchor: index < count, and (if active) the proof's root is anchor[index]
        idx = b.add_input()
        ibits = b.split_bits(idx, 2)
        b.range_check(b.linear_combination([(1, count), (P - 1, idx)], P - 1), 2)   # count - 1 - idx
        lvl = [select_digest(b, ibits[0], digests[1], digests[0]), select_digest(b, ibits[0], digests[3], digests[2])]
        assert_enabled_equal(b, active, select_digest(b, ibits[1], lvl[1], lvl[0]), _js(public, "root"))
        # the record and its fingerprint: F += R * sum_i e_i r^i, R *= r^56 (if active)
        z = b.zero()
        record = (_js(public, "nf_0") + _js(public, "nf_1") + _js(public, "cm_0") + _js(public, "cm_1")
                  + [idx] + _js(public, "asset") + _js(public, "fee") + [z, z]
                  + _js(public, "public_in") + _js(public, "public_out") + _js(public, "public_owner"))
        assert len(record) == RECORD_ELEMENTS
        f_tx = b.reduce_horner(r, list(reversed(record)))
        F = b.ext_mul_add(R, ext_scale_bit(b, active, f_tx), F)
        R = b.ext_mul(R, ext_select_one(b, active, r_rec))
        D = select_digest(b, active, hash_elements(b, Tag.BATCH_RECORDS, list(D) + record), D)
        # state updates
        note_sibs = [b.add_inputs(8) for _ in range(depth - 1)]
        note_root, note_size = note_pair_append(b, active, note_root, note_size, _js(public, "cm_0"),
                                                _js(public, "cm_1"), note_sibs, depth)
        nfs = []
        for name in ("nf_0", "nf_1"):
            w = dict(low_key=b.add_inputs(4), low_next_index=b.add_input(), low_next_key=b.add_inputs(4),
                     low_position=b.add_input(), low_path=[b.add_inputs(8) for _ in range(depth)],
                     new_path=[b.add_inputs(8) for _ in range(depth)])
            nf_root, nf_size = nullifier_insert(b, active, nf_root, nf_size, _js(public, name), w["low_key"],
                                                w["low_next_index"], w["low_next_key"], w["low_position"],
                                                w["low_path"], w["new_path"], depth)
            nfs.append(w)
        leaf.slots.append(SlotHandles(active, idx, public, targets, note_sibs, nfs))
    assert_digests_equal(b, note_root, pis["note_root_new"])
    b.assert_equal(note_size, pis["note_size_new"][0])
    assert_digests_equal(b, nf_root, pis["nf_root_new"])
    b.assert_equal(nf_size, pis["nf_size_new"][0])
    assert_digests_equal(b, D, pis["records_digest"])
    assert_digests_equal(b, F, pis["F"])
    assert_digests_equal(b, R, pis["R"])
    b.ensure_gates(gate_names)
    return leaf


@dataclass
class MergeCircuit:
    builder: CircuitBuilder
    pis: dict
    right_active: object = None
    children: list = field(default_factory=list)


def build_merge(node_template, config, gate_names=(), min_log_rows: int = 0) -> MergeCircuit:
    """Verify two node proofs (leaf or merge keys); the right one, when active, starts where the
    left one ends.  An inactive right child re-verifies the left proof and is ignored."""
    b = _builder("aggregation-merge", config, min_log_rows)
    pis = _pis(b)
    m = MergeCircuit(b, pis)
    right_active = b.add_input()
    b.assert_bool(right_active)
    m.right_active = right_active
    left = verify_node(b, node_template, pis)
    right = verify_node(b, node_template, pis)
    m.children = [left, right]
    for name in ("note_root_old", "note_size_old", "nf_root_old", "nf_size_old", "anchors_digest", "r",
                 "leaf_digest", "merge_digest"):
        assert_digests_equal(b, node_field(left.public, name), pis[name])
    for name in ("anchors_digest", "r", "leaf_digest", "merge_digest"):
        assert_enabled_equal(b, right_active, node_field(right.public, name), pis[name])
    for old, new in (("note_root_old", "note_root_new"), ("note_size_old", "note_size_new"),
                     ("nf_root_old", "nf_root_new"), ("nf_size_old", "nf_size_new")):
        assert_enabled_equal(b, right_active, node_field(right.public, old), node_field(left.public, new))
        out = select_digest(b, right_active, node_field(right.public, new), node_field(left.public, new))
        assert_digests_equal(b, out, pis[new])
    f_r = ext_scale_bit(b, right_active, tuple(node_field(right.public, "F")))
    r_r = ext_select_one(b, right_active, tuple(node_field(right.public, "R")))
    F = b.ext_mul_add(tuple(node_field(left.public, "R")), f_r, tuple(node_field(left.public, "F")))
    R = b.ext_mul(tuple(node_field(left.public, "R")), r_r)
    joined = compress(b, node_field(left.public, "records_digest"), node_field(right.public, "records_digest"))
    D = select_digest(b, right_active, joined, node_field(left.public, "records_digest"))
    assert_digests_equal(b, D, pis["records_digest"])
    assert_digests_equal(b, F, pis["F"])
    assert_digests_equal(b, R, pis["R"])
    b.ensure_gates(gate_names)
    return m
