"""The recursive verifier (SPEC.md, Part III): the generic verifier run with circuit values.

The central property: on every test proof, valid or tampered, native and in-circuit verification
agree.  Natively that is verify() raising or not; in the circuit it is check mode finding
violations or not in the witness built from the proof.  Inner proofs use few FRI queries so the
outer circuits stay small; the structure is the same at any query count.
"""

import copy
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.recursion.context import CircuitContext, canonical_bits
from circuits.recursion.transcript import CircuitTranscript
from circuits.recursion.values import BaseV
from circuits.recursion.verifier import proof_assignment, replay_query_indices, verify_in_circuit
from shielded.commit.fri import FriConfig
from shielded.errors import VerificationError
from shielded.field.koalabear import P
from shielded.hash.poseidon2 import permute
from shielded.hash.transcript import PoseidonTranscript
from shielded.proof.builder import CircuitBuilder
from shielded.proof.check import check
from shielded.proof.config import ProofConfig
from shielded.proof.keys import setup
from shielded.proof.prover import prove
from shielded.proof.verifier import verify
from shielded.proof.witness import generate_witness

INNER = {
    "plain": ProofConfig(fri=FriConfig(log_blowup=3, num_queries=3, pow_bits=2, cap_height=2, log_final_len=0)),
    "zk": ProofConfig(zk=True, fri=FriConfig(log_blowup=2, num_queries=3, pow_bits=2, cap_height=1,
                                             arity_bits=2, log_final_len=1)),
}


def _inner(name):
    cfg = INNER[name]
    b = CircuitBuilder(cfg)
    xs = b.add_inputs(16)
    y = b.public_input()
    st_ = b.poseidon2(xs, swap=b.add_input(), feed_forward=True)
    e = b.ext_mul(tuple(st_[:4]), tuple(xs[:4]))
    b.range_check(xs[5], 20)
    b.assert_equal(b.mul_add(st_[0], xs[1], e[0]), y)
    c = b.build()
    pk, vk = setup(c)
    rng = random.Random(7)
    vals = [rng.randrange(1 << 20) for _ in range(16)]
    s = vals[8:] + vals[:8]
    out = [(a + x) % P for a, x in zip(permute(s), s)]
    from shielded.field.ext import Ext
    ev = Ext(*out[:4]) * Ext(*vals[:4])
    yv = (out[0] * vals[1] + ev.c[0]) % P
    inputs = {**dict(zip(xs, vals)), y: yv, c.inputs[17]: 1}
    proof, pub = prove(pk, generate_witness(c, inputs), rng=np.random.default_rng(1))
    return vk, proof, pub


_CACHE: dict = {}


def inner(name):
    if name not in _CACHE:
        _CACHE[name] = _inner(name)
    return _CACHE[name]


def outer_verdict(vk, pub, proof) -> list:
    """Build the verifier circuit for vk, assign the proof, return check-mode violations."""
    b = CircuitBuilder(ProofConfig())
    pis = [b.public_input() for _ in pub]
    targets = verify_in_circuit(b, vk, pis)
    c = b.build()
    assign = proof_assignment(targets, vk, pub, proof)
    assign.update(zip(pis, pub))
    w = generate_witness(c, assign, strict=False)
    return check(c, w)


def native_ok(vk, pub, proof) -> bool:
    try:
        verify(vk, pub, proof)
        return True
    except VerificationError:
        return False


@pytest.mark.parametrize("name", list(INNER))
def test_valid_proof_accepted_by_both(name):
    vk, proof, pub = inner(name)
    assert native_ok(vk, pub, proof)
    assert outer_verdict(vk, pub, proof) == []


def _tamper(proof, what, rng):
    p = copy.deepcopy(proof)
    if what == "opening":
        p.openings[rng.randrange(len(p.openings)), rng.randrange(4)] += 1
    elif what == "opening_next":
        p.openings_next[rng.randrange(4), 0] += 1
    elif what == "wires_cap":
        p.wires_cap[0, 0] = (p.wires_cap[0, 0] + 1) % P
    elif what == "batch_row":
        b = p.pcs.batches[rng.randrange(4)]
        b.rows[0, rng.randrange(b.rows.shape[1])] = (b.rows[0, 0] + 1) % P
    elif what == "batch_sibling":
        b = next(x for x in p.pcs.batches if x.opening.siblings.shape[0])
        b.opening.siblings[0, 0] = (b.opening.siblings[0, 0] + 1) % P
    elif what == "layer_row":
        lay = p.pcs.fri.layers[0]
        lay.rows[0, 0] = (lay.rows[0, 0] + 1) % P
    elif what == "final_poly":
        from shielded.field.ext import Ext
        p.pcs.fri.final_poly[0] = p.pcs.fri.final_poly[0] + Ext(1)
    elif what == "nonce":
        p.pcs.fri.pow_nonce = (p.pcs.fri.pow_nonce + 1) % P
    p.openings %= P
    p.openings_next %= P
    return p


TAMPERINGS = ["opening", "opening_next", "wires_cap", "batch_row", "batch_sibling", "layer_row", "final_poly",
              "nonce"]


@pytest.mark.parametrize("name", list(INNER))
@pytest.mark.parametrize("what", TAMPERINGS)
def test_tampered_proof_rejected_by_both(name, what):
    vk, proof, pub = inner(name)
    bad = _tamper(proof, what, random.Random(hash(what) & 0xFFFF))
    assert not native_ok(vk, pub, bad)
    assert outer_verdict(vk, pub, bad), f"in-circuit verifier accepted a proof with a changed {what}"


@pytest.mark.parametrize("name", list(INNER))
def test_changed_public_input_rejected_by_both(name):
    vk, proof, pub = inner(name)
    bad = [(pub[0] + 1) % P] + list(pub[1:])
    assert not native_ok(vk, bad, proof)
    assert outer_verdict(vk, bad, proof)


def test_replay_reports_failures_of_invalid_proofs():
    vk, proof, pub = inner("plain")
    idx, failures = replay_query_indices(vk, pub, proof)
    assert failures == [] and len(idx) == vk.config.fri.num_queries
    _, failures = replay_query_indices(vk, pub, _tamper(proof, "layer_row", random.Random(1)))
    assert failures


@settings(max_examples=15, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.just("absorb"), st.lists(st.integers(0, P - 1), max_size=19)),
                          st.tuples(st.just("squeeze"), st.integers(1, 9))), max_size=6))
def test_circuit_transcript_matches_native(schedule):
    """The in-circuit duplex produces exactly the native transcript's challenges."""
    b = CircuitBuilder(ProofConfig())
    native = PoseidonTranscript()
    ct = CircuitTranscript(b)
    expected, outs = [], []
    for op, arg in schedule:
        if op == "absorb":
            native.absorb_elements(arg)
            ct.absorb_elements(arg)
        else:
            for _ in range(arg):
                expected.append(native.squeeze_base())
                outs.append(ct.squeeze_base())
    for o in outs:
        b.make_public(o.v())
    c = b.build()
    w = generate_witness(c, {})
    assert w.public_values() == expected


@given(st.integers(0, P - 1))
@settings(max_examples=30, deadline=None)
def test_canonical_bits_accepts_the_canonical_decomposition(x):
    b = CircuitBuilder(ProofConfig())
    v = b.add_input()
    bits = canonical_bits(b, v)
    for t in bits:
        b.make_public(t)
    c = b.build()
    w = generate_witness(c, {v: x})
    assert check(c, w) == [] and w.public_values() == [(x >> i) & 1 for i in range(31)]


def test_canonical_bits_rejects_the_second_decomposition():
    """For x < 2^24 - 1, x + p also fits in 31 bits; its bits must be rejected (else a prover
    could choose between two query positions)."""
    b = CircuitBuilder(ProofConfig())
    v = b.add_input()
    bits = canonical_bits(b, v)
    c = b.build()
    x = 12345
    w = generate_witness(c, {v: x})
    tr = w.trace()
    alt = x + P
    # rewrite the decomposition row with the bits of x + p (the sum constraint still holds mod p)
    row = next(r for r in range(c.rows_used) if c.cell_vars[r, 1] == c.roots[bits[0].index])
    for i in range(31):
        tr[1 + i, row] = (alt >> i) & 1
    violations = check(c, trace=tr, public_values=[])
    assert violations and all(v.kind != "copy" or True for v in violations)
