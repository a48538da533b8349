"""Real proving and verification (prove tier) in three configurations: Poseidon2 without and with
zero knowledge, and Keccak without.  Small pow_bits keep grinding out of the measurement."""

from __future__ import annotations

import copy
import random
from dataclasses import replace

import numpy as np
import pytest

from shielded.commit.fri import FriConfig
from shielded.errors import ProvingError, VerificationError
from shielded.field.koalabear import P
from shielded.proof.config import ProofConfig
from shielded.proof.encoding import encode_proof
from shielded.proof.keys import setup
from shielded.proof.prover import prove
from shielded.proof.verifier import is_valid, verify
from shielded.proof.witness import Witness, generate_witness
from shielded.testing import tampered_public_inputs, tampered_trace, witness_cells

from helpers_circuits import (many_public_inputs_circuit, mixed_circuit, poseidon2_batch_circuit,
                              square_circuit)

pytestmark = pytest.mark.prove

CONFIGS = {
    "poseidon2": ProofConfig(fri=FriConfig(pow_bits=4)),
    "poseidon2-zk": ProofConfig(zk=True, fri=FriConfig(pow_bits=4)),
    "keccak": ProofConfig(fri=FriConfig(pow_bits=4, hash="keccak")),
}
CIRCUITS = {
    "mixed": lambda cfg: mixed_circuit(cfg, seed=11),
    "poseidon2-batch": lambda cfg: poseidon2_batch_circuit(cfg, seed=12, count=8),
    "many-public-inputs": lambda cfg: many_public_inputs_circuit(cfg, seed=13, count=40),
    "square": lambda cfg: square_circuit(cfg, x_val=12345),
}


class TamperedWitness(Witness):
    """A witness whose trace (or public values) was changed after generation: what a cheating or
    buggy prover would hand to ``prove``."""

    def __init__(self, base: Witness, trace: np.ndarray | None = None, public: list[int] | None = None):
        self.__dict__.update(base.__dict__)
        self._trace = trace
        self._public = public

    def trace(self) -> np.ndarray:
        return (super().trace() if self._trace is None else self._trace).copy()

    def public_values(self) -> list[int]:
        return super().public_values() if self._public is None else list(self._public)


@pytest.fixture(scope="module", params=list(CONFIGS))
def config_name(request):
    return request.param


_cache: dict = {}


def proved(config_name: str, circuit_name: str):
    """(instance, pk, vk, witness, proof, public) for one configuration and circuit, proved once."""
    k = (config_name, circuit_name)
    if k not in _cache:
        inst = CIRCUITS[circuit_name](CONFIGS[config_name])
        pk, vk = setup(inst.circuit)
        w = inst.witness()
        proof, public = prove(pk, w, rng=np.random.default_rng(1))
        _cache[k] = (inst, pk, vk, w, proof, public)
    return _cache[k]


@pytest.mark.parametrize("circuit_name", list(CIRCUITS))
def test_valid_circuit_proves_and_verifies(config_name, circuit_name):
    inst, pk, vk, w, proof, public = proved(config_name, circuit_name)
    assert public == inst.expected_public
    verify(vk, public, proof)
    assert is_valid(vk, public, proof)
    assert vk.config.zk == (config_name == "poseidon2-zk")


@pytest.mark.parametrize("circuit_name", ["mixed", "many-public-inputs"])
def test_reference_verifier_path_accepts_valid_proofs(config_name, circuit_name):
    inst, pk, vk, w, proof, public = proved(config_name, circuit_name)
    verify(vk, public, proof, fast=False)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
@pytest.mark.parametrize("circuit_name", ["mixed", "many-public-inputs"])
def test_changed_public_input_is_rejected(config_name, circuit_name, fast):
    inst, pk, vk, w, proof, public = proved(config_name, circuit_name)
    count = 0
    for k, changed in tampered_public_inputs(public):
        with pytest.raises(VerificationError):
            verify(vk, changed, proof, fast=fast)
        count += 1
    assert count == len(public) == vk.num_public_inputs


def test_public_input_changed_by_random_amounts_is_rejected(config_name):
    inst, pk, vk, w, proof, public = proved(config_name, "mixed")
    rnd = random.Random(f"pi-{config_name}")
    for _ in range(10):
        changed = list(public)
        k = rnd.randrange(len(public))
        changed[k] = (changed[k] + rnd.randrange(1, P)) % P
        assert not is_valid(vk, changed, proof)


def test_malformed_public_inputs_are_rejected(config_name):
    inst, pk, vk, w, proof, public = proved(config_name, "mixed")
    for bad in (public[:-1], public + [0], [], [P] + public[1:], [-1] + public[1:], [True] + public[1:],
                [float(public[0])] + public[1:]):
        with pytest.raises(VerificationError):
            verify(vk, bad, proof)
    # numpy integers are accepted as field elements
    verify(vk, [np.uint32(x) for x in public], proof)


def test_prover_refuses_a_tampered_witness_cell(config_name):
    inst, pk, vk, w, proof, public = proved(config_name, "mixed")
    trace = w.trace()
    cells = witness_cells(inst.circuit, w)
    rnd = random.Random(f"tamper-{config_name}")
    for row, col in rnd.sample(cells, 20):
        bad = TamperedWitness(w, trace=tampered_trace(trace, row, col, rnd.randrange(1, P)))
        with pytest.raises(ProvingError):
            prove(pk, bad, rng=np.random.default_rng(2))


def test_prover_refuses_public_values_that_differ_from_the_trace(config_name):
    inst, pk, vk, w, proof, public = proved(config_name, "mixed")
    for k, changed in list(tampered_public_inputs(public))[:3]:
        with pytest.raises(ProvingError):
            prove(pk, TamperedWitness(w, public=changed), rng=np.random.default_rng(3))


def test_prover_refuses_an_unsatisfiable_lenient_witness(config_name):
    inst = mixed_circuit(CONFIGS[config_name], seed=14)
    inputs = dict(inst.inputs)
    inputs[inst.notes["xs"][3]] = 0          # inverse of zero
    w = generate_witness(inst.circuit, inputs, strict=False)
    assert w.problems
    pk, vk = setup(inst.circuit)
    with pytest.raises(ProvingError):
        prove(pk, w, rng=np.random.default_rng(4))


def test_proof_does_not_verify_under_another_circuits_key(config_name):
    cfg = CONFIGS[config_name]
    inst, pk, vk, w, proof, public = proved(config_name, "square")
    # same shape, different constant (y = x^2 + 1): only the preprocessed commitment differs
    other = square_circuit(cfg, x_val=12345, offset=1)
    _, vk_same_shape = setup(other.circuit)
    assert vk_same_shape.gate_names == vk.gate_names and vk_same_shape.log_n == vk.log_n
    assert vk_same_shape.digest != vk.digest
    with pytest.raises(VerificationError):
        verify(vk_same_shape, public, proof)
    # a different shape (other gates, another trace size, more public inputs)
    _, _, vk_mixed, _, proof_mixed, public_mixed = proved(config_name, "mixed")
    with pytest.raises(VerificationError):
        verify(vk_mixed, public_mixed, proof)
    with pytest.raises(VerificationError):
        verify(vk, public, proof_mixed)
    with pytest.raises(VerificationError):
        verify(vk, public_mixed[:1], proof_mixed)


def test_proof_does_not_verify_under_another_configuration(config_name):
    inst, pk, vk, w, proof, public = proved(config_name, "square")
    for other_name, other_cfg in CONFIGS.items():
        if other_name == config_name:
            continue
        _, other_vk = setup(square_circuit(other_cfg, x_val=12345).circuit)
        with pytest.raises(VerificationError):
            verify(other_vk, public, proof)
    # the same circuit with a different FRI parameter
    cfg = CONFIGS[config_name]
    _, vk_q = setup(square_circuit(replace(cfg, fri=replace(cfg.fri, num_queries=cfg.fri.num_queries - 1)),
                                   x_val=12345).circuit)
    with pytest.raises(VerificationError):
        verify(vk_q, public, proof)


def test_seeded_prover_is_deterministic_and_rng_matters_only_with_zk(config_name):
    inst, pk, vk, w, proof, public = proved(config_name, "square")
    a = encode_proof(prove(pk, w, rng=np.random.default_rng(7))[0], vk)
    b = encode_proof(prove(pk, w, rng=np.random.default_rng(7))[0], vk)
    assert a == b
    proof_c, public_c = prove(pk, w, rng=np.random.default_rng(8))
    c = encode_proof(proof_c, vk)
    verify(vk, public_c, proof_c)
    if vk.config.zk:
        assert a != c
        # the randomness reaches every committed batch that it should hide
        assert not np.array_equal(proof_c.wires_cap, proof.wires_cap)
        assert not np.array_equal(proof_c.perm_cap, proof.perm_cap)
        assert not np.array_equal(proof_c.quotient_cap, proof.quotient_cap)
    else:
        assert a == c == encode_proof(prove(pk, w)[0], vk)


def test_zk_prover_without_rng_uses_fresh_randomness():
    inst, pk, vk, w, proof, public = proved("poseidon2-zk", "square")
    p1, pub1 = prove(pk, w)
    p2, pub2 = prove(pk, w)
    assert encode_proof(p1, vk) != encode_proof(p2, vk)
    verify(vk, pub1, p1)
    verify(vk, pub2, p2)


# -- in-memory proofs with values no encoding could carry ----------------------------------------

def _with_opening(proof, where: str, rows=None, siblings=None):
    """A deep copy of ``proof`` with the rows and/or siblings of one tree opening replaced:
    ``where`` is "batch k" (k < 4) or "layer k" (a FRI folding layer)."""
    bad = copy.deepcopy(proof)
    kind, k = where.split()
    openings = bad.pcs.batches if kind == "batch" else bad.pcs.fri.layers
    tree = openings[int(k)]
    if rows is not None:
        tree.rows = rows(tree.rows.copy())
    if siblings is not None:
        tree.opening = replace(tree.opening, siblings=siblings(tree.opening.siblings.copy()))
    return bad


def _plus_p(a):
    out = a.astype(np.int64)
    out[0, 0] += P                     # the same residue, not canonical
    return out


def _minus_p(a):
    out = a.astype(np.int64)
    out[0, 0] -= P
    return out


def _byte_256(a):
    out = a.astype(np.int64)
    out[0, 0] = 256                    # not a byte (a Keccak digest element)
    return out


def test_non_canonical_opening_values_are_a_verification_error(config_name):
    """verify raises VerificationError (never ParameterError from the hash kernels) and is_valid
    returns False for opened values and sibling digests that are out of range: x + p, x - p, and
    for Keccak a digest byte of 256; also siblings of the wrong width."""
    inst, pk, vk, w, proof, public = proved(config_name, "mixed")
    keccak = vk.config.fri.hash == "keccak"
    out_of_range = [_byte_256] if keccak else [_plus_p, _minus_p]
    cases = []
    places = [f"batch {k}" for k in range(4)] + [f"layer {k}" for k in range(len(proof.pcs.fri.layers))]
    for where in places:
        kind, k = where.split()
        tree = (proof.pcs.batches if kind == "batch" else proof.pcs.fri.layers)[int(k)]
        assert tree.opening.siblings.shape[0] > 0, f"{where} has no siblings to change"
        cases += [(where, "siblings", _with_opening(proof, where, siblings=f)) for f in out_of_range]
        cases += [(where, "rows", _with_opening(proof, where, rows=f)) for f in (_plus_p, _minus_p)]
        cases.append((where, "sibling width", _with_opening(proof, where, siblings=lambda a: a[:, :-1])))
    bad = copy.deepcopy(proof)
    bad.pcs.fri.final_poly[0] = int(bad.pcs.fri.final_poly[0].c[0])    # not an Ext
    cases.append(("final polynomial", "type", bad))
    for where, what, bad in cases:
        with pytest.raises(VerificationError):
            verify(vk, public, bad)
        assert not is_valid(vk, public, bad), (where, what)
    verify(vk, public, proof)          # the original is untouched


# -- soundness of the IOP: the unchecked prover -----------------------------------------------------

# Few queries and no grinding: these tests exercise the IOP (the constraint identity at zeta), not
# FRI's query count.  An honest procedure run on an invalid witness commits low-degree polynomials
# and opens them truthfully, so FRI accepts; what must fail is the check at zeta.
SOUNDNESS_FRI = FriConfig(log_blowup=2, num_queries=2, pow_bits=0, arity_bits=2, log_final_len=2, cap_height=2)


@pytest.mark.parametrize("zk", [False, True], ids=["plain", "hiding"])
def test_unchecked_proof_of_every_tampered_witness_cell_is_rejected(zk):
    """For every witness cell of the mixed circuit (every gate type), the unchecked prover's
    proof of the witness with that cell changed by +1 is rejected, at the constraint check."""
    inst = mixed_circuit(ProofConfig(zk=zk, fri=SOUNDNESS_FRI), seed=11)
    pk, vk = setup(inst.circuit)
    w = inst.witness()
    trace = w.trace()
    cells = witness_cells(inst.circuit, w)
    assert len(cells) > 400
    proof, public = prove(pk, w, rng=np.random.default_rng(5), unchecked=True)
    verify(vk, public, proof)                 # sanity: unchecked on an honest witness is valid
    accepted, other = [], []
    for row, col in cells:
        bad = TamperedWitness(w, trace=tampered_trace(trace, row, col, 1))
        proof, public = prove(pk, bad, rng=np.random.default_rng(row * 1000 + col), unchecked=True)
        try:
            verify(vk, public, proof)
            accepted.append((row, col))
        except VerificationError as e:
            if str(e) != "constraints do not hold at zeta":
                other.append((row, col, str(e)))
    assert not accepted, f"the verifier accepted unchecked proofs of tampered cells {accepted}"
    assert not other, f"rejected for another reason than the constraint check: {other[:5]}"


def test_unchecked_prover_is_needed_to_prove_a_tampered_witness():
    """Without ``unchecked`` the same tampered witnesses are refused by the prover itself."""
    inst = mixed_circuit(ProofConfig(fri=SOUNDNESS_FRI), seed=11)
    pk, vk = setup(inst.circuit)
    w = inst.witness()
    cells = witness_cells(inst.circuit, w)
    for row, col in (cells[0], cells[len(cells) // 2], cells[-1]):
        bad = TamperedWitness(w, trace=tampered_trace(w.trace(), row, col, 1))
        with pytest.raises(ProvingError):
            prove(pk, bad, rng=np.random.default_rng(6))
        proof, public = prove(pk, bad, rng=np.random.default_rng(6), unchecked=True)
        assert not is_valid(vk, public, proof)
