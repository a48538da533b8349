"""Every gadget against its plain twin, in check mode (SPEC.md section 20, "Gadgets and their
plain twins"; STYLE.md rule 3).

Each property builds a tiny circuit around one gadget: private inputs x_0.., the gadget, its
outputs made public.  The witness generator then computes the outputs, which must equal what the
plain twin computes on the same random inputs, and check mode must accept the witness.

The negative side covers the gadgets that constrain something.  A malicious prover controls every
hint (advice) value and every private input, so the rejection tests build witnesses the way such
a prover would: with its own hints (``MaliciousBuilder``), with out-of-range inputs, or with one
var forced to a wrong value in every cell it occupies.  Check mode must report a violation of
the constraint that the gadget is there to enforce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from circuits.gadgets import arith, hashing, merkle
from circuits.gadgets.arith import (ADDRESS_LIMB_BITS, LIMB_BITS, U64_MAX, address_limbs, limbs_u64,
                                    u64_limbs)
from circuits.joinsplit import derive_nullifier, derive_owner, note_commitment
from shielded.commit.merkle import root_from_path
from shielded.errors import CircuitError
from shielded.field.koalabear import P
from shielded.hash import sponge
from shielded.hash.sponge import Tag
from shielded.proof.builder import CircuitBuilder, HintGen
from shielded.proof.check import Violation, check
from shielded.proof.config import ProofConfig
from shielded.proof.witness import Witness, generate_witness
from shielded.protocol import keys, note as plain_note
from shielded.protocol.note import Note
from shielded.testing import check_accepts, field_elements

# -- a tiny circuit around one gadget ----------------------------------------------------------


class MaliciousBuilder(CircuitBuilder):
    """A builder whose hints (unconstrained advice) are computed by ``evil`` instead of the
    gadget's honest function: what a cheating prover is free to do."""

    def __init__(self, evil: Callable):
        super().__init__(ProofConfig(), "malicious")
        self.evil = evil

    def hint(self, fn, inputs, num_outputs):
        return super().hint(self.evil, inputs, num_outputs)


@dataclass
class Tiny:
    circuit: object
    witness: Witness
    inputs: list          # the input vars x_0..
    outputs: list         # the gadget's output vars (public inputs, in order)

    @property
    def public(self) -> list[int]:
        return self.witness.public_values()

    def violations(self, public: Sequence[int] | None = None, trace: np.ndarray | None = None,
                   fast: bool = True) -> list[Violation]:
        """Check mode against the public values the verifier holds (default: the witness's)."""
        return check(self.circuit, trace=self.witness.trace() if trace is None else trace,
                     public_values=self.public if public is None else list(public), fast=fast)


def tiny(gadget: Callable, values: Sequence[int], builder: CircuitBuilder | None = None) -> Tiny:
    """Inputs x_i = values[i], outputs = gadget(b, xs) made public.  The witness is generated
    leniently (conflicts recorded, not raised) so that invalid witnesses reach check mode."""
    b = builder or CircuitBuilder(ProofConfig(), "tiny")
    xs = b.add_inputs(len(values))
    outs = list(gadget(b, xs) or [])
    for v in outs:
        b.make_public(v)
    circuit = b.build()
    return Tiny(circuit, generate_witness(circuit, dict(zip(xs, values)), strict=False), xs, outs)


def forced_trace(t: Tiny, values: dict) -> np.ndarray:
    """The witness's trace with each var set to its given value in every cell that holds it (so
    no copy constraint notices: only the gates using the var can object)."""
    trace = t.witness.trace()
    for var, value in values.items():
        rows, cols = np.nonzero(t.circuit.cell_vars == t.circuit.roots[var.index])
        assert rows.size, f"{var} occupies no cell"
        trace[cols, rows] = value % P
    return trace


def hint_vars(t: Tiny) -> list:
    """The outputs of the circuit's hints (advice), in creation order."""
    return [v for g in t.circuit.generators if isinstance(g, HintGen) and g.inputs for v in g.outputs]


def range_check_of(circuit, var) -> tuple[int, str]:
    """(row, label) of the range-check constraint "value k = sum bits * 2^i" holding ``var``."""
    for row, col in zip(*(circuit.cell_vars == circuit.roots[var.index]).nonzero()):
        gate = int(circuit.row_gate[row])        # -1 on the public-input rows
        if gate >= 0 and circuit.gates[gate].name.startswith("decompose"):
            return int(row), f"value {int(col)} = sum bits * 2^i"
    raise AssertionError(f"{var} is not range-checked")


def gate_kinds(violations: Sequence[Violation]) -> set[str]:
    return {v.gate.split("(")[0] for v in violations}


def accepts(t: Tiny) -> None:
    assert t.witness.problems == []
    check_accepts(t.circuit, t.witness)


digests = st.tuples(*[field_elements()] * 8).map(list)
u64s = st.one_of(st.sampled_from([0, 1, 0xFFFF, 0x10000, P - 1, P, 1 << 63, U64_MAX]),
                 st.integers(0, U64_MAX))

# -- sponge and compression --------------------------------------------------------------------


@given(st.sampled_from(list(Tag)) | st.integers(0, P - 1), st.lists(field_elements(), max_size=27))
def test_hash_elements_matches_the_sponge(tag, inputs):
    t = tiny(lambda b, x: hashing.hash_elements(b, tag, x), inputs)
    expected = list(sponge.hash_elements(tag, inputs))
    assert expected == list(sponge.hash_elements_reference(tag, inputs))
    assert t.public == expected
    accepts(t)
    # one Poseidon2 row per block of 8 inputs (an empty input still costs one)
    assert t.circuit.stats()["gate_rows"]["poseidon2(width=16)"] == max(1, -(-len(inputs) // 8))


@given(digests, digests, st.sampled_from([None, 0, 1]))
def test_compress_matches_the_plain_compression(left, right, swap):
    def gadget(b, x):
        return hashing.compress(b, x[:8], x[8:16], swap=None if swap is None else x[16])
    t = tiny(gadget, left + right + ([] if swap is None else [swap]))
    assert t.public == list(sponge.compress(right, left) if swap else sponge.compress(left, right))
    accepts(t)


def test_compress_rejects_wrong_lengths():
    b = CircuitBuilder(ProofConfig())
    xs = b.add_inputs(16)
    with pytest.raises(CircuitError):
        hashing.compress(b, xs[:7], xs[7:16])


# -- Merkle path -------------------------------------------------------------------------------


@st.composite
def merkle_paths(draw, max_depth: int = 8):
    depth = draw(st.integers(1, max_depth))
    index = draw(st.integers(0, (1 << depth) - 1))
    return draw(digests), index, [draw(digests) for _ in range(depth)]


def merkle_circuit(leaf, bits: Sequence[int], siblings) -> Tiny:
    depth = len(bits)

    def gadget(b, x):
        return merkle.merkle_root(b, x[:8], x[8:8 + depth], [x[8 + depth + 8 * i:16 + depth + 8 * i]
                                                             for i in range(depth)])
    return tiny(gadget, list(leaf) + list(bits) + [v for s in siblings for v in s])


@given(merkle_paths())
def test_merkle_root_matches_root_from_path(path):
    leaf, index, siblings = path
    bits = [(index >> i) & 1 for i in range(len(siblings))]
    t = merkle_circuit(leaf, bits, siblings)
    assert t.public == list(root_from_path(leaf, index, siblings))
    accepts(t)


@settings(max_examples=10)
@given(merkle_paths(), st.data())
def test_merkle_root_rejects_a_non_boolean_direction_bit(path, data):
    """A bit of 2 (or any non-boolean) would mix the two children instead of ordering them."""
    leaf, index, siblings = path
    bits = [(index >> i) & 1 for i in range(len(siblings))]
    level = data.draw(st.integers(0, len(bits) - 1))
    bits[level] = data.draw(st.sampled_from([2, P - 1]) | field_elements(2, P - 1))
    t = merkle_circuit(leaf, bits, siblings)
    violations = t.violations()
    assert [v.label for v in violations] == ["swap*(swap-1) = 0"]
    assert gate_kinds(violations) == {"poseidon2"}


# -- limbs and range checks --------------------------------------------------------------------


@given(u64s)
def test_u64_limbs_round_trip(value):
    limbs = u64_limbs(value)
    assert len(limbs) == 4 and all(0 <= x < 1 << 16 for x in limbs)
    assert limbs_u64(limbs) == value


@given(st.integers(0, (1 << 160) - 1))
def test_address_limbs_round_trip(address):
    limbs = address_limbs(address)
    assert len(limbs) == 8 and all(0 <= x < 1 << 20 for x in limbs)
    assert sum(x << (20 * i) for i, x in enumerate(limbs)) == address


@pytest.mark.parametrize("bad", [-1, 1 << 64, 2.0, "1", None])
def test_u64_limbs_rejects_values_outside_u64(bad):
    with pytest.raises(CircuitError, match="2\\^64"):
        u64_limbs(bad)


@pytest.mark.parametrize("bad", [-1, 1 << 160])
def test_address_limbs_rejects_values_outside_160_bits(bad):
    with pytest.raises(CircuitError, match="160-bit"):
        address_limbs(bad)


def u64_input_circuit():
    b = CircuitBuilder(ProofConfig())
    limbs = arith.u64_input(b)          # four new private inputs, range-checked
    for v in limbs:
        b.make_public(v)
    return b.build(), limbs


@given(u64s)
def test_u64_input_accepts_the_limbs_of_any_u64(value):
    circuit, limbs = u64_input_circuit()
    w = generate_witness(circuit, dict(zip(limbs, u64_limbs(value))))
    assert limbs_u64(w.public_values()) == value
    check_accepts(circuit, w)


@given(st.integers(0, 3), field_elements(1 << 16, P - 1))
def test_u64_input_rejects_a_limb_of_2_16_or_more(position, bad):
    circuit, limbs = u64_input_circuit()
    values = [5, 6, 7, 8]
    values[position] = bad
    w = generate_witness(circuit, dict(zip(limbs, values)), strict=False)
    violations = check(circuit, trace=w.trace(), public_values=values)
    assert [(v.row, v.label) for v in violations] == [range_check_of(circuit, limbs[position])]


def range_circuit(values: Sequence[int], bits: int) -> Tiny:
    return tiny(lambda b, x: arith.range_limbs(b, x, bits), values)


@given(st.lists(st.integers(0, (1 << 16) - 1), min_size=1, max_size=12))
def test_range_limbs_accepts_16_bit_limbs(limbs):
    accepts(range_circuit(limbs + [0xFFFF, 0], LIMB_BITS))


@given(st.integers(0, (1 << 160) - 1))
def test_range_limbs_accepts_address_limbs(address):
    accepts(range_circuit(address_limbs(address), ADDRESS_LIMB_BITS))


@pytest.mark.parametrize("bits", [LIMB_BITS, ADDRESS_LIMB_BITS], ids=["value-limb", "address-limb"])
@given(data=st.data())
def test_range_limbs_rejects_a_limb_at_or_above_the_bound(bits, data):
    """2^16 for value limbs, 2^20 for address limbs (and everything above, up to p - 1)."""
    bad = data.draw(st.sampled_from([1 << bits, (1 << bits) + 1, P - 1]) | field_elements(1 << bits, P - 1))
    position = data.draw(st.integers(0, 3))
    limbs = [1, 2, 3, 4]
    limbs[position] = bad
    t = range_circuit(limbs, bits)
    assert t.witness.problems, "the witness generator should notice the out-of-range value"
    violations = t.violations()
    assert gate_kinds(violations) == {"decompose"}
    assert [(v.row, v.label) for v in violations] == [range_check_of(t.circuit, t.inputs[position])]


# -- bits, selection, is_nonzero ---------------------------------------------------------------


@given(st.lists(st.integers(0, 1), min_size=1, max_size=30))
def test_bits_to_element_is_the_binary_sum(bits):
    t = tiny(lambda b, x: [arith.bits_to_element(b, x)], bits)
    assert t.public == [sum(x << i for i, x in enumerate(bits))]
    accepts(t)


def test_bits_to_element_refuses_more_than_30_bits():
    b = CircuitBuilder(ProofConfig())
    with pytest.raises(CircuitError, match="30 bits"):
        arith.bits_to_element(b, b.add_inputs(31))


@given(st.integers(0, 1), digests, digests)
def test_select_digest_picks_by_the_bit(bit, x, y):
    t = tiny(lambda b, v: arith.select_digest(b, v[0], v[1:9], v[9:17]), [bit] + x + y)
    assert t.public == (x if bit else y)
    accepts(t)


nonzero_or_zero = st.sampled_from([0, 1, P - 1]) | field_elements()


@given(nonzero_or_zero)
def test_is_nonzero_matches_x_ne_0(x):
    t = tiny(lambda b, v: [arith.is_nonzero(b, v[0])], [x])
    assert t.public == [int(x != 0)]
    accepts(t)


@given(nonzero_or_zero, st.sampled_from([0, 1]) | field_elements())
def test_is_nonzero_output_cannot_be_forged_through_the_hint(x, inv):
    """The hint (the inverse) is advice: whatever a prover puts there, check mode accepts only if
    the output is x != 0."""
    t = tiny(lambda b, v: [arith.is_nonzero(b, v[0])], [x], MaliciousBuilder(lambda v: inv))
    e = t.public[0]
    if e != int(x != 0):
        assert t.violations(), f"is_nonzero({x}) = {e} accepted with hint {inv}"
    assert (t.violations() == []) == (x == 0 or x * inv % P == 1)


@given(nonzero_or_zero, st.sampled_from([0, 1]) | field_elements())
def test_is_nonzero_rejects_a_tampered_output_cell(x, inv):
    """The output forced to the wrong answer in every cell it occupies (including its public
    input cell, so the verifier sees the wrong answer), the hint forced to any value: a gate of
    the gadget fails, not merely a copy constraint."""
    t = tiny(lambda b, v: [arith.is_nonzero(b, v[0])], [x])
    wrong = 1 - int(x != 0)
    trace = forced_trace(t, {t.outputs[0]: wrong, hint_vars(t)[0]: inv})
    violations = t.violations(public=[wrong], trace=trace)
    assert violations and {v.kind for v in violations} == {"gate"}
    assert gate_kinds(violations) == {"arithmetic"}


# -- digest comparisons ------------------------------------------------------------------------


@given(digests, st.integers(0, 7), field_elements(1, P - 1))
def test_assert_digests_differ_accepts_digests_differing_in_any_single_element(d, k, delta):
    other = list(d)
    other[k] = (other[k] + delta) % P
    accepts(tiny(lambda b, v: arith.assert_digests_differ(b, v[:8], v[8:]), d + other))


@given(digests)
def test_assert_digests_differ_rejects_equal_digests(d):
    t = tiny(lambda b, v: arith.assert_digests_differ(b, v[:8], v[8:]), d + d)
    assert t.violations()


@given(digests, st.lists(field_elements(), min_size=8, max_size=8))
def test_assert_digests_differ_rejects_equal_digests_whatever_the_hints(d, hints):
    """Each element comparison takes an inverse as advice; no advice makes equal digests pass."""
    it = iter(hints)
    t = tiny(lambda b, v: arith.assert_digests_differ(b, v[:8], v[8:]), d + d,
             MaliciousBuilder(lambda v: next(it)))
    assert t.violations()


@given(digests)
def test_assert_digests_equal_accepts_equal_digests(d):
    accepts(tiny(lambda b, v: arith.assert_digests_equal(b, v[:8], v[8:]) or v, d + d))


@given(digests, st.integers(0, 7), field_elements(1, P - 1))
def test_assert_digests_equal_rejects_a_difference_in_any_element(d, k, delta):
    """Both digests public; the verifier holds two digests that differ in element k."""
    def gadget(b, _):
        d1 = [b.public_input() for _ in range(8)]
        d2 = [b.public_input() for _ in range(8)]
        arith.assert_digests_equal(b, d1, d2)
    b = CircuitBuilder(ProofConfig())
    gadget(b, None)
    circuit = b.build()
    other = list(d)
    other[k] = (other[k] + delta) % P
    w = generate_witness(circuit, dict(zip(circuit.public_inputs, d + other)), strict=False)
    violations = check(circuit, trace=w.trace(), public_values=d + other)
    assert violations
    assert check(circuit, trace=w.trace(), public_values=d + d) == []


@given(st.integers(0, 1), digests, st.booleans(), st.integers(0, 7), field_elements(1, P - 1))
def test_assert_enabled_equal_binds_only_when_enabled(enabled, d, equal, k, delta):
    other = list(d)
    if not equal:
        other[k] = (other[k] + delta) % P
    t = tiny(lambda b, v: arith.assert_enabled_equal(b, v[0], v[1:9], v[9:17]), [enabled] + d + other)
    if enabled and not equal:
        assert t.violations() and gate_kinds(t.violations()) == {"arithmetic"}
    else:
        accepts(t)


# -- conservation ------------------------------------------------------------------------------


def conservation(inputs: Sequence[Sequence[int]], outputs: Sequence[Sequence[int]],
                 builder: CircuitBuilder | None = None) -> Tiny:
    """Conservation of limb vectors (4 limbs per value) as private inputs."""
    ni = len(inputs)
    flat = [x for v in list(inputs) + list(outputs) for x in v]

    def gadget(b, x):
        vals = [x[4 * i:4 * i + 4] for i in range(len(flat) // 4)]
        arith.assert_conservation(b, vals[:ni], vals[ni:])
    return tiny(gadget, flat, builder)


def limbs_of(values: Sequence[int]) -> list[list[int]]:
    return [u64_limbs(v) for v in values]


@st.composite
def balanced_values(draw, max_in: int = 4, max_out: int = 4):
    """Two lists of u64 values with equal integer sums (at most 4 per side)."""
    ins = draw(st.lists(u64s, min_size=1, max_size=max_in))
    n_out = draw(st.integers(1, max_out))
    total = sum(ins)
    assume(total <= n_out * U64_MAX)
    outs, remaining = [], total
    for i in range(n_out - 1):
        low = max(0, remaining - (n_out - 1 - i) * U64_MAX)
        part = draw(st.integers(low, min(U64_MAX, remaining)))
        outs.append(part)
        remaining -= part
    outs.append(remaining)
    assert sum(outs) == total and all(0 <= v <= U64_MAX for v in outs)
    return ins, draw(st.permutations(outs))


@given(balanced_values())
def test_assert_conservation_accepts_balanced_values(values):
    ins, outs = values
    accepts(conservation(limbs_of(ins), limbs_of(outs)))


EXTREMES = {
    # every limb 0xFFFF on the input side; the carries reach their largest values
    "3 max inputs vs 4 outputs": ([U64_MAX] * 3, [U64_MAX, U64_MAX, U64_MAX - 1, 1]),
    "4 max inputs vs 4 max outputs": ([U64_MAX] * 4, [U64_MAX] * 4),
    "4 x 0xFFFF vs one output (carry +3)": ([0xFFFF] * 4, [4 * 0xFFFF]),
    "one input vs 4 x 0xFFFF (carry -4)": ([4 * 0xFFFF], [0xFFFF] * 4),
    "3 max inputs vs 3 max outputs and 0": ([U64_MAX] * 3, [U64_MAX] * 3 + [0]),
    "limb borrows everywhere": ([1 << 48, 1 << 48, 1 << 48], [0xFFFF, 0xFFFF_FFFF, 0xFFFF_FFFF_FFFF,
                                                              3 * (1 << 48) - 0xFFFF_FFFF_FFFF
                                                              - 0xFFFF_FFFF - 0xFFFF]),
    "all zero": ([0], [0, 0, 0, 0]),
}


@pytest.mark.parametrize("case", list(EXTREMES))
def test_assert_conservation_accepts_balanced_extremes(case):
    ins, outs = EXTREMES[case]
    assert sum(ins) == sum(outs)
    accepts(conservation(limbs_of(ins), limbs_of(outs)))


@pytest.mark.parametrize("limb", range(4))
@pytest.mark.parametrize("delta", [1, -1], ids=["+1", "-1"])
@pytest.mark.parametrize("case", list(EXTREMES))
def test_assert_conservation_rejects_off_by_one_at_every_limb(case, delta, limb):
    """One output limb changed by +-1 (into or out of range alike): the integer sums differ by
    2^(16 limb), and check mode reports it."""
    ins, outs = EXTREMES[case]
    out_limbs = limbs_of(outs)
    out_limbs[0][limb] = (out_limbs[0][limb] + delta) % P
    t = conservation(limbs_of(ins), out_limbs)
    assert t.violations()


def test_assert_conservation_rejects_a_sum_that_wraps_at_2_64():
    """(2^64 - 1) + 1 = 0 modulo 2^64 but not over the integers."""
    t = conservation(limbs_of([U64_MAX, 1]), limbs_of([0]))
    violations = t.violations()
    assert violations and gate_kinds(violations) == {"arithmetic"}


def test_assert_conservation_rejects_a_sum_that_wraps_at_p():
    """p = 0 in the field: an input worth p against nothing balances modulo p only."""
    assert conservation(limbs_of([P]), limbs_of([0])).violations()
    assert conservation(limbs_of([P + 5, 0]), limbs_of([5])).violations()


@given(st.lists(u64s, min_size=1, max_size=3), st.integers(1, 1 << 20), st.data())
def test_assert_conservation_rejects_unbalanced_values_whatever_the_carries(ins, excess, data):
    """The carries are advice.  A prover can satisfy s = 2^16 (c - 4) in the field for any s by
    taking c = s / 2^16 + 4 (a field division): the 3-bit range check on c is what stops it.
    Random in-range carries do not balance an unbalanced sum either."""
    total = sum(ins) + excess
    assume(total <= 2 * U64_MAX)
    outs = [min(U64_MAX, total), total - min(U64_MAX, total)]
    inv16 = pow(1 << 16, P - 2, P)
    field_exact = MaliciousBuilder(lambda s: (s * inv16 + 4) % P)
    t = conservation(limbs_of(ins), limbs_of(outs), field_exact)
    violations = t.violations()
    assert violations and "decompose" in gate_kinds(violations)
    carries = iter(data.draw(st.lists(st.integers(0, 7), min_size=3, max_size=3)))
    t = conservation(limbs_of(ins), limbs_of(outs), MaliciousBuilder(lambda s: next(carries)))
    assert t.violations()


def test_assert_conservation_takes_at_most_4_values_per_side():
    b = CircuitBuilder(ProofConfig())
    vals = [b.add_inputs(4) for _ in range(5)]
    with pytest.raises(CircuitError, match="at most 4"):
        arith.assert_conservation(b, vals, vals[:1])


# -- the join-split's own gadgets: owner, note commitment, nullifier ------------------------------


@given(digests, digests)
def test_derive_owner_matches_the_key_derivation(ask, nk):
    t = tiny(lambda b, v: derive_owner(b, v[:8], v[8:]), ask + nk)
    assert t.public == list(keys.derive_owner(keys.derive_ak(tuple(ask)), tuple(nk)))
    accepts(t)


@given(st.binary(min_size=32, max_size=32))
def test_derive_owner_matches_a_spending_key(sk):
    key = keys.SpendingKey(sk)
    t = tiny(lambda b, v: derive_owner(b, v[:8], v[8:]), list(key.ask) + list(key.nk))
    assert t.public == list(key.owner)


@given(st.integers(0, (1 << 30) - 1), u64s, digests, digests)
def test_note_commitment_matches_the_plain_commitment(asset, value, owner, rcm):
    n = Note(asset, value, tuple(owner), tuple(rcm))
    t = tiny(lambda b, v: note_commitment(b, v[0], v[1:5], v[5:13], v[13:21]),
             [asset] + u64_limbs(value) + owner + rcm)
    assert t.public == list(plain_note.note_commitment(n))
    accepts(t)


@given(digests, digests, st.integers(0, (1 << 32) - 1))
def test_derive_nullifier_matches_the_plain_nullifier(nk, cm, position):
    t = tiny(lambda b, v: derive_nullifier(b, v[:8], v[8:16], v[16], v[17]),
             nk + cm + [position & 0xFFFF, position >> 16])
    assert t.public == list(plain_note.derive_nullifier(tuple(nk), tuple(cm), position))
    accepts(t)
