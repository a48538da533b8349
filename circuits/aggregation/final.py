"""The final, L1-facing layer (SPEC.md, Part III, "Final layer").

Proved with Keccak-256 Merkle trees and transcript (cheap for the EVM).  It verifies the top
node proof of a batch (a leaf or a merge, key given as witness cap and required to be the leaf
or the merge key), checks that the node carried the real leaf and merge digests, and exposes
only what the L1 contract needs:

    note root and size before and after, nullifier root and size before and after, the anchor
    list (count and four digests, whose hash must be the node's anchors digest), the records
    digest D, rho (16 bytes), F (8 16-bit limbs)

with F = R_node + F_node mod q over the node's partial fingerprint and R = rho^(its coefficient
count): the whole batch's rho^m + sum_j c_j rho^(m-1-j), in canonical form.  It also computes
rho^14 from rho and requires the node's rho14 to be it (nodes take it as given).  The anchor list is a public input, not part of
the fingerprint: the L1 takes it from the calldata header, so the circuits' anchors are the
published ones by equality (an anchor list inside the fingerprint would be free after r).
"""

from __future__ import annotations

from dataclasses import dataclass

from circuits.aggregation.layout import FINAL_PI_FIELDS
from circuits.aggregation.node import node_field, verify_node
from circuits.gadgets import fq
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
                 "nf_root_old", "nf_size_old", "nf_root_new", "nf_size_new", "records_digest", "rho"):
        assert_digests_equal(b, node_field(top.public, name), pis[name])
    # rho: 16 bytes, the top one below 2^7 (rho < 2^127, what fq.mul_add assumes of a multiplier)
    rho = pis["rho"]
    for x in rho[:-1]:
        fq.range_byte(b, x)
    b.range_check(rho[-1], 16)
    b.range_check(b.scale(rho[-1], 1 << 9), 16)
    rho_w = fq.wide_from_narrow(b, rho)
    rho2 = fq.mul(b, rho_w, rho)
    rho2_n = fq.narrow_from_wide(b, rho2)
    rho4 = fq.mul(b, rho2, rho2_n)
    rho4_n = fq.narrow_from_wide(b, rho4)
    rho8 = fq.mul(b, rho4, rho4_n)
    rho14 = fq.mul(b, fq.mul(b, rho8, rho4_n), rho2_n)
    assert_digests_equal(b, fq.narrow_from_wide(b, rho14), node_field(top.public, "rho14"))
    anchors = pis["anchors"]
    assert_digests_equal(b, hash_elements(b, Tag.ANCHORS, anchors), node_field(top.public, "anchors_digest"))
    one = fq.constant_narrow(b, 1)
    f_total = fq.mul_add(b, node_field(top.public, "R"), one,
                         [(2 * s, v) for s, v in enumerate(node_field(top.public, "F"))])
    fq.assert_canonical(b, f_total)
    assert_digests_equal(b, f_total, pis["F"])
    return FinalCircuit(b, pis, anchors, top)
