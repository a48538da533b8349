"""The circuit builder: every operation's witness value against its plain twin, misuse of the
builder, witness-generation errors, and circuit statistics (fast tier: check mode only)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shielded.errors import CircuitError, WitnessError
from shielded.field.ext import Ext
from shielded.field.koalabear import P, inv
from shielded.proof.builder import CircuitBuilder, Var
from shielded.proof.check import check
from shielded.proof.config import ProofConfig
from shielded.proof.witness import generate_witness
from shielded.testing import check_accepts, ext_elements, field_elements

from helpers_circuits import compute_poseidon2_gate

nonzero = field_elements(min_value=1)
coefficients = st.one_of(st.sampled_from([0, 1, 2, P - 1]), field_elements())


def value_of(witness, var: Var) -> int:
    return int(witness.values[witness.circuit.roots[var.index]])


def ext_value_of(witness, ev) -> Ext:
    return Ext(*(value_of(witness, v) for v in ev))


def solve(b: CircuitBuilder, inputs: dict):
    """Build, generate the witness, and assert check mode accepts it (both paths)."""
    circuit = b.build()
    w = generate_witness(circuit, inputs)
    check_accepts(circuit, w)
    assert check(circuit, w, fast=False) == []
    return w


# -- base-field operations against plain arithmetic ----------------------------------------------

@given(coefficients, coefficients, field_elements(), field_elements(), field_elements())
def test_arithmetic_matches_plain(c0, c1, a, b_, c):
    b = CircuitBuilder()
    va, vb, vc = b.add_inputs(3)
    out = b.arithmetic(c0, c1, va, vb, vc)
    w = solve(b, {va: a, vb: b_, vc: c})
    assert value_of(w, out) == (c0 * a * b_ + c1 * c) % P


@given(field_elements(), field_elements(), field_elements(), coefficients)
def test_derived_base_ops_match_plain(x, y, z, k):
    b = CircuitBuilder()
    vx, vy, vz = b.add_inputs(3)
    outs = {
        "add": (b.add(vx, vy), (x + y) % P),
        "sub": (b.sub(vx, vy), (x - y) % P),
        "mul": (b.mul(vx, vy), x * y % P),
        "mul_add": (b.mul_add(vx, vy, vz), (x * y + z) % P),
        "scale": (b.scale(vx, k), k * x % P),
        "add_const": (b.add_const(vx, k), (x + k) % P),
        "neg": (b.neg(vx), -x % P),
        "constant": (b.constant(k), k % P),
    }
    w = solve(b, {vx: x, vy: y, vz: z})
    for name, (var, expected) in outs.items():
        assert value_of(w, var) == expected, name


@given(st.lists(st.tuples(coefficients, field_elements()), min_size=0, max_size=12), coefficients)
def test_linear_combination_matches_plain(terms, constant):
    b = CircuitBuilder()
    vs = b.add_inputs(len(terms))
    out = b.linear_combination([(k, v) for (k, _), v in zip(terms, vs)], constant)
    w = solve(b, {v: x for (_, x), v in zip(terms, vs)})
    assert value_of(w, out) == (sum(k * x for k, x in terms) + constant) % P


@given(nonzero)
def test_inverse_matches_plain(x):
    b = CircuitBuilder()
    vx = b.add_input()
    out = b.inverse(vx)
    w = solve(b, {vx: x})
    assert value_of(w, out) == inv(x) == pow(x, P - 2, P)
    assert value_of(w, out) * x % P == 1


@given(st.integers(0, 1), field_elements(), field_elements())
def test_select_matches_plain(bit, x, y):
    b = CircuitBuilder()
    vbit, vx, vy = b.add_inputs(3)
    b.assert_bool(vbit)
    out = b.select(vbit, vx, vy)
    w = solve(b, {vbit: bit, vx: x, vy: y})
    assert value_of(w, out) == (x if bit else y)


@given(coefficients, coefficients, ext_elements(), ext_elements(), ext_elements())
def test_ext_arithmetic_matches_ext(c0, c1, ea, eb, ec):
    b = CircuitBuilder()
    va, vb, vc = (tuple(b.add_inputs(4)) for _ in range(3))
    out = b.ext_arithmetic(c0, c1, va, vb, vc)
    w = solve(b, {**dict(zip(va, ea.c)), **dict(zip(vb, eb.c)), **dict(zip(vc, ec.c))})
    assert ext_value_of(w, out) == ea * eb * c0 + ec * c1


@given(st.lists(st.tuples(coefficients, coefficients, ext_elements(), ext_elements(), ext_elements()),
                min_size=1, max_size=12))
def test_ext_arithmetic_rows_of_one_level_match_ext(rows):
    """Independent ext_arithmetic rows are generated together (one row at a time below 4 rows,
    through the vector kernels from 4 on); every output equals the Ext formula either way."""
    b = CircuitBuilder()
    inputs, expected = {}, []
    for c0, c1, ea, eb, ec in rows:
        va, vb, vc = (tuple(b.add_inputs(4)) for _ in range(3))
        inputs.update({**dict(zip(va, ea.c)), **dict(zip(vb, eb.c)), **dict(zip(vc, ec.c))})
        expected.append((b.ext_arithmetic(c0, c1, va, vb, vc), ea * eb * c0 + ec * c1))
    w = solve(b, inputs)
    for out, value in expected:
        assert ext_value_of(w, out) == value


@given(ext_elements(), ext_elements(), ext_elements(), ext_elements())
def test_derived_ext_ops_match_ext(ea, eb, ec, ek):
    b = CircuitBuilder()
    va, vb, vc = (tuple(b.add_inputs(4)) for _ in range(3))
    outs = {
        "ext_add": (b.ext_add(va, vb), ea + eb),
        "ext_sub": (b.ext_sub(va, vb), ea - eb),
        "ext_mul": (b.ext_mul(va, vb), ea * eb),
        "ext_mul_add": (b.ext_mul_add(va, vb, vc), ea * eb + ec),
        "ext_constant": (b.ext_constant(ek), ek),
        "ext_one": (b.ext_one(), Ext(1)),
        "ext_zero": (b.ext_zero(), Ext()),
    }
    w = solve(b, {**dict(zip(va, ea.c)), **dict(zip(vb, eb.c)), **dict(zip(vc, ec.c))})
    for name, (ev, expected) in outs.items():
        assert ext_value_of(w, ev) == expected, name


# -- Poseidon2 against the plain permutation ----------------------------------------------------

states = st.lists(field_elements(), min_size=16, max_size=16)


@given(states, st.sampled_from([None, 0, 1]), st.booleans())
def test_poseidon2_matches_permute(state, swap, feed_forward):
    b = CircuitBuilder()
    vs = b.add_inputs(16)
    inputs = dict(zip(vs, state))
    vswap = None
    if swap is not None:
        vswap = b.add_input()
        inputs[vswap] = swap
    out = b.poseidon2(vs, swap=vswap, feed_forward=feed_forward)
    w = solve(b, inputs)
    assert [value_of(w, v) for v in out] == compute_poseidon2_gate(state, swap or 0, feed_forward)


def test_poseidon2_plain_twin_is_permute_of_swapped_state():
    """The twin itself, spelled out once: swap exchanges the halves, feed-forward adds s."""
    from shielded.hash.poseidon2 import permute
    s = list(range(1, 17))
    swapped = s[8:] + s[:8]
    assert compute_poseidon2_gate(s, 0, False) == permute(s)
    assert compute_poseidon2_gate(s, 1, False) == permute(swapped)
    assert compute_poseidon2_gate(s, 1, True) == [(a + b) % P for a, b in zip(permute(swapped), swapped)]


@given(st.lists(st.tuples(states, st.integers(0, 1), st.booleans()), min_size=8, max_size=10))
def test_poseidon2_batched_witness_matches_permute(rows):
    """Eight or more rows at one level go through the numba kernel; it must agree with permute."""
    b = CircuitBuilder()
    inputs, outs = {}, []
    for state, swap, ff in rows:
        vs = b.add_inputs(16)
        vswap = b.add_input()
        inputs.update(zip(vs, state))
        inputs[vswap] = swap
        outs.append((b.poseidon2(vs, swap=vswap, feed_forward=ff), state, swap, ff))
    w = solve(b, inputs)
    for out, state, swap, ff in outs:
        assert [value_of(w, v) for v in out] == compute_poseidon2_gate(state, swap, ff)


# -- decompositions -------------------------------------------------------------------------------

@given(st.data())
def test_split_bits_matches_plain(data):
    bits = data.draw(st.integers(1, 31))
    x = data.draw(st.integers(0, min(P, 1 << bits) - 1))
    b = CircuitBuilder()
    vx = b.add_input()
    outs = b.split_bits(vx, bits)
    assert len(outs) == bits
    w = solve(b, {vx: x})
    assert [value_of(w, v) for v in outs] == [(x >> i) & 1 for i in range(bits)]


@given(st.data())
def test_range_check_accepts_values_in_range(data):
    bits = data.draw(st.integers(1, 30))
    xs = data.draw(st.lists(st.integers(0, (1 << bits) - 1), min_size=1, max_size=40))
    b = CircuitBuilder()
    vs = b.add_inputs(len(xs))
    for v in vs:
        b.range_check(v, bits)
    solve(b, dict(zip(vs, xs)))


@given(st.data())
def test_range_check_rejects_values_out_of_range(data):
    bits = data.draw(st.integers(1, 30))
    x = data.draw(st.integers(1 << bits, P - 1))
    b = CircuitBuilder()
    vx = b.add_input()
    b.range_check(vx, bits)
    circuit = b.build()
    with pytest.raises(WitnessError, match="does not fit"):
        generate_witness(circuit, {vx: x})
    w = generate_witness(circuit, {vx: x}, strict=False)
    assert w.problems
    for fast in (True, False):
        violations = check(circuit, w, fast=fast)
        assert violations, "an out-of-range value passed the range check"
        assert all(v.gate.startswith("decompose(") for v in violations if v.kind == "gate")


# -- misuse of the builder --------------------------------------------------------------------------

@pytest.mark.parametrize("bits", [-1, 0, 31, 32, 100])
def test_range_check_bits_out_of_bounds(bits):
    b = CircuitBuilder()
    with pytest.raises(CircuitError, match="range checks take 1..30 bits"):
        b.range_check(b.add_input(), bits)


@pytest.mark.parametrize("bits", [-1, 0, 32, 64])
def test_split_bits_out_of_bounds(bits):
    b = CircuitBuilder()
    with pytest.raises(CircuitError, match="split_bits takes 1..31 bits"):
        b.split_bits(b.add_input(), bits)


@pytest.mark.parametrize("width", [0, 8, 15, 17, 24])
def test_poseidon2_needs_16_vars(width):
    b = CircuitBuilder()
    with pytest.raises(CircuitError, match="16 vars"):
        b.poseidon2(b.add_inputs(width))


# -- witness errors -------------------------------------------------------------------------------

def square_builder():
    b = CircuitBuilder()
    x = b.add_input()
    y = b.public_input()
    b.assert_equal(b.mul(x, x), y)
    return b.build(), x, y


def test_missing_input_raises():
    circuit, x, y = square_builder()
    with pytest.raises(WitnessError, match="inputs not set"):
        generate_witness(circuit, {x: 3})
    with pytest.raises(WitnessError, match="inputs not set"):
        generate_witness(circuit, {})


@pytest.mark.parametrize("bad", [-1, P, P + 3, 2**64, 3.0, "3", None, np.uint32(3)])
def test_non_canonical_input_raises(bad):
    circuit, x, y = square_builder()
    with pytest.raises(WitnessError, match=f"input {x} must be a field element"):
        generate_witness(circuit, {x: bad, y: 9})


def test_bool_input_is_not_a_field_element():
    circuit, x, y = square_builder()
    with pytest.raises(WitnessError):
        generate_witness(circuit, {x: True, y: 1})


@pytest.mark.parametrize("stranger", [Var(100), Var(-1)])
def test_unknown_var_in_inputs_raises(stranger):
    b = CircuitBuilder()
    x = b.add_input()
    b.mul(x, x)  # the last var is the (computed) product
    circuit = b.build()
    with pytest.raises(WitnessError):
        generate_witness(circuit, {x: 3, stranger: 9})


def test_assert_equal_conflict_strict_and_lenient():
    circuit, x, y = square_builder()
    with pytest.raises(WitnessError, match="constrained equal"):
        generate_witness(circuit, {x: 3, y: 10})
    w = generate_witness(circuit, {x: 3, y: 10}, strict=False)
    assert len(w.problems) == 1 and "constrained equal" in w.problems[0]
    for fast in (True, False):
        violations = check(circuit, w, fast=fast)
        assert [(v.kind, v.gate) for v in violations] == [("gate", "arithmetic(ops=9)")]


def test_assert_equal_of_two_inputs_conflict():
    b = CircuitBuilder()
    x, y = b.add_inputs(2)
    b.assert_equal(x, y)
    circuit = b.build()
    with pytest.raises(WitnessError):
        generate_witness(circuit, {x: 1, y: 2})
    assert generate_witness(circuit, {x: 1, y: 2}, strict=False).problems
    generate_witness(circuit, {x: 2, y: 2})


def test_inverse_of_zero_cannot_satisfy_the_circuit():
    b = CircuitBuilder()
    x = b.add_input()
    b.inverse(x)
    circuit = b.build()
    with pytest.raises(WitnessError):
        generate_witness(circuit, {x: 0})
    w = generate_witness(circuit, {x: 0}, strict=False)
    assert w.problems
    for fast in (True, False):
        violations = check(circuit, w, fast=fast)
        assert any(v.kind == "gate" and v.gate.startswith("arithmetic") for v in violations)


def _swap_circuit(rows: int):
    b = CircuitBuilder()
    inputs = {}
    for _ in range(rows):
        vs = b.add_inputs(16)
        sw = b.add_input()
        b.poseidon2(vs, swap=sw)
        inputs.update({v: 1 for v in vs})
        inputs[sw] = 2
    return b.build(), inputs


@pytest.mark.parametrize("rows", [1, 8])
def test_non_boolean_swap_strict_raises_witness_error(rows):
    circuit, inputs = _swap_circuit(rows)
    with pytest.raises(WitnessError):
        generate_witness(circuit, inputs)


def test_non_boolean_swap_lenient_reaches_check_mode():
    circuit, inputs = _swap_circuit(1)
    w = generate_witness(circuit, inputs, strict=False)
    assert any(v.label == "swap*(swap-1) = 0" for v in check(circuit, w))


def test_non_boolean_swap_batched_is_rejected_by_check_mode():
    circuit, inputs = _swap_circuit(8)
    w = generate_witness(circuit, inputs, strict=False)
    labels = [(v.row, v.label) for v in check(circuit, w) if v.kind == "gate"]
    assert {r for r, label in labels if label == "swap*(swap-1) = 0"} == set(range(8))


# -- statistics ---------------------------------------------------------------------------------------

def test_stats_rows_add_up():
    cfg = ProofConfig()
    b = CircuitBuilder(cfg)
    xs = b.add_inputs(16)
    for _ in range(37):
        b.public_input()                           # 37 > 36 routed columns: two public-input rows
    for i in range(10):
        b.mul(xs[i], xs[i + 1])                    # 10 ops, 9 per row: 2 arithmetic rows
    b.add(xs[0], xs[1])                            # other constants (1, 1): a third arithmetic row
    b.poseidon2(xs)
    b.poseidon2(xs, feed_forward=True)
    for i in range(6):
        b.range_check(xs[i], 30)                   # 5 values per row: 2 rows
    b.split_bits(xs[0], 12)
    b.ext_mul(tuple(xs[:4]), tuple(xs[4:8]))
    circuit = b.build()
    s = circuit.stats()
    assert s["public_inputs"] == 37
    assert s["gate_rows"] == {"arithmetic(ops=9)": 3, "constant(count=4)": 1, "poseidon2(width=16)": 2,
                              "decompose(values=5,bits=30)": 2, "decompose(values=1,bits=12,routed)": 1,
                              "ext_arithmetic(ops=2)": 1}
    assert circuit.num_pi_rows == 2
    assert sum(s["gate_rows"].values()) + circuit.num_pi_rows == s["rows_used"] == 12
    assert s["rows_used"] <= circuit.num_active < circuit.n == 1 << s["log_n"]
    assert circuit.n - circuit.num_active == cfg.blinding_rows
    assert int((circuit.row_gate >= 0).sum()) == sum(s["gate_rows"].values())
    assert circuit.row_labels[:2] == ["public inputs"] * 2 and len(circuit.row_labels) == s["rows_used"]


@given(st.integers(0, 30), st.integers(0, 80), st.booleans())
def test_stats_rows_add_up_for_random_shapes(num_muls, num_public, zk):
    cfg = ProofConfig(zk=zk)
    b = CircuitBuilder(cfg)
    x = b.add_input()
    for _ in range(num_public):
        b.public_input()
    for _ in range(num_muls):
        x = b.mul(x, x)
    circuit = b.build()
    s = circuit.stats()
    arith = -(-num_muls // 9)
    assert s["gate_rows"].get("arithmetic(ops=9)", 0) == arith
    assert s["gate_rows"].get("constant(count=4)", 0) == (1 if num_muls else 0)
    assert circuit.num_pi_rows == -(-num_public // cfg.num_routed)
    assert sum(s["gate_rows"].values()) + circuit.num_pi_rows == s["rows_used"]
    assert s["rows_used"] + cfg.blinding_rows <= circuit.n
    assert circuit.log_n >= cfg.min_log_rows()
