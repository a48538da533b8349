"""Check mode on small circuits mixing every gate type (fast tier).

A valid witness gives no violation on either path; changing any single witness cell gives at least
one, named by row, gate and label, and both paths agree; every gate type catches a violation on
each of its enabled rows (DESIGN.md: "test each selector with a witness that violates the gate on
an enabled row")."""

from __future__ import annotations

import random
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shielded.field.koalabear import P
from shielded.proof.check import Violation, check
from shielded.proof.config import ProofConfig
from shielded.testing import (check_accepts, check_rejects, tampered_public_inputs, tampered_trace,
                              witness_cells)

from helpers_circuits import many_public_inputs_circuit, mixed_circuit, poseidon2_batch_circuit

INSTANCES = {
    "mixed-swap0": lambda: mixed_circuit(seed=1, swap=0),
    "mixed-swap1": lambda: mixed_circuit(seed=2, swap=1),
    "mixed-zk-layout": lambda: mixed_circuit(ProofConfig(zk=True), seed=3),
    "mixed-wide": lambda: mixed_circuit(ProofConfig(num_routed=64), seed=4),
    "poseidon2-batch": lambda: poseidon2_batch_circuit(seed=5),
    "many-public-inputs": lambda: many_public_inputs_circuit(seed=6),
}


@lru_cache(maxsize=None)
def instance(name: str):
    inst = INSTANCES[name]()
    w = inst.witness()
    return inst, w, w.trace(), w.public_values()


@lru_cache(maxsize=None)
def tamper_all(name: str) -> dict:
    """Fast-path violations for a +1 change of every witness cell."""
    inst, w, trace, pub = instance(name)
    return {cell: check(inst.circuit, trace=tampered_trace(trace, *cell), public_values=pub)
            for cell in witness_cells(inst.circuit, w)}


def key(violations: list[Violation]) -> set:
    return {(v.kind, v.row, v.gate, v.label) for v in violations}


def mentions(v: Violation, row: int, col: int) -> bool:
    """Whether a violation points at cell (row, col): a gate or public-input violation in its row,
    or a copy violation naming the cell."""
    if v.kind == "copy":
        return f"(row {row}, col {col})" in v.label
    return v.row == row


@lru_cache(maxsize=None)
def gate_labels(gate) -> frozenset:
    """The labels check mode reports: an extension constraint is reported per component."""
    from shielded.proof.algebra import ExtAlg
    out = set()
    for label, c in gate.constraints([0] * gate.num_wires, [0] * max(1, gate.num_constants)):
        if isinstance(c, ExtAlg):
            out.update(f"{label} [component {j}]" for j in range(4))
        else:
            out.add(label)
    return frozenset(out)


names = pytest.mark.parametrize("name", list(INSTANCES))


@names
def test_valid_witness_has_no_violations(name):
    inst, w, trace, pub = instance(name)
    assert w.problems == []
    check_accepts(inst.circuit, w)
    assert check(inst.circuit, w, fast=False) == []
    assert check(inst.circuit, trace=trace, public_values=pub) == []


@names
def test_public_values_match_plain_twin(name):
    inst, w, trace, pub = instance(name)
    assert pub == inst.expected_public


@settings(max_examples=10)
@given(st.integers(0, 2**32), st.sampled_from([None, 0, 1]))
def test_random_inputs_satisfy_the_mixed_circuit_on_both_paths(seed, swap):
    inst = mixed_circuit(seed=seed, swap=swap)
    w = inst.witness()
    assert w.public_values() == inst.expected_public
    assert check(inst.circuit, w) == [] and check(inst.circuit, w, fast=False) == []


def test_mixed_circuit_uses_every_gate_type():
    inst, *_ = instance("mixed-swap1")
    kinds = {g.name.split("(")[0] for g in inst.circuit.gates}
    assert kinds == {"arithmetic", "ext_arithmetic", "constant", "poseidon2", "decompose"}
    assert any("routed" in g.name for g in inst.circuit.gates)
    assert inst.circuit.num_public_inputs == 7


@names
def test_every_witness_cell_change_is_detected(name):
    results = tamper_all(name)
    assert len(results) > 100
    undetected = [cell for cell, vs in results.items() if not vs]
    assert undetected == []


@names
def test_violations_name_the_right_row_and_gate(name):
    inst, w, trace, pub = instance(name)
    c = inst.circuit
    for (row, col), violations in tamper_all(name).items():
        assert any(mentions(v, row, col) for v in violations), (row, col, violations)
        for v in violations:
            assert v.kind in ("gate", "copy", "public input")
            if v.kind == "gate":
                gi = int(c.row_gate[v.row])
                assert gi >= 0 and v.gate == c.gates[gi].name, v
                assert v.label in gate_labels(c.gates[gi])
            if v.kind == "gate" and v.row != row:
                pytest.fail(f"tampering ({row}, {col}) broke gate {v.gate} in another row {v.row}")
            if v.kind == "public input":
                assert row < c.num_pi_rows and v.row == row


@names
def test_local_cell_changes_give_gate_violations_only(name):
    """Cells outside every copy cycle (round values, decomposition bits) can only break their gate."""
    inst, w, trace, pub = instance(name)
    c = inst.circuit
    routed = {cell for cycle in c.copy_cycles() for cell in cycle}
    checked = 0
    for (row, col), violations in tamper_all(name).items():
        if (row, col) in routed or c.cell_vars.shape[0] > row and c.cell_vars[row, col] >= 0:
            continue
        checked += 1
        gate = c.gates[int(c.row_gate[row])].name
        assert violations and all(v.kind == "gate" and v.row == row and v.gate == gate for v in violations)
    if name != "many-public-inputs":
        assert checked > 0


@names
def test_fast_and_reference_paths_agree(name):
    inst, w, trace, pub = instance(name)
    cells = witness_cells(inst.circuit, w)
    rnd = random.Random(f"agree-{name}")
    for row, col in rnd.sample(cells, 12):
        for delta in (1, rnd.randrange(2, P)):
            t = tampered_trace(trace, row, col, delta)
            fast = check(inst.circuit, trace=t, public_values=pub, fast=True)
            ref = check(inst.circuit, trace=t, public_values=pub, fast=False)
            assert fast, (row, col, delta)
            assert key(fast) == key(ref), (row, col, delta)
            assert {(v.row, v.gate, v.label): v.value for v in fast} == \
                   {(v.row, v.gate, v.label): v.value for v in ref}


@settings(max_examples=15)
@given(st.data())
def test_fast_and_reference_agree_on_random_multi_cell_changes(data):
    inst, w, trace, pub = instance("mixed-swap1")
    cells = witness_cells(inst.circuit, w)
    t = trace
    for _ in range(data.draw(st.integers(1, 4))):
        row, col = data.draw(st.sampled_from(cells))
        t = tampered_trace(t, row, col, data.draw(st.integers(1, P - 1)))
    assert key(check(inst.circuit, trace=t, public_values=pub)) == \
           key(check(inst.circuit, trace=t, public_values=pub, fast=False))


@names
def test_copy_constraint_violations_have_kind_copy(name):
    inst, w, trace, pub = instance(name)
    cycles = inst.circuit.copy_cycles()
    assert cycles
    for cycle in cycles:
        (r0, c0), (r1, c1) = cycle[0], cycle[1]
        violations = tamper_all(name)[(r1, c1)]
        copies = [v for v in violations if v.kind == "copy"]
        assert [v.label for v in copies] == [f"cell (row {r1}, col {c1}) = cell (row {r0}, col {c0})"]
        assert copies[0].row == r1 and copies[0].gate == "copy"
        assert copies[0].value == (int(trace[c1, r1]) + 1) % P
        # changing the first cell of a cycle puts every other cell of the cycle out of line
        first = [v for v in tamper_all(name)[(r0, c0)] if v.kind == "copy"]
        assert len(first) == len(cycle) - 1


@names
def test_changed_public_input_is_reported(name):
    inst, w, trace, pub = instance(name)
    R = inst.circuit.config.num_routed
    for k, changed in tampered_public_inputs(pub):
        violations = check_rejects(inst.circuit, trace, changed, f"(public input {k})")
        assert [(v.kind, v.row, v.label) for v in violations] == \
               [("public input", k // R, f"public input {k} = cell (row {k // R}, col {k % R})")]


@names
def test_wrong_number_of_public_inputs_is_reported(name):
    inst, w, trace, pub = instance(name)
    for public in (pub[:-1], pub + [0], []):
        violations = check(inst.circuit, trace=trace, public_values=public)
        assert len(violations) == 1 and violations[0].kind == "public input"
        assert f"expected {len(pub)} public inputs" in violations[0].label


@names
def test_every_selector_catches_a_violation_on_every_enabled_row(name):
    """For each gate type and each row where its selector is on, some single-cell change of that
    row produces a violation of that gate in that row."""
    inst, w, trace, pub = instance(name)
    c = inst.circuit
    caught: dict[int, set] = {}
    for (row, col), violations in tamper_all(name).items():
        for v in violations:
            if v.kind == "gate" and v.row == row:
                caught.setdefault(row, set()).add(v.gate)
    for gi, gate in enumerate(c.gates):
        rows = [int(r) for r in (c.row_gate == gi).nonzero()[0]]
        assert rows, gate.name
        for r in rows:
            assert caught.get(r) == {gate.name}, (gate.name, r)


@names
def test_each_gate_type_rejects_a_wrong_output(name):
    """One targeted violation per gate type: a wrong output / value wire on the first enabled row."""
    inst, w, trace, pub = instance(name)
    c = inst.circuit
    output_wire = {"arithmetic": 3, "ext_arithmetic": 12, "constant": 0, "poseidon2": 16, "decompose": 0}
    for gi, gate in enumerate(c.gates):
        row = int((c.row_gate == gi).nonzero()[0][0])
        col = output_wire[gate.name.split("(")[0]]
        for fast in (True, False):
            violations = check(c, trace=tampered_trace(trace, row, col, 5), public_values=pub, fast=fast)
            assert any(v.kind == "gate" and v.row == row and v.gate == gate.name for v in violations), gate.name


@names
def test_rows_without_a_gate_are_unconstrained(name):
    """Padding rows have every selector off: a value there violates nothing (the selectors are on
    exactly where the builder put gates)."""
    inst, w, trace, pub = instance(name)
    c = inst.circuit
    assert (c.row_gate[c.rows_used:] == -1).all()
    t = trace.copy()
    t[:, c.rows_used:] = 12345
    assert check(c, trace=t, public_values=pub) == []
    assert check(c, trace=t, public_values=pub, fast=False) == []
