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
fingerprint challenge rho and rho^14 (F_q values, circuits/gadgets/fq.py), the node's partial
fingerprint F and R = rho^(its coefficient count: 14 per record), and the leaf and merge keys' digests, which every node passes through unchanged and the
final layer checks against the real ones (a key cannot contain its own digest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from circuits.aggregation.layout import (ANCHORS_LEN, MAX_ANCHORS, NODE_NUM_PUBLIC_INPUTS, NODE_PI_FIELDS,
                                         NODE_PI_OFFSETS, PACK, RECORD_ELEMENT_BITS, RECORD_ELEMENTS)
from circuits.gadgets import fq
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


def record_fingerprint(b, rho, F, record):
    """Horner's rule mod q over a record's 14 packed coefficients, continuing from F (wide):
    F <- F rho + c_j, c_j = e_4j 2^96 + e_4j+1 2^64 + e_4j+2 2^32 + e_4j+3 placed as addend
    terms (element i of a group at byte column 12 - 4i).  The twin of
    shielded.protocol.batch.fingerprint."""
    for j in range(0, len(record), PACK):
        terms = []
        for i in range(PACK):
            terms += fq.element_terms(b, record[j + i], 12 - 4 * i, RECORD_ELEMENT_BITS[j + i])
        F = fq.mul_add(b, F, rho, terms)
    return F


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
    rho, rho14 = pis["rho"], pis["rho14"]
    leaf = LeafCircuit(b, pis, anchors)
    # the earlier node this leaf continues (or the dummy proof)
    prev_active = b.add_input()
    b.assert_bool(prev_active)
    prev = verify_node(b, node_template, pis, dummy_digest, prev_active)
    leaf.prev = prev
    for name in ("anchors_digest", "rho", "rho14", "leaf_digest", "merge_digest"):
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
    F = fq.select(b, prev_active, node_field(prev.public, "F"), fq.constant_wide(b, 0))
    R = fq.select(b, prev_active, node_field(prev.public, "R"), fq.constant_wide(b, 1))
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
        # the record and its fingerprint (if active): Horner mod q over its 14 packed coefficients,
        # R *= rho^14
        z = b.zero()
        record = (_js(public, "nf_0") + _js(public, "nf_1") + _js(public, "cm_0") + _js(public, "cm_1")
                  + [idx] + _js(public, "asset") + _js(public, "fee") + [z, z]
                  + _js(public, "public_in") + _js(public, "public_out") + _js(public, "public_owner"))
        assert len(record) == RECORD_ELEMENTS
        F = fq.select(b, active, record_fingerprint(b, rho, F, record), F)
        R = fq.select(b, active, fq.mul(b, R, rho14), R)
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
    for name in ("note_root_old", "note_size_old", "nf_root_old", "nf_size_old", "anchors_digest", "rho",
                 "rho14", "leaf_digest", "merge_digest"):
        assert_digests_equal(b, node_field(left.public, name), pis[name])
    for name in ("anchors_digest", "rho", "rho14", "leaf_digest", "merge_digest"):
        assert_enabled_equal(b, right_active, node_field(right.public, name), pis[name])
    for old, new in (("note_root_old", "note_root_new"), ("note_size_old", "note_size_new"),
                     ("nf_root_old", "nf_root_new"), ("nf_size_old", "nf_size_new")):
        assert_enabled_equal(b, right_active, node_field(right.public, old), node_field(left.public, new))
        out = select_digest(b, right_active, node_field(right.public, new), node_field(left.public, new))
        assert_digests_equal(b, out, pis[new])
    # F = F_left R_right + F_right, R = R_left R_right (mod q) if the right child is active
    r_right = fq.narrow_from_wide(b, node_field(right.public, "R"))
    f_left, r_left = node_field(left.public, "F"), node_field(left.public, "R")
    F = fq.select(b, right_active, fq.mul_add(b, f_left, r_right,
                                              [(2 * s, v) for s, v in enumerate(node_field(right.public, "F"))]), f_left)
    R = fq.select(b, right_active, fq.mul(b, r_left, r_right), r_left)
    joined = compress(b, node_field(left.public, "records_digest"), node_field(right.public, "records_digest"))
    D = select_digest(b, right_active, joined, node_field(left.public, "records_digest"))
    assert_digests_equal(b, D, pis["records_digest"])
    assert_digests_equal(b, F, pis["F"])
    assert_digests_equal(b, R, pis["R"])
    b.ensure_gates(gate_names)
    return m
