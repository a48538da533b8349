"""FRI and batched openings at out-of-domain points (SPEC.md sections 5 and 6).

Honest proofs must verify for both hashes and many shapes; the honest prover must refuse bad
inputs; and every tampered or forced proof must be rejected at the check that guards it.  The
"adaptive" tampering tests re-grind the nonce and re-open every tree at the new query positions
after the change, so the only inconsistency left is the tampered value itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from shielded.commit.context import NativeContext
from shielded.commit.fri import (FriConfig, FriProof, OpeningClaim, PcsProof, TreeOpening, absorb_cap, commit_batch,
                                 coset_leaves, deep_combination, fold_codeword, pcs_prove, pcs_verify)
from shielded.commit.merkle import BatchOpening, MerkleTree
from shielded.commit.security import security_report
from shielded.errors import ParameterError, ProvingError, VerificationError
from shielded.field.ext import Ext
from shielded.field.koalabear import GENERATOR, P
from shielded.hash.transcript import new_transcript
from shielded.poly.evaluate import eval_coeffs_at
from shielded.poly.ntt import coset_intt, coset_ntt

WIDTHS = (3, 2)  # two committed batches


@dataclass
class Instance:
    cfg: FriConfig
    log_degree: int
    batches: list
    claims: list


def make_instance(cfg: FriConfig, log_degree: int, seed: int = 0, degree_excess: int = 0,
                  wrong_value: bool = False) -> Instance:
    """Commit random polynomials of degree < n (+ degree_excess for column 0 of batch 0), then claim
    all columns at z1 and two columns at z2, both squeezed after the caps (as a real IOP would)."""
    rng = np.random.default_rng(seed)
    n = 1 << log_degree
    big_n = n << cfg.log_blowup
    batches, coeffs = [], []
    for b, width in enumerate(WIDTHS):
        c = np.zeros((width, big_n), np.uint32)
        c[:, :n] = rng.integers(0, P, (width, n), dtype=np.uint32)
        c[:, n - 1] = np.maximum(c[:, n - 1], 1)  # degree exactly n - 1: the largest allowed
        if b == 0 and degree_excess:
            c[0, n:n + degree_excess] = rng.integers(1, P, degree_excess, dtype=np.uint32)
        coeffs.append(c)
        batches.append(commit_batch(cfg, coset_ntt(c, GENERATOR, big_n)))
    t = new_transcript(cfg.hash)
    for b in batches:
        absorb_cap(t, b.cap)
    z1, z2 = t.squeeze_ext(), t.squeeze_ext()
    v1 = [Ext(*map(int, v)) for c in coeffs for v in eval_coeffs_at(c, z1)]
    if wrong_value:
        v1[0] = v1[0] + 1
    cols1 = tuple((b, k) for b, w in enumerate(WIDTHS) for k in range(w))
    v2 = eval_coeffs_at(coeffs[0], z2)[1], eval_coeffs_at(coeffs[1], z2)[0]
    claims = [OpeningClaim(z1, cols1, tuple(v1)),
              OpeningClaim(z2, ((0, 1), (1, 0)), tuple(Ext(*map(int, v)) for v in v2))]
    return Instance(cfg, log_degree, batches, claims)


def transcript_before_opening(inst: Instance, claims=None):
    """The verifier's replay: absorb the caps, derive the points, absorb the claimed values."""
    claims = inst.claims if claims is None else claims
    t = new_transcript(inst.cfg.hash)
    for b in inst.batches:
        absorb_cap(t, b.cap)
    for c in claims:
        assert t.squeeze_ext() == c.point
    for c in claims:
        t.absorb_ext(list(c.values))
    return t


def prove(inst: Instance, check_degree: bool = True):
    proof, _ = pcs_prove(inst.cfg, transcript_before_opening(inst), inst.batches, inst.claims, inst.log_degree,
                         check_degree=check_degree)
    return proof


def verify(inst: Instance, proof, claims=None) -> None:
    claims = inst.claims if claims is None else claims
    pcs_verify(NativeContext(transcript_before_opening(inst, claims)), inst.cfg, [b.cap for b in inst.batches],
               list(WIDTHS), claims, proof, inst.log_degree)


def commit_phase(inst: Instance, zero_layer: int | None = None):
    """Replay the prover's commit phase (SPEC 5.2): the FRI layer trees and the final polynomial.

    With ``zero_layer = k`` a cheating prover commits the zero codeword (low degree, but not the
    fold of the previous layer) as layer k and folds on honestly from there."""
    cfg = inst.cfg
    t = transcript_before_opening(inst)
    alpha = t.squeeze_ext()
    cur = deep_combination(inst.batches, inst.claims, alpha, inst.log_degree + cfg.log_blowup, GENERATOR)
    trees, s = [], GENERATOR
    for k, ab in enumerate(cfg.arity_schedule(inst.log_degree)):
        if k == zero_layer:
            cur = np.zeros_like(cur)
        tree = MerkleTree(cfg.hasher, coset_leaves(cur, ab), cfg.cap_height)
        absorb_cap(t, tree.cap)
        cur = fold_codeword(cur, t.squeeze_ext(), ab, s)
        s = pow(s, 1 << ab, P)
        trees.append(tree)
    coeffs = coset_intt(np.ascontiguousarray(cur.T), s)
    final = [Ext(*map(int, coeffs[:, i])) for i in range(1 << min(cfg.log_final_len, inst.log_degree))]
    return trees, final


def layer_trees(inst: Instance) -> list[MerkleTree]:
    return commit_phase(inst)[0]


def open_tree(tree: MerkleTree, indices) -> TreeOpening:
    distinct = sorted(set(indices))
    rows = np.array([tree.leaf(i) for i in distinct], np.uint32).reshape(len(distinct), -1)
    return TreeOpening(rows, tree.open_batch(distinct))


def requery(inst: Instance, proof, trees) -> None:
    """Adaptive adversary: after tampering caps or the final polynomial, redo PoW and all openings."""
    cfg = inst.cfg
    t = transcript_before_opening(inst)
    t.squeeze_ext()
    for cap in proof.fri.layer_caps:
        absorb_cap(t, cap)
        t.squeeze_ext()
    t.absorb_ext(proof.fri.final_poly)
    proof.fri.pow_nonce = t.grind(cfg.pow_bits)
    assert t.check_pow(proof.fri.pow_nonce, cfg.pow_bits)
    log_n = inst.log_degree + cfg.log_blowup
    indices = [t.squeeze_base() & ((1 << log_n) - 1) for _ in range(cfg.num_queries)]
    proof.batches = [open_tree(b.tree, indices) for b in inst.batches]
    layers = []
    for ab, tree in zip(cfg.arity_schedule(inst.log_degree), trees):
        log_n -= ab
        layers.append(open_tree(tree, [i & ((1 << log_n) - 1) for i in indices]))
    proof.fri.layers = layers


def clone(proof: PcsProof) -> PcsProof:
    """An independent copy of a proof (Ext is immutable and shared; arrays are copied)."""
    def tree(o: TreeOpening) -> TreeOpening:
        return TreeOpening(o.rows.copy(), BatchOpening(o.opening.siblings.copy()))

    f = proof.fri
    return PcsProof([tree(o) for o in proof.batches],
                    FriProof([c.copy() for c in f.layer_caps], list(f.final_poly), f.pow_nonce,
                             [tree(o) for o in f.layers]))


def bump(arr: np.ndarray, pos) -> None:
    """Change one element: +1 mod p for field elements, xor 1 for Keccak digest bytes."""
    if arr.dtype == np.uint8:
        arr[pos] ^= 1
    else:
        arr[pos] = (int(arr[pos]) + 1) % P


# -- honest proofs -------------------------------------------------------------------------------

SHAPES = [  # (hash, log_degree, arity_bits, log_blowup, log_final_len, cap_height)
    ("poseidon2", 0, 1, 1, 0, 0),
    ("poseidon2", 3, 1, 2, 0, 2),
    ("poseidon2", 5, 2, 1, 1, 8),
    ("poseidon2", 6, 3, 3, 3, 4),
    ("poseidon2", 7, 4, 2, 0, 1),
    ("poseidon2", 4, 3, 1, 5, 3),
    ("poseidon2", 8, 3, 3, 2, 4),
    ("keccak", 0, 2, 1, 0, 0),
    ("keccak", 4, 2, 2, 1, 3),
    ("keccak", 6, 3, 3, 3, 4),
    ("keccak", 7, 4, 1, 0, 2),
]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "-".join(map(str, s)))
def test_honest_proof_verifies(shape):
    """Low-degree polynomials opened at two out-of-domain points verify for every shape."""
    hash_, log_degree, arity_bits, log_blowup, log_final_len, cap_height = shape
    cfg = FriConfig(hash=hash_, arity_bits=arity_bits, log_blowup=log_blowup, log_final_len=log_final_len,
                    cap_height=cap_height, pow_bits=4, num_queries=12)
    inst = make_instance(cfg, log_degree, seed=log_degree)
    proof = prove(inst)
    schedule = cfg.arity_schedule(log_degree)
    assert sum(schedule) == log_degree - min(log_final_len, log_degree)
    assert len(proof.fri.layers) == len(schedule)
    assert len(proof.fri.final_poly) == 1 << min(log_final_len, log_degree)
    verify(inst, proof)


# A shared proof for the tampering tests: 3 folding layers (arities 4, 4, 2), two batches.
TAMPER_CFG = {h: FriConfig(hash=h, arity_bits=2, log_blowup=2, log_final_len=1, cap_height=2, pow_bits=4,
                           num_queries=10) for h in ("poseidon2", "keccak")}
TAMPER_LOG_DEGREE = 6


@lru_cache(maxsize=None)
def honest_proof(hash_: str):
    inst = make_instance(TAMPER_CFG[hash_], TAMPER_LOG_DEGREE, seed=42)
    proof = prove(inst)
    verify(inst, proof)
    return inst, proof


@pytest.fixture(params=["poseidon2", "keccak"])
def honest(request):
    """A valid (instance, proof); tests must clone the proof before changing it."""
    return honest_proof(request.param)


# What a non-adaptive change of a transcript input (cap, final polynomial, claim) runs into: the
# nonce no longer passes, or (with probability 2^-pow_bits) the queries move and the openings fail.
MOVED_QUERIES = r"FRI: proof of work|Merkle opening does not match|expected \d+ leaves"


def rejects(inst, proof, match: str, claims=None) -> None:
    with pytest.raises(VerificationError, match=match):
        verify(inst, proof, claims)


def test_requery_of_untampered_proof_verifies(honest):
    """Baseline for the adaptive tests: the replayed trees match and re-opening keeps it valid."""
    inst, proof = honest
    trees = layer_trees(inst)
    assert all(np.array_equal(t.cap, c) for t, c in zip(trees, proof.fri.layer_caps))
    p = clone(proof)
    requery(inst, p, trees)
    verify(inst, p)


@pytest.mark.parametrize("batch", [0, 1])
def test_tampered_batch_leaf_value(honest, batch):
    """A changed opened value of a committed batch fails that batch's Merkle check."""
    inst, proof = honest
    for pos in [(0, 0), (-1, -1)]:
        p = clone(proof)
        bump(p.batches[batch].rows, pos)
        rejects(inst, p, f"batch {batch}: Merkle opening does not match")


@pytest.mark.parametrize("batch", [0, 1])
def test_tampered_batch_sibling(honest, batch):
    """A changed sibling digest of a batch opening fails that batch's Merkle check."""
    inst, proof = honest
    sibs = proof.batches[batch].opening.siblings
    assert sibs.shape[0] > 0
    for k in (0, sibs.shape[0] - 1):
        p = clone(proof)
        bump(p.batches[batch].opening.siblings, (k, 0))
        rejects(inst, p, f"batch {batch}: Merkle opening does not match")


def test_tampered_layer_leaf_and_sibling(honest):
    """A changed leaf value or sibling of any FRI layer fails that layer's Merkle check."""
    inst, proof = honest
    for k in range(len(proof.fri.layers)):
        p = clone(proof)
        bump(p.fri.layers[k].rows, (0, 0))
        rejects(inst, p, f"FRI layer {k}: Merkle opening does not match")
        if proof.fri.layers[k].opening.siblings.shape[0]:
            p = clone(proof)
            bump(p.fri.layers[k].opening.siblings, (0, 0))
            rejects(inst, p, f"FRI layer {k}: Merkle opening does not match")


def test_tampered_layer_cap(honest):
    """A changed layer cap is rejected; with PoW and openings redone, at that layer's Merkle check.

    Every cap node is changed: a node no query reaches is never read, and the rejection would then
    come (correctly) from a later folding check instead."""
    inst, proof = honest
    trees = layer_trees(inst)
    for k in range(len(proof.fri.layer_caps)):
        p = clone(proof)
        for j in range(p.fri.layer_caps[k].shape[0]):
            bump(p.fri.layer_caps[k], (j, 0))
        rejects(inst, p, MOVED_QUERIES)
        requery(inst, p, trees)
        rejects(inst, p, f"FRI layer {k}: Merkle opening does not match")


def test_tampered_final_polynomial(honest):
    """A changed final coefficient is rejected; with PoW and openings redone, by the final check."""
    inst, proof = honest
    trees = layer_trees(inst)
    for k in range(len(proof.fri.final_poly)):
        p = clone(proof)
        p.fri.final_poly[k] = p.fri.final_poly[k] + Ext(0, 0, 0, 1)
        rejects(inst, p, MOVED_QUERIES)
        requery(inst, p, trees)
        rejects(inst, p, "FRI: final polynomial mismatch")


def test_inconsistent_layer_rejected(honest):
    """A prover committing a low-degree layer that is not the fold of the previous one (with a
    matching final polynomial, PoW and openings) is caught by that layer's folding check."""
    inst, proof = honest
    for k in range(len(proof.fri.layers)):
        trees, final = commit_phase(inst, zero_layer=k)
        p = clone(proof)
        p.fri.layer_caps = [t.cap for t in trees]
        p.fri.final_poly = final
        requery(inst, p, trees)
        rejects(inst, p, f"FRI layer {k}: folded value mismatch")


def test_tampered_pow_nonce(honest):
    """A nonce that fails the proof-of-work check is rejected by that check."""
    inst, proof = honest
    cfg = inst.cfg
    t = transcript_before_opening(inst)
    t.squeeze_ext()
    for cap in proof.fri.layer_caps:
        absorb_cap(t, cap)
        t.squeeze_ext()
    t.absorb_ext(proof.fri.final_poly)
    assert t.copy().check_pow(proof.fri.pow_nonce, cfg.pow_bits)
    wrong = next(x for x in range(proof.fri.pow_nonce + 1, P) if not t.copy().check_pow(x, cfg.pow_bits))
    p = clone(proof)
    p.fri.pow_nonce = wrong
    rejects(inst, p, "FRI: proof of work")


@pytest.mark.parametrize("nonce", [P, 2**32 - 1])
def test_out_of_range_pow_nonce(honest, nonce):
    """A malformed (non-canonical) nonce in a proof is a rejected proof, not a caller error."""
    inst, proof = honest
    p = clone(proof)
    p.fri.pow_nonce = nonce
    rejects(inst, p, "FRI: proof-of-work nonce is not a field element")


@pytest.mark.parametrize("hash_", ["poseidon2", "keccak"])
def test_non_canonical_batch_value(hash_):
    """An opened value replaced by value + p (same residue, non-canonical encoding) is rejected."""
    inst, proof = honest_proof(hash_)
    p = clone(proof)
    rows = p.batches[0].rows
    pos = tuple(np.argwhere(rows < 2**32 - P)[0])
    rows[pos] += P
    rejects(inst, p, "batch 0: an opened value is not a canonical field element")


def test_tampered_claimed_value(honest):
    """A claimed value changed after proving is rejected (it changes every later challenge)."""
    inst, proof = honest
    for c in range(2):
        claims = list(inst.claims)
        vals = list(claims[c].values)
        vals[-1] = vals[-1] + 1
        claims[c] = OpeningClaim(claims[c].point, claims[c].columns, tuple(vals))
        rejects(inst, proof, MOVED_QUERIES, claims)


def test_structural_tampering(honest):
    """Wrong numbers of layers, batches, leaves or final coefficients, or a mis-shaped cap, are rejected."""
    inst, proof = honest
    p = clone(proof)
    p.fri.layers.pop()
    rejects(inst, p, "wrong number of folding layers")
    p = clone(proof)
    p.fri.layer_caps.pop()
    rejects(inst, p, "wrong number of folding layers")
    p = clone(proof)
    p.fri.final_poly.append(Ext(0))
    rejects(inst, p, "final polynomial has the wrong length")
    p = clone(proof)
    p.fri.layer_caps[1] = p.fri.layer_caps[1][:1]
    rejects(inst, p, "FRI layer 1: cap has shape")
    p = clone(proof)
    p.batches.pop()
    rejects(inst, p, "wrong number of opened batches")
    p = clone(proof)
    p.batches[0].rows = p.batches[0].rows[1:]
    rejects(inst, p, "batch 0: expected")
    p = clone(proof)
    p.fri.layers[0].rows = p.fri.layers[0].rows[:, :-1]
    rejects(inst, p, "FRI layer 0: expected")


# -- the prover refuses, the verifier rejects forced proofs -------------------------------------

@pytest.mark.parametrize("hash_", ["poseidon2", "keccak"])
def test_prover_refuses_high_degree(hash_):
    """A committed polynomial of degree >= n + 1 makes the honest prover refuse (ProvingError)."""
    inst = make_instance(TAMPER_CFG[hash_], TAMPER_LOG_DEGREE, seed=1, degree_excess=3)
    with pytest.raises(ProvingError, match="degree"):
        prove(inst)


@pytest.mark.parametrize("hash_", ["poseidon2", "keccak"])
def test_prover_refuses_wrong_claim(hash_):
    """A wrong claimed value makes the DEEP quotient non-polynomial: the prover refuses."""
    inst = make_instance(TAMPER_CFG[hash_], TAMPER_LOG_DEGREE, seed=2, wrong_value=True)
    with pytest.raises(ProvingError):
        prove(inst)


def test_prover_refuses_point_in_domain():
    """An opening point on the evaluation coset (here g itself) is refused, not divided by zero."""
    inst = make_instance(TAMPER_CFG["poseidon2"], 3, seed=3)
    c = inst.claims[1]
    inst.claims[1] = OpeningClaim(Ext(GENERATOR), c.columns, c.values)
    with pytest.raises(ProvingError, match="domain"):
        pcs_prove(inst.cfg, new_transcript("poseidon2"), inst.batches, inst.claims, 3)


@pytest.mark.parametrize("hash_", ["poseidon2", "keccak"])
@pytest.mark.parametrize("case", ["high_degree", "wrong_claim"])
def test_forced_invalid_proof_rejected(hash_, case):
    """check_degree=False forces a proof for an invalid statement; the verifier must reject it.

    The prover folds its (high-degree) codeword honestly, so every Merkle and folding check passes
    and the rejection must come from the final-polynomial check."""
    inst = make_instance(TAMPER_CFG[hash_], TAMPER_LOG_DEGREE, seed=4,
                         degree_excess=(1 << TAMPER_LOG_DEGREE) if case == "high_degree" else 0,
                         wrong_value=case == "wrong_claim")
    proof = prove(inst, check_degree=False)
    rejects(inst, proof, "FRI: final polynomial mismatch")


# -- configuration and security -----------------------------------------------------------------

@pytest.mark.parametrize("log_blowup", range(1, 7))
@pytest.mark.parametrize("pow_bits", [0, 16, 20])
def test_for_security_query_count(log_blowup, pow_bits):
    """for_security picks the fewest queries with Q * log_blowup + pow_bits >= 100."""
    cfg = FriConfig.for_security(log_blowup=log_blowup, pow_bits=pow_bits)
    assert cfg.conjectured_bits() == cfg.num_queries * log_blowup + pow_bits >= 100
    assert (cfg.num_queries - 1) * log_blowup + pow_bits < 100
    assert (cfg.log_blowup, cfg.pow_bits) == (log_blowup, pow_bits)


def test_default_config_is_for_security():
    """SPEC 5: the default FriConfig is the 100-bit one, Q = ceil((100 - 16) / 3) = 28."""
    assert FriConfig() == FriConfig.for_security()
    assert FriConfig().num_queries == math.ceil((100 - FriConfig().pow_bits) / FriConfig().log_blowup)


def _proven_query_bits(cfg: FriConfig) -> float:
    """SPEC 6: (1 - theta)^Q 2^-pow with theta = 1 - sqrt(rho) - eta, eta = max(rho/20, sqrt(rho)/100)."""
    rho = 2.0 ** -cfg.log_blowup
    eta = max(rho / 20, math.sqrt(rho) / 100)
    return -cfg.num_queries * math.log2(math.sqrt(rho) + eta) + cfg.pow_bits


@pytest.mark.parametrize("log_blowup", [1, 2, 3, 4, 5])
def test_security_report_sane(log_blowup):
    """At n = 2^14 for_security reaches 100 conjectured bits; proven < conjectured; terms recompute."""
    cfg = FriConfig.for_security(log_blowup=log_blowup)
    r = security_report(cfg, 14)
    assert r["conjectured_bits"] >= 100
    assert r["conjectured_terms"]["queries + grinding"] == cfg.conjectured_bits()
    assert 0 < r["proven_bits"] < r["conjectured_bits"]
    assert r["proven_bits"] == min(r["proven_terms"].values())
    assert r["conjectured_bits"] == min(r["conjectured_terms"].values())
    assert r["proven_terms"]["query phase"] == pytest.approx(_proven_query_bits(cfg), abs=0.06)
    assert all(v > 0 for v in r["proven_terms"].values())
    more = security_report(FriConfig.for_security(log_blowup=log_blowup, target_bits=120), 14)
    assert more["proven_terms"]["query phase"] > r["proven_terms"]["query phase"]


def test_security_report_matches_spec_table():
    """The figures SPEC.md section 6 documents for n = 2^14 are what security_report computes."""
    spec = Path(__file__).resolve().parents[1] / "SPEC.md"
    if not spec.exists():
        pytest.skip("SPEC.md not present")
    rows = re.findall(r"^\| (\d) \| (\d+) \| (\d+) \| (\d+) \| ([\d.]+) \| ([a-z ]+) \|$", spec.read_text(), re.M)
    assert rows, "the security table was not found in SPEC.md"
    for lb, q, pow_bits, conj, proven, weakest in rows:
        cfg = FriConfig(log_blowup=int(lb), num_queries=int(q), pow_bits=int(pow_bits))
        r = security_report(cfg, 14)
        assert r["conjectured_bits"] == float(conj)
        assert r["proven_bits"] == float(proven)
        assert min(r["proven_terms"], key=r["proven_terms"].get) == weakest.strip()


@pytest.mark.parametrize("log_degree", [4, 14, 20])
def test_out_of_domain_term_counts_columns_of_degree_n(log_degree):
    """SPEC.md section 9: FRI bounds each committed column by degree <= n, so the identity at zeta
    has degree <= 17n/4, and zeta avoids the evaluation domain and H."""
    cfg = FriConfig()
    n = 2 ** log_degree
    field = 2.0 ** (4 * math.log2(P))
    expect = -math.log2((17 * n / 4) / (field - n * 2 ** cfg.log_blowup - n))
    r = security_report(cfg, log_degree)
    assert r["conjectured_terms"]["out-of-domain point (zeta)"] == round(expect, 1)


@pytest.mark.parametrize("log_blowup,log_degree", [(3, 18), (6, 14)])
def test_for_security_meets_target_on_large_traces(log_blowup, log_degree):
    """The 100-bit configuration reports >= 100 conjectured bits up to these sizes."""
    cfg = FriConfig.for_security(log_blowup=log_blowup)
    assert security_report(cfg, log_degree)["conjectured_bits"] >= 100


def test_field_terms_cap_conjectured_security_on_huge_traces():
    """Beyond ~2^18 rows the field terms (|D|/|E|, R n/|E|) fall under 100 bits whatever Q is."""
    cfg = FriConfig.for_security(log_blowup=3)
    rep = security_report(cfg, 20)
    assert rep["conjectured_bits"] < 100
    assert rep["conjectured_terms"]["queries + grinding"] == 100


@pytest.mark.parametrize("kw", [dict(log_blowup=0), dict(log_blowup=7), dict(num_queries=0), dict(pow_bits=31),
                                dict(arity_bits=0), dict(arity_bits=5), dict(log_final_len=11),
                                dict(cap_height=9), dict(hash="sha256")])
def test_fri_config_rejects_out_of_range(kw):
    """Each FriConfig field is range-checked with ParameterError."""
    with pytest.raises(ParameterError):
        FriConfig(**kw)


@pytest.mark.parametrize("arity_bits,log_final_len,log_degree,expect", [
    (3, 3, 14, [3, 3, 3, 2]), (3, 3, 3, []), (3, 3, 1, []), (2, 0, 5, [2, 2, 1]), (4, 1, 9, [4, 4]),
])
def test_arity_schedule(arity_bits, log_final_len, log_degree, expect):
    """Fold by 2^arity_bits until the degree bound reaches 2^min(log_final_len, log_degree) (SPEC 5.2)."""
    cfg = FriConfig(arity_bits=arity_bits, log_final_len=log_final_len)
    assert cfg.arity_schedule(log_degree) == expect


def test_setup_enforces_min_security_bits():
    """setup() refuses a configuration whose conjectured security is below min_security_bits."""
    from shielded.proof.builder import CircuitBuilder
    from shielded.proof.config import ProofConfig
    from shielded.proof.keys import setup
    weak = FriConfig(num_queries=8, pow_bits=4)
    for min_bits, ok in ((0, True), (28, True), (100, False)):
        b = CircuitBuilder(ProofConfig(fri=weak, min_security_bits=min_bits))
        b.assert_equal(b.mul(b.add_input(), b.add_input()), b.public_input())
        if ok:
            setup(b.build())
        else:
            with pytest.raises(ParameterError, match="below the required 100"):
                setup(b.build())
