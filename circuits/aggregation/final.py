"""The final, L1-facing layer (SPEC.md, Part III, "Final layer").

Proved with Keccak-256 Merkle trees and transcript (cheap for the EVM).  It verifies the top
node proof of a batch (a leaf or a merge, key given as witness cap and required to be the leaf
or the merge key), checks that the node carried the real leaf and merge digests, adds the batch
header (anchor list) to the fingerprint, and exposes only what the L1 contract needs:

    note root and size before and after, nullifier root and size before and after, the records
    digest D, r, F

with F = sum_{i<40} h_i r^i + r^40 (F_node + R_node) over the header elements h and the node's
F and R = r^(its element count): the whole batch's sum_i e_i r^i + r^n.
"""

from __future__ import annotations

from dataclasses import dataclass

from circuits.aggregation.layout import (ANCHORS_LEN, FINAL_PI_FIELDS, HEADER_ELEMENTS, MAX_ANCHORS)
from circuits.aggregation.node import ext_pow_vars, node_field, verify_node
from circuits.gadgets.arith import assert_digests_equal
from circuits.gadgets.hashing import hash_elements
from shielded.hash.sponge import Tag
from shielded.proof.builder import CircuitBuilder


@dataclass
class FinalCircuit:
    builder: CircuitBuilder
    pis: dict
    anchors: list
    top: object


def build_final(node_template, leaf_digest, merge_digest, config) -> FinalCircuit:
    b = CircuitBuilder(config, name="aggregation-final", range_values_per_row=4)
    pis = {name: [b.public_input() for _ in range(n)] for name, n in FINAL_PI_FIELDS}
    # the node's own allowed digests are this circuit's constants
    consts = {"leaf_digest": [b.constant(x) for x in leaf_digest],
              "merge_digest": [b.constant(x) for x in merge_digest]}
    top = verify_node(b, node_template, consts)
    for name in ("leaf_digest", "merge_digest"):
        assert_digests_equal(b, node_field(top.public, name), consts[name])
    for name in ("note_root_old", "note_size_old", "note_root_new", "note_size_new",
                 "nf_root_old", "nf_size_old", "nf_root_new", "nf_size_new", "records_digest", "r"):
        assert_digests_equal(b, node_field(top.public, name), pis[name])
    anchors = b.add_inputs(ANCHORS_LEN)
    assert_digests_equal(b, hash_elements(b, Tag.ANCHORS, anchors), node_field(top.public, "anchors_digest"))
    z = b.zero()
    header = [anchors[0]] + [z] * 7 + anchors[1:1 + 8 * MAX_ANCHORS]
    assert len(header) == HEADER_ELEMENTS
    r = tuple(pis["r"])
    f_header = b.reduce_horner(r, list(reversed(header)))
    f_node = b.ext_add(tuple(node_field(top.public, "F")), tuple(node_field(top.public, "R")))
    f_total = b.ext_mul_add(ext_pow_vars(b, r, HEADER_ELEMENTS), f_node, f_header)
    assert_digests_equal(b, f_total, pis["F"])
    return FinalCircuit(b, pis, anchors, top)
