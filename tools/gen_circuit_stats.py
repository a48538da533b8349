"""Pinned circuit statistics: the cost of every gadget and the size of every circuit.

    python -m tools.gen_circuit_stats [--check]

Writes tests/vectors/circuit_stats.json; tests/test_circuit_stats.py recomputes the same numbers
and fails when they differ, so a change in circuit size is always noticed (and committed with the
regenerated file).  Gadget cost is counted in operations: Poseidon2 rows, arithmetic ops
(out = c0 a b + c1 c), extension ops, range-checked values by bit width, hints, new constants.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from circuits.aggregation import state_gadgets
from circuits.gadgets import arith, fq, hashing, merkle
from circuits.joinsplit import build_joinsplit, derive_nullifier, derive_owner, note_commitment
from shielded.proof.builder import CircuitBuilder
from shielded.proof.config import ProofConfig

OUT = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "circuit_stats.json"


def _cost(fn) -> dict:
    b = CircuitBuilder(ProofConfig())
    ins = b.add_inputs(64)
    b.zero(), b.one()
    before_gens, before_consts = len(b.generators), len(b._constants)
    fn(b, ins)
    counts: Counter = Counter()
    for g in b.generators[before_gens:]:
        name = type(g).__name__
        if name == "DecomposeGen":
            counts[f"range_check_{g.gate.num_bits}_bits"] += 1
        elif name == "HintGen" and not g.inputs and len(g.outputs) == 1:
            continue  # constants are counted below
        else:
            counts[{"ArithmeticGen": "arithmetic_ops", "Poseidon2Gen": "poseidon2_rows",
                    "ExtArithmeticGen": "ext_ops", "HintGen": "hints"}[name]] += 1
    counts["new_constants"] = len(b._constants) - before_consts
    return dict(sorted(counts.items()))


GADGETS = {
    "hash_elements(8 inputs)": lambda b, x: hashing.hash_elements(b, 21, x[:8]),
    "hash_elements(21 inputs)": lambda b, x: hashing.hash_elements(b, 20, x[:21]),
    "compress": lambda b, x: hashing.compress(b, x[:8], x[8:16]),
    "merkle_root(depth 32)": lambda b, x: merkle.merkle_root(b, x[:8], x[8:40], [x[40:48]] * 32),
    "u64_input": lambda b, x: arith.u64_input(b),
    "is_nonzero": lambda b, x: arith.is_nonzero(b, x[0]),
    "assert_digests_differ": lambda b, x: arith.assert_digests_differ(b, x[:8], x[8:16]),
    "assert_conservation(3 in, 4 out)": lambda b, x: arith.assert_conservation(
        b, [x[0:4], x[4:8], x[8:12]], [x[12:16], x[16:20], x[20:24], x[24:28]]),
    "note_commitment": lambda b, x: note_commitment(b, x[0], x[1:5], x[5:13], x[13:21]),
    "derive_owner": lambda b, x: derive_owner(b, x[:8], x[8:16]),
    "derive_nullifier": lambda b, x: derive_nullifier(b, x[:8], x[8:16], x[16], x[17]),
    # aggregation (SPEC.md, Part III)
    "fq.mul_add(2 addend terms)": lambda b, x: fq.mul_add(b, x[:8], x[8:24], [(0, x[24]), (2, x[25])]),
    "fq.narrow_from_wide": lambda b, x: fq.narrow_from_wide(b, x[:8]),
    "fq.element_terms(field element)": lambda b, x: fq.element_terms(b, x[0], 0),
    "nullifier_key": lambda b, x: state_gadgets.nullifier_key(b, x[:8]),
    "less_than": lambda b, x: state_gadgets.less_than(b, x[:4], x[4:8]),
    "note_pair_append(depth 32)": lambda b, x: state_gadgets.note_pair_append(
        b, x[0], x[1:9], x[9], x[10:18], x[18:26], [x[26:34]] * 31, 32),
    "nullifier_insert(depth 32)": lambda b, x: state_gadgets.nullifier_insert(
        b, x[0], x[1:9], x[9], x[10:18], x[18:22], x[22], x[23:27], x[27], [x[28:36]] * 32, [x[36:44]] * 32, 32),
}


def circuit_stats(preset_configs=(("joinsplit depth 32, hiding", 32, True), ("joinsplit depth 8, hiding", 8, True),
                                  ("joinsplit depth 32, no hiding", 32, False))) -> dict:
    from shielded.commit.fri import FriConfig
    out = {}
    for label, depth, zk in preset_configs:
        js = build_joinsplit(depth, ProofConfig(zk=zk, fri=FriConfig.for_security()))
        out[label] = js.circuit.stats()
    return out


def aggregation_stats() -> dict:
    from shielded.operator.aggregator import aggregation_circuit_stats
    from shielded.protocol.params import REAL
    return {f"aggregation {name} (real preset)": st for name, st in aggregation_circuit_stats(REAL).items()}


def compute() -> dict:
    return {"gadgets": {k: _cost(f) for k, f in GADGETS.items()},
            "circuits": {**circuit_stats(), **aggregation_stats()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.gen_circuit_stats")
    ap.add_argument("--check", action="store_true", help="compare with the checked-in file instead of writing")
    args = ap.parse_args(argv)
    data = compute()
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    if args.check:
        ok = OUT.exists() and OUT.read_text() == text
        print("circuit stats match" if ok else "circuit stats differ from tests/vectors/circuit_stats.json")
        return 0 if ok else 1
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
