"""Arithmetic modulo q = 2^127 - 1 (circuits/gadgets/fq.py) against Python integers, in check
mode, and the witnesses a cheating prover could choose rejected (the harness of
tests/test_state_gadgets.py: a MaliciousBuilder replaces the advice of one named function)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.gadgets import fq
from shielded.errors import CircuitError
from shielded.field.koalabear import P
from test_state_gadgets import MaliciousBuilder, build

Q = fq.Q
EDGES = [0, 1, 2, Q - 1, Q, (1 << 126), (1 << 127) - 2, 0xFFFF, 1 << 64]
values = st.sampled_from(EDGES) | st.integers(0, (1 << 127) - 1)       # a and c: below 2^127


def mul_add_gadget(n_addend: int, builder=None):
    """a (wide), c (narrow), addend terms at columns 0, 2, 4, ... (one each) -> out (wide)."""
    def body(b, a, c, d):
        return fq.mul_add(b, a, c, [(2 * i, v) for i, v in enumerate(d)])
    return build("fq mul_add", {"a": (fq.WIDE,), "c": (fq.NARROW,), "d": (n_addend,)} if n_addend else
                 {"a": (fq.WIDE,), "c": (fq.NARROW,)},
                 (lambda b, a, c, d=(): body(b, a, c, d)), builder)


GADGETS = {n: mul_add_gadget(n) for n in (0, 3)}


def run(a: int, c: int, d=(), builder=None):
    g = mul_add_gadget(len(d), builder) if builder is not None else GADGETS[len(d)]
    values = {"a": fq.wide_limbs(a), "c": fq.narrow_limbs(c)}
    if d:
        values["d"] = list(d)
    return g.run(values)


def expected(a, c, d=()) -> int:
    return (a * c + sum(v << (16 * i) for i, v in enumerate(d))) % Q


# -- plain twins ---------------------------------------------------------------------------------

@given(st.integers(0, (1 << 128) - 1))
def test_limb_forms_round_trip(x):
    assert fq.limbs_value(fq.wide_limbs(x), 16) == x
    assert fq.limbs_value(fq.narrow_limbs(x), 8) == x
    assert all(0 <= v < 1 << 16 for v in fq.wide_limbs(x))
    assert all(0 <= v < 1 << 8 for v in fq.narrow_limbs(x))


@pytest.mark.parametrize("bad", [-1, 1 << 128, 1.5, "1"])
def test_limb_forms_refuse_bad_values(bad):
    with pytest.raises(CircuitError):
        fq.wide_limbs(bad)
    with pytest.raises(CircuitError):
        fq.narrow_limbs(bad)


def test_q_is_the_mersenne_prime():
    assert Q == 2**127 - 1 and pow(3, Q - 1, Q) == 1 and pow(5, Q - 1, Q) == 1


# -- mul_add against integers --------------------------------------------------------------------

@settings(max_examples=30)
@given(values, values)
def test_mul_matches_integers(a, c):
    r = run(a, c)
    r.accepts()
    out = fq.limbs_value(r.public, 16)
    assert out == expected(a, c) and out < 1 << 127


@settings(max_examples=30)
@given(values, values, st.lists(st.sampled_from([0, 1, (1 << 20) - 1]) | st.integers(0, (1 << 20) - 1),
                                min_size=3, max_size=3))
def test_mul_add_matches_integers(a, c, d):
    r = run(a, c, d)
    r.accepts()
    assert fq.limbs_value(r.public, 16) == expected(a, c, d)


def test_the_largest_operands_fit_the_column_bound():
    """a and c at their largest allowed values and every addend term at 2^20 - 1."""
    a = c = (1 << 127) - 1
    d = [(1 << 20) - 1] * 3
    r = run(a, c, d)
    r.accepts()
    assert fq.limbs_value(r.public, 16) == expected(a, c, d)


def test_argument_shapes_are_checked():
    from shielded.proof.builder import CircuitBuilder
    b = CircuitBuilder()
    a, c = b.add_inputs(fq.WIDE), b.add_inputs(fq.NARROW)
    with pytest.raises(CircuitError):
        fq.mul_add(b, a[:7], c)
    with pytest.raises(CircuitError):
        fq.mul_add(b, a, c, [(16, a[0])])
    with pytest.raises(CircuitError):
        fq.mul_add(b, a, c, [(3, a[0])] * 3)


# -- a cheating prover ---------------------------------------------------------------------------

def evil_out(delta_out: int, delta_k: int = 0):
    """Advice out + delta_out, k + delta_k as integers (then split into limbs, wrapping mod p
    where a limb goes negative), instead of the honest quotient and remainder."""
    def evil(honest, *vals):
        limbs = honest(*vals)
        out = fq.limbs_value(limbs[:fq.WIDE], 16) + delta_out
        k = fq.limbs_value(limbs[fq.WIDE:], 16) + delta_k

        def split(x):
            return [((x >> (16 * i)) & 0xFFFF) for i in range(fq.WIDE - 1)] + [(x >> 112) % P]
        return split(out) + split(k)
    return evil


@pytest.mark.parametrize("delta_out, delta_k", [(1, 0), (-1, 0), (Q, -1), (-Q, 1), (1 << 16, 0), (P, 0),
                                                 (0, 1), (1 << 112, 0)])
@settings(max_examples=8)
@given(values.filter(lambda v: v > 1), values.filter(lambda v: v > 1))
def test_wrong_quotient_or_remainder_is_rejected(delta_out, delta_k, a, c):
    if delta_out == Q and expected(a, c) == 0:
        return          # out = q for a*c = 0 (mod q) is the one other representative, accepted below
    r = run(a, c, builder=MaliciousBuilder(evil_out(delta_out, delta_k), gadget="_witness_fn"))
    r.rejects()


def test_q_as_a_representative_of_zero_is_accepted_and_nothing_else():
    """out = q stands for 0 (out < 2^127 holds); assert_canonical excludes it where needed."""
    r = run(Q, 1, builder=MaliciousBuilder(evil_out(Q, -1), gadget="_witness_fn"))    # q*1 = 0*q + q
    r.accepts()
    assert fq.limbs_value(r.public, 16) == Q
    r = run(1, 5, builder=MaliciousBuilder(evil_out(Q, -1), gadget="_witness_fn"))
    r.rejects()                                     # 5 + q >= 2^127


@pytest.mark.parametrize("delta", [1, -1, 1 << 8, P - 1])
@pytest.mark.parametrize("column", [0, 7, 14, 28])
def test_a_wrong_carry_is_rejected(delta, column):
    r = run(Q - 5, Q - 7, builder=MaliciousBuilder(lambda honest, v: (honest(v) + delta) % P,
                                                   gadget="_carry_fn", calls={column}))
    r.rejects()


# -- conversions ---------------------------------------------------------------------------------

@settings(max_examples=20)
@given(st.integers(0, (1 << 128) - 1))
def test_narrow_from_wide_and_back(x):
    g = build("narrow", {"x": (fq.WIDE,)}, lambda b, x: fq.wide_from_narrow(b, fq.narrow_from_wide(b, x)))
    r = g.run({"x": fq.wide_limbs(x)})
    r.accepts()
    assert fq.limbs_value(r.public, 16) == x
    g = build("narrow only", {"x": (fq.WIDE,)}, lambda b, x: fq.narrow_from_wide(b, x))
    assert g.run({"x": fq.wide_limbs(x)}).public == fq.narrow_limbs(x)


@pytest.mark.parametrize("hi", [256, P - 1, (1 << 16) + 3])
def test_narrow_from_wide_rejects_a_byte_out_of_range(hi):
    b = MaliciousBuilder(lambda honest, v: hi, gadget="narrow_from_wide", calls={0})
    g = build("narrow", {"x": (fq.WIDE,)}, lambda b, x: fq.narrow_from_wide(b, x), b)
    g.run({"x": fq.wide_limbs(0x1234)}).rejects()


# -- fingerprint data and canonical values --------------------------------------------------------

field = st.sampled_from([0, 1, (1 << 16) - 1, 1 << 16, (1 << 24) - 2, (1 << 24) - 1, P - 1, P - 2]) | \
    st.integers(0, P - 1)


def element_gadget(builder=None):
    return build("element", {"e": None}, lambda b, e: [v for _, v in fq.element_terms(b, e, 0)], builder)


@given(field)
def test_element_terms_are_the_canonical_split(e):
    r = element_gadget().run({"e": e})
    r.accepts()
    lo, hi = r.public
    assert lo + (hi << 16) == e and lo < 1 << 16 and hi < 1 << 15


@given(st.integers(0, (1 << 24) - 2))
def test_element_terms_reject_the_representative_e_plus_p(e):
    """e + p < 2^31 for e < 2^24 - 1: the same field element, another integer."""
    r = element_gadget(MaliciousBuilder(lambda honest, v: (v + P) >> 16, gadget="element_terms",
                                        calls={0})).run({"e": e})
    r.rejects()


@pytest.mark.parametrize("hi", [1 << 15, P - 1, P - (1 << 8)])
def test_element_terms_reject_a_high_part_out_of_range(hi):
    r = element_gadget(MaliciousBuilder(lambda honest, v: hi, gadget="element_terms", calls={0})).run({"e": 12345})
    r.rejects()


def test_element_terms_for_small_elements_place_them_whole():
    from shielded.proof.builder import CircuitBuilder
    b = CircuitBuilder()
    x = b.add_input()
    assert fq.element_terms(b, x, 4, bits=20) == [(4, x)]
    with pytest.raises(CircuitError):
        fq.element_terms(b, x, 4, bits=21)


@pytest.mark.parametrize("x, ok", [(0, True), (1, True), (Q - 1, True), (Q, False)])
def test_assert_canonical(x, ok):
    g = build("canonical", {"x": (fq.WIDE,)}, lambda b, x: (fq.assert_canonical(b, x), x)[1])
    r = g.run({"x": fq.wide_limbs(x)})
    if ok:
        r.accepts()
    else:
        r.rejects()


def test_every_advice_value_of_mul_add_is_range_checked():
    """The column argument needs out (top limb 15 bits, others 16), k (16 bits) and every carry
    (20 bits) range-checked.  A carry hint changed by itself fails its own column equation whether
    or not it is range-checked (test_a_wrong_carry_is_rejected), and a wrapping attack needs
    ~2^31 trials to find, so the checks are pinned here structurally: every advice value mul_add
    creates is the subject of a range check of the expected width."""
    from shielded.proof.builder import CircuitBuilder
    b = CircuitBuilder()
    a, c = b.add_inputs(fq.WIDE), b.add_inputs(fq.NARROW)
    before = len(b.generators)
    out = fq.mul_add(b, a, c, [(0, b.add_input())])
    gens = b.generators[before:]
    checked = {}
    for g in gens:
        if type(g).__name__ == "DecomposeGen":
            checked.setdefault(b.find(g.x), set()).add(g.gate.num_bits)
    hints = [g for g in gens if type(g).__name__ == "HintGen"]
    witness_hint = hints[0]
    out_vars, k_vars = list(witness_hint.outputs[:fq.WIDE]), list(witness_hint.outputs[fq.WIDE:])
    assert out_vars == list(out)
    for i, v in enumerate(out_vars):
        assert checked.get(b.find(v)) == {15 if i == fq.WIDE - 1 else 16}
    for v in k_vars:
        assert checked.get(b.find(v)) == {16}
    carries = [h.outputs[0] for h in hints if h.fn is fq._carry_fn]
    assert len(carries) == fq.COLUMNS - 1
    for v in carries:
        assert checked.get(b.find(v)) == {fq.CARRY_BITS}
