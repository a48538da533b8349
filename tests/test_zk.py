"""Zero knowledge: in hiding mode, the opened values of proofs of an all-zero witness look uniform.

The requirement: "in hiding mode, the opened witness values of proofs of an all-zero witness are
statistically indistinguishable from uniform".  What is tested:

Circuit: ``build_all_zero_circuit``, 12 private inputs set to 0, a chain of multiplications, an
extension-field multiplication, a 16-bit range check and one exposed (public) product.  Only the
constant 0 enters the wires, so the whole trace of the active rows is zero.  Proof parameters:
FriConfig(log_blowup=2, num_queries=8, pow_bits=0, arity 4, final length 4, cap height 2); with
Q = 8 the prover adds 2Q + 9 = 25 random inactive rows and the trace has n = 64 rows
(ProofConfig.blinding_rows, min_log_rows).  NUM_PROOFS = 40 proofs with rngs
np.random.default_rng(SEED + i), so the test is deterministic.

Collected values (canonical base-field elements; extension values give their 4 coordinates):

* wires_at_zeta, perm_at_zeta (Z and helpers, plus Z at omega*zeta), quotient_at_zeta (the 16
  quotient-chunk columns and the 4 mask columns): ``proof.openings`` without the preprocessed
  batch, which is public;
* wires_at_queries, perm_at_queries, quotient_at_queries: the opened leaves
  ``proof.pcs.batches[1..3].rows`` at the FRI query positions, WITHOUT their salt columns;
* salt: the salt columns of those leaves, tested on their own (uniform by construction);
* fri: the opened leaves of every FRI folding layer and the final polynomial's coefficients
  (linear in the witness columns and the mask);
* perm_blinding: the permutation openings at zeta and omega*zeta MINUS the values the unblinded
  columns would give there.  The tester replays the transcript up to zeta (as the verifier does),
  recomputes the unblinded Z and helper columns of the all-zero witness with
  prover.permutation_columns(zk=False) and evaluates them: what remains is the contribution of
  the random inactive rows alone, which must be uniform (and, in particular, never 0).  The control
  checks that this difference is exactly 0 without ZK, which validates the replay.

Statistics, applied to each group separately, each with false-positive rate ALPHA = 1e-6 for
uniform i.i.d. values (so at most 9 groups x 5 statistics x 1e-6 = 4.5e-5 over the whole test, by a
union bound; the seeds are fixed, so the outcome does not change between runs):

1. chi-square of the top 4 bits (v >> 27, 16 buckets) against the exact bucket probabilities
   (p = 2^31 - 2^24 + 1, so bucket 15 is smaller); 15 degrees of freedom, p-value by the closed
   form of the chi-square tail for odd degrees of freedom; fails if p-value < ALPHA;
2. the same for the low 4 bits (v mod 16; p = 1 mod 16, so residue 0 has one extra value);
3. Kolmogorov-Smirnov distance D = sup |F_N(x) - x| of v / p; fails if D > sqrt(ln(2/ALPHA) / 2N)
   (the Dvoretzky-Kiefer-Wolfowitz bound P(D > eps) <= 2 exp(-2 N eps^2));
4. zeros: fails if at least k values are 0, k the least integer with (N/p)^k / k! <= ALPHA (a
   bound on P(at least k zeros)); k = 2 for every group here (k = 1 below N = 2130);
5. near zero: values with min(v, p - v) < 2^16 (0, +-1, small integers); fails if the count is at
   least k, k the least with the Chernoff bound exp(-N KL(k/N || q)) <= ALPHA, q = (2^17 - 1)/p.

These are marginal tests.  A violated counting condition (too few random rows) would instead
show as a linear relation among the openings of one column, so a joint test is added: for each
proof and each of the wire, permutation and quotient batches, the matrix with one row per
committed column and the columns [4 coordinates at zeta | value at each of the d <= 8 distinct
queries | 1] must have full column rank (<= 13) over F_p.  Each wire and permutation column has
its own random rows, so its matrix row is uniform in F_p^(4+d) and independent of the others
(given the challenges); such rows give full rank except with probability < 2 p^(12 - rows)
(< 2^-240 here).  The quotient chunks share their randomisers pairwise, so for its 20 rows the
test is a heuristic.  With fewer random rows than 4 + d, or none, the rank drops.

What these tests cannot see: an opened value that is a deterministic but random-looking function
of the witness and the challenges passes both the marginal and the rank tests.  The wire columns
(exactly 0 without blinding) and the permutation columns (perm_blinding) are pinned down, and a
zero salt or a zero FRI mask (its columns are in the quotient groups) shows as zeros.  The
quotient already looks random through the blinded wires, so the statistics above do not notice
the randomised split's r_i set to 0, nor a fixed non-zero mask (checked by mutation: only a
borderline chi-square hit).  Two further groups of tests cover them:

* the mask is fresh in every proof: the mask columns' openings at the 40 points zeta_i (160
  equations over F_p) fit no single polynomial of degree < n = 64, while a preprocessed column
  (the control) does.  A fixed mask, of any value, fails this.
* split_quotient itself (the function the prover calls, called through its module): its output
  telescopes back to the quotient; for the zero quotient it is exactly x^m r_i - r_(i-1) with
  r_0..r_2 of n/4 coefficients that pass the same uniformity statistics and change with the
  randomness; the 4 mask rows are uniform and change with the randomness.  Removing the
  randomisers, or fixing the mask, fails these (checked by mutation).  They cannot see a prover
  that bypassed the randomised split in hiding mode: the verifier's view does not determine the
  chunks (that is what n/4 >= Q + 4 buys), so no statistic of proofs does.

Controls (the tests can fail): the same statistics on a NON-hiding proof of the same all-zero
witness flag the wire groups (their openings are exactly 0) and the rank test fails for every
batch (without blinding the trace has n = 8 rows, fewer than the 4 + d functionals opened), and the
statistics reject synthetic samples that are slightly non-uniform.

The counting conditions themselves (check_zk_conditions in prover.py) are tested against their
formulas on verifying keys constructed directly, and end to end: a circuit built for Q queries
and set up again with Q + 1 queries is refused by prove() with ParameterError.  The builder
cannot produce a circuit violating them (it sizes the trace from blinding_rows and min_log_rows).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from shielded.commit.fri import FriConfig, absorb_cap
from shielded.errors import ParameterError
from shielded.field.ext import Ext
from shielded.field.koalabear import P, two_adic_generator
from shielded.hash.transcript import new_transcript
from shielded.poly.evaluate import barycentric_weights, dot_rows
from shielded.proof import prover
from shielded.proof.builder import CircuitBuilder
from shielded.proof.config import NUM_QUOTIENT_CHUNKS, ProofConfig
from shielded.proof.keys import VerifyingKey, setup
from shielded.proof.prover import check_zk_conditions, permutation_columns, prove
from shielded.proof.verifier import verify
from shielded.proof.witness import generate_witness

ALPHA = 1e-6
NUM_PROOFS = 40
SEED = 0x5A4B_0000
FRI = FriConfig(log_blowup=2, num_queries=8, pow_bits=0, arity_bits=2, log_final_len=2, cap_height=2)
GROUPS = ("wires_at_zeta", "perm_at_zeta", "quotient_at_zeta", "wires_at_queries", "perm_at_queries",
          "quotient_at_queries", "salt", "fri", "perm_blinding")
WIRE_GROUPS = ("wires_at_zeta", "wires_at_queries")
STATISTICS = ("chi2_top4", "chi2_low4", "ks", "zeros", "near_zero")


# -- statistics (pure functions of a sample of field elements) --------------------------------------

def chi2_sf(x: float, dof: int) -> float:
    """P(chi^2_dof >= x) for odd dof: erfc(sqrt(x/2)) + sqrt(2x/pi) e^(-x/2) sum_j x^(j-1)/(2j-1)!!."""
    assert dof % 2 == 1 and x >= 0
    total = math.erfc(math.sqrt(x / 2))
    term = math.sqrt(2 * x / math.pi) * math.exp(-x / 2)
    for j in range(1, (dof - 1) // 2 + 1):
        total += term
        term *= x / (2 * j + 1)
    return total


def _bucket_probabilities(kind: str) -> np.ndarray:
    if kind == "top4":
        counts = [min((b + 1) << 27, P) - (b << 27) for b in range(16)]
    else:
        counts = [(P - 1 - r) // 16 + 1 for r in range(16)]
    assert sum(counts) == P
    return np.array(counts, np.float64) / P


def chi2_pvalue(values: np.ndarray, kind: str) -> float:
    buckets = (values >> 27) if kind == "top4" else (values & 15)
    observed = np.bincount(buckets.astype(np.int64), minlength=16)
    expected = _bucket_probabilities(kind) * values.size
    return chi2_sf(float(((observed - expected) ** 2 / expected).sum()), 15)


def ks_distance(values: np.ndarray) -> float:
    u = np.sort(values.astype(np.float64)) / P
    n = u.size
    return float(max((np.arange(1, n + 1) / n - u).max(), (u - np.arange(n) / n).max()))


def ks_threshold(n: int) -> float:
    return math.sqrt(math.log(2 / ALPHA) / (2 * n))


def zero_threshold(n: int) -> int:
    """Least k with (n/p)^k / k! <= ALPHA: P(at least k zeros among n uniform values) <= ALPHA."""
    k = 1
    while (n / P) ** k / math.factorial(k) > ALPHA:
        k += 1
    return k


NEAR = 1 << 16
NEAR_PROB = (2 * NEAR - 1) / P


def near_zero_count(values: np.ndarray) -> int:
    v = values.astype(np.int64)
    return int(np.count_nonzero(np.minimum(v, P - v) < NEAR))


def near_zero_threshold(n: int) -> int:
    """Least k > nq with exp(-n KL(k/n || q)) <= ALPHA (Chernoff bound on a binomial upper tail)."""
    q = NEAR_PROB
    k = int(n * q) + 1
    while True:
        a = k / n
        kl = a * math.log(a / q) + ((1 - a) * math.log((1 - a) / (1 - q)) if a < 1 else 0.0)
        if math.exp(-n * kl) <= ALPHA:
            return k
        k += 1


def uniformity_failures(values: np.ndarray) -> dict[str, str]:
    """{statistic: explanation} for each statistic that rejects uniformity at rate ALPHA."""
    values = np.asarray(values, np.uint32)
    n = values.size
    assert n >= 160, "too few values for 16 chi-square buckets"
    out = {}
    for kind in ("top4", "low4"):
        pv = chi2_pvalue(values, kind)
        if pv < ALPHA:
            out[f"chi2_{kind}"] = f"chi-square of the {kind} bits: p-value {pv:.3g} < {ALPHA}"
    d, eps = ks_distance(values), ks_threshold(n)
    if d > eps:
        out["ks"] = f"KS distance {d:.4g} > {eps:.4g} (N = {n})"
    zeros, kz = int(np.count_nonzero(values == 0)), zero_threshold(n)
    if zeros >= kz:
        out["zeros"] = f"{zeros} zeros among {n} values (threshold {kz})"
    near, kn = near_zero_count(values), near_zero_threshold(n)
    if near >= kn:
        out["near_zero"] = f"{near} values within 2^16 of 0 among {n} (expected {n * NEAR_PROB:.1f}, threshold {kn})"
    return out


def rank_mod_p(m: np.ndarray) -> int:
    a = np.array(m, np.int64) % P
    r = 0
    for c in range(a.shape[1]):
        nz = np.nonzero(a[r:, c])[0]
        if nz.size == 0:
            continue
        piv = r + int(nz[0])
        a[[r, piv]] = a[[piv, r]]
        a[r] = a[r] * pow(int(a[r, c]), P - 2, P) % P
        f = a[:, c].copy()
        f[r] = 0
        a = (a - f[:, None] * a[r][None, :]) % P                 # entries < p^2 < 2^63
        r += 1
        if r == a.shape[0]:
            break
    return r


# -- the circuit and the sample ------------------------------------------------------------------------

def build_all_zero_circuit(config: ProofConfig):
    """(circuit, inputs): every input 0; only the constant 0 is placed in wires."""
    b = CircuitBuilder(config, "zk_all_zero")
    xs = b.add_inputs(12)
    acc = xs[0]
    for x in xs[1:]:
        acc = b.mul(acc, x)
    e = b.ext_mul(tuple(xs[0:4]), tuple(xs[4:8]))
    b.range_check(xs[8], 16)
    b.make_public(b.mul(acc, e[0]))
    return b.build(), {x: 0 for x in xs}


def opened_values(vk, proof) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(groups of opened values, per-batch matrices for the rank test) of one proof."""
    s0, s1, s2, s3 = vk.layout.batch_sizes
    op = proof.openings
    wires_z, perm_z, quot_z = op[s0:s0 + s1], op[s0 + s1:s0 + s1 + s2], op[s0 + s1 + s2:]
    b1, b2, b3 = (proof.pcs.batches[k].rows for k in (1, 2, 3))
    fri = proof.pcs.fri
    groups = {
        "wires_at_zeta": wires_z.ravel(),
        "perm_at_zeta": np.concatenate([perm_z.ravel(), proof.openings_next.ravel()]),
        "quotient_at_zeta": quot_z.ravel(),
        "wires_at_queries": b1[:, :s1].ravel(),
        "perm_at_queries": b2[:, :s2].ravel(),
        "quotient_at_queries": b3[:, :s3].ravel(),
        "salt": np.concatenate([b1[:, s1:].ravel(), b2[:, s2:].ravel(), b3[:, s3:].ravel()]),
        "fri": np.concatenate([layer.rows.ravel() for layer in fri.layers]
                              + [np.array([c for e in fri.final_poly for c in e.c], np.uint32)]),
    }

    def matrix(at_zeta, leaves, width):
        return np.hstack([at_zeta, leaves[:, :width].T, np.ones((width, 1), np.uint32)])

    mats = {"wires": matrix(wires_z, b1, s1), "perm": matrix(perm_z, b2, s2), "quotient": matrix(quot_z, b3, s3)}
    return groups, mats


def replay_challenges(vk, public, proof) -> tuple[Ext, Ext, Ext]:
    """(beta, gamma, zeta): the verifier's transcript schedule up to zeta."""
    t = new_transcript(vk.config.fri.hash)
    t.absorb_digest(vk.digest)
    t.absorb_elements(public)
    absorb_cap(t, proof.wires_cap)
    beta, gamma = t.squeeze_ext(), t.squeeze_ext()
    absorb_cap(t, proof.perm_cap)
    t.squeeze_ext()                                 # alpha
    absorb_cap(t, proof.quotient_cap)
    return beta, gamma, t.squeeze_ext()


def perm_blinding(pk, witness, proof, public) -> np.ndarray:
    """Opened Z/helpers at zeta and Z at omega*zeta minus the unblinded columns' values there."""
    vk = pk.vk
    beta, gamma, zeta = replay_challenges(vk, public, proof)
    L = vk.layout
    K, S, R = L.num_constants, L.num_selectors, L.num_routed
    perm = permutation_columns(witness.trace()[:R], pk.preprocessed[K + S:K + S + R], vk.log_n, vk.num_active,
                               beta, gamma, False, None)
    unblinded = np.concatenate([dot_rows(perm, barycentric_weights(vk.n, zeta)),
                                dot_rows(perm[0:4], barycentric_weights(vk.n, zeta * two_adic_generator(vk.log_n)))])
    s0, s1, s2, _ = L.batch_sizes
    opened = np.concatenate([proof.openings[s0 + s1:s0 + s1 + s2], proof.openings_next])
    return ((opened.astype(np.int64) - unblinded) % P).astype(np.uint32).ravel()


def sample(zk: bool, count: int):
    """(pooled groups, per-proof rank matrices, per-proof (zeta, proof.openings), verifying key)."""
    circuit, inputs = build_all_zero_circuit(ProofConfig(zk=zk, fri=FRI))
    witness = generate_witness(circuit, inputs)
    assert not witness.trace().any(), "the witness trace must be all zero"
    pk, vk = setup(circuit)
    pooled: dict[str, list] = {g: [] for g in GROUPS}
    matrices, at_zeta = [], []
    for i in range(count):
        proof, public = prove(pk, witness, rng=np.random.default_rng(SEED + i))
        at_zeta.append((replay_challenges(vk, public, proof)[2], proof.openings))
        if i < 2:
            verify(vk, public, proof)   # the sample is made of valid proofs
        groups, mats = opened_values(vk, proof)
        groups["perm_blinding"] = perm_blinding(pk, witness, proof, public)
        for g, v in groups.items():
            pooled[g].append(v)
        matrices.append(mats)
    pooled = {g: np.concatenate(v) for g, v in pooled.items() if sum(x.size for x in v)}
    return pooled, matrices, at_zeta, vk


@pytest.fixture(scope="module")
def zk_sample():
    return sample(zk=True, count=NUM_PROOFS)


@pytest.fixture(scope="module")
def control_sample():
    # Without ZK the prover uses no randomness: one proof is the whole distribution.
    return sample(zk=False, count=1)


# -- tests -----------------------------------------------------------------------------------------

@pytest.mark.prove
@pytest.mark.parametrize("group", GROUPS)
def test_hiding_openings_of_zero_witness_look_uniform(zk_sample, group):
    values = zk_sample[0][group]
    assert values.size >= 1000
    failures = uniformity_failures(values)
    assert not failures, f"{group} ({values.size} values) is not uniform: {failures}"


@pytest.mark.prove
@pytest.mark.parametrize("batch", ("wires", "perm", "quotient"))
def test_hiding_openings_have_no_linear_relation(zk_sample, batch):
    for i, mats in enumerate(zk_sample[1]):
        m = mats[batch]
        assert m.shape[0] > m.shape[1] + 4
        assert rank_mod_p(m) == m.shape[1], f"proof {i}: the {batch} openings satisfy a linear relation"


@pytest.mark.prove
@pytest.mark.parametrize("group", WIRE_GROUPS)
def test_control_without_zk_the_statistics_detect_the_zero_witness(control_sample, group):
    values = control_sample[0][group]
    assert not values.any(), "non-hiding openings of zero columns are exactly 0"
    failures = uniformity_failures(values)
    assert set(failures) == set(STATISTICS), f"not every statistic flagged {group}: {failures}"


@pytest.mark.prove
def test_control_without_zk_the_permutation_openings_are_the_unblinded_values(control_sample):
    assert control_sample[0]["perm_blinding"].size == (72 + 4) * 4
    assert not control_sample[0]["perm_blinding"].any()


@pytest.mark.prove
@pytest.mark.parametrize("batch", ("wires", "perm", "quotient"))
def test_control_without_zk_the_rank_test_detects_linear_relations(control_sample, batch):
    m = control_sample[1][0][batch]
    assert rank_mod_p(m) < m.shape[1]


def test_statistics_accept_uniform_and_reject_slightly_biased_samples():
    rng = np.random.default_rng(SEED)
    n = 20_000
    uniform = rng.integers(0, P, n, dtype=np.uint32)
    assert uniformity_failures(uniform) == {}
    few_zeros = uniform.copy()
    few_zeros[:2] = 0                                           # 2 zeros in 20 000 values
    assert set(uniformity_failures(few_zeros)) == {"zeros"}
    small = uniform.copy()
    small[:60] = rng.integers(1, 1000, 60)                      # 0.3% small values
    assert "near_zero" in uniformity_failures(small)
    skewed = uniform.copy()
    skewed[: n // 10] = rng.integers(0, P // 2, n // 10)        # 10% from the lower half
    assert {"chi2_top4", "ks"} <= set(uniformity_failures(skewed))
    even = uniform.copy()
    even[: n // 5] &= ~np.uint32(1)                             # 20% with the low bit cleared
    assert "chi2_low4" in uniformity_failures(even)


def test_chi2_tail_matches_known_quantiles():
    # chi^2_15 quantiles: 0.95 -> 24.996, 0.999 -> 37.697; chi^2_1 at 3.841 -> 0.05
    assert abs(chi2_sf(24.996, 15) - 0.05) < 1e-4
    assert abs(chi2_sf(37.697, 15) - 0.001) < 1e-5
    assert abs(chi2_sf(3.8415, 1) - 0.05) < 1e-4


def test_rank_mod_p():
    m = np.array([[1, 2, 3], [2, 4, 6], [0, 1, P - 1], [5, 0, 7]], np.uint32)
    assert rank_mod_p(m) == 3
    assert rank_mod_p(m[:3]) == 2
    assert rank_mod_p(np.zeros((5, 3), np.uint32)) == 0


# -- the FRI mask is fresh in every proof -------------------------------------------------------------

def fits_one_polynomial(points: list[Ext], values: list[Ext], n: int) -> bool:
    """Whether some ONE base-field polynomial of degree < n takes ``values`` at the extension
    ``points``: each (z, v) gives 4 F_p-linear equations sum_k c_k (z^k)_j = v_j in the n
    coefficients c_k; the system is consistent iff appending the values keeps the rank."""
    rows, rhs = [], []
    for z, v in zip(points, values):
        powers, x = [], Ext(1)
        for _ in range(n):
            powers.append(x.c)
            x = x * z
        for j in range(4):
            rows.append([c[j] for c in powers])
            rhs.append(v.c[j])
    a = np.array(rows, np.int64)
    return rank_mod_p(np.hstack([a, np.array(rhs, np.int64)[:, None]])) == rank_mod_p(a)


def column_at_zeta(at_zeta, column: int) -> tuple[list[Ext], list[Ext]]:
    return [z for z, _ in at_zeta], [Ext(*map(int, op[column])) for _, op in at_zeta]


@pytest.mark.prove
def test_hiding_mask_is_a_fresh_polynomial_in_every_proof(zk_sample):
    """The 4 mask columns' openings at the NUM_PROOFS challenge points zeta_i (4 * 40 = 160
    equations) fit no single polynomial of degree < n (64 unknowns): each proof has its own
    mask.  A fixed mask, zero or not, would fit.  The control: a preprocessed column (the same
    polynomial in every proof) does fit, through the same function."""
    _, _, at_zeta, vk = zk_sample
    s0, s1, s2, s3 = vk.layout.batch_sizes
    assert s3 == 4 * NUM_QUOTIENT_CHUNKS + 4 and 4 * len(at_zeta) > vk.n + 1
    for c in range(s0 + s1 + s2 + 4 * NUM_QUOTIENT_CHUNKS, s0 + s1 + s2 + s3):
        assert not fits_one_polynomial(*column_at_zeta(at_zeta, c), vk.n), f"mask column {c} is the same in every proof"
    for c in (0, s0 - 1):                           # a constant column and the active-row indicator
        assert fits_one_polynomial(*column_at_zeta(at_zeta, c), vk.n)


def test_fits_one_polynomial_detects_a_fixed_polynomial():
    rng = np.random.default_rng(SEED)
    n = 16
    coeffs = [int(x) for x in rng.integers(0, P, n)]
    points = [Ext(*map(int, rng.integers(0, P, 4))) for _ in range(6)]

    def ev(cs, z):
        acc = Ext()
        for c in reversed(cs):
            acc = acc * z + c
        return acc

    assert fits_one_polynomial(points, [ev(coeffs, z) for z in points], n)
    fresh = [ev([int(x) for x in rng.integers(0, P, n)], z) for z in points]
    assert not fits_one_polynomial(points, fresh, n)
    assert not fits_one_polynomial(points, [ev(coeffs, z) for z in points[:-1]] + [Ext(1)], n)


# -- the randomised quotient split (SPEC.md 8.5) and the mask, as split_quotient returns them ---------

SPLIT_N = 1024          # 3 randomisers x 4 components x n/4 = 3072 values per call
SPLIT_CALLS = 3


def _split(coeffs: np.ndarray, n: int, zk: bool, seed: int) -> np.ndarray:
    # through the module, so that the function the prover calls is the one under test
    return prover.split_quotient(coeffs, n, zk, np.random.default_rng(seed))


def _random_quotient(n: int, seed: int) -> np.ndarray:
    """(4, 4n) coefficients of a quotient of degree < 3n, as the prover computes it."""
    coeffs = np.zeros((4, 4 * n), np.uint32)
    coeffs[:, :3 * n] = np.random.default_rng(seed).integers(0, P, (4, 3 * n), dtype=np.uint32)
    return coeffs


def _telescope(out: np.ndarray, n: int) -> np.ndarray:
    """sum_i x^(i m) t'_i as (4, 4n) coefficients, m = 3n/4."""
    step = 3 * n // 4
    total = np.zeros((4, 4 * n), np.int64)
    chunks = out[:4 * NUM_QUOTIENT_CHUNKS].reshape(NUM_QUOTIENT_CHUNKS, 4, n)
    for i in range(NUM_QUOTIENT_CHUNKS):
        total[:, i * step:i * step + n] += chunks[i]
    return (total % P).astype(np.uint32)


@pytest.mark.parametrize("zk", [False, True], ids=["plain", "hiding"])
@pytest.mark.parametrize("n", [32, 64, 1024])
def test_split_quotient_telescopes_back_to_the_quotient(zk, n):
    coeffs = _random_quotient(n, seed=n)
    out = _split(coeffs, n, zk, seed=1)
    assert out.shape == (4 * NUM_QUOTIENT_CHUNKS + (4 if zk else 0), n) and out.dtype == np.uint32
    assert int(out.max()) < P
    assert np.array_equal(_telescope(out, n), coeffs)


def _randomisers(out: np.ndarray, n: int) -> list[np.ndarray]:
    """r_0, r_1, r_2 read off a hiding split of the ZERO quotient, after checking the structure
    t'_i = x^m r_i - r_(i-1) exactly: chunk i holds r_i at coefficients m..n-1 and -r_(i-1) at
    0..n/4-1, nothing else."""
    step, s = 3 * n // 4, n // 4
    chunks = out[:4 * NUM_QUOTIENT_CHUNKS].reshape(NUM_QUOTIENT_CHUNKS, 4, n)
    rs = [chunks[i, :, step:] for i in range(NUM_QUOTIENT_CHUNKS - 1)]
    for i in range(NUM_QUOTIENT_CHUNKS):
        low = chunks[i, :, :s].astype(np.int64)
        expect_low = (-rs[i - 1].astype(np.int64)) % P if i > 0 else np.zeros_like(low)
        assert np.array_equal(low, expect_low), f"chunk {i}: low coefficients are not -r_{i - 1}"
        assert not chunks[i, :, s:step].any(), f"chunk {i}: middle coefficients of the zero quotient"
    assert not chunks[-1, :, step:].any(), "the last chunk carries no randomiser (r_3 = 0)"
    return rs


def test_split_quotient_randomisers_are_present_and_uniform():
    """The zero quotient's hiding split is made of the randomisers alone; pooled over calls they
    pass the uniformity statistics (removing them leaves all-zero chunks, which fails), and
    different randomness gives different randomisers."""
    n = SPLIT_N
    zero = np.zeros((4, 4 * n), np.uint32)
    pooled = []
    for seed in range(SPLIT_CALLS):
        out = _split(zero, n, True, seed=SEED + seed)
        rs = _randomisers(out, n)
        assert all(r.shape == (4, n // 4) for r in rs)
        pooled += [r.ravel() for r in rs]
    values = np.concatenate(pooled)
    assert values.size == SPLIT_CALLS * 3 * 4 * (n // 4)
    failures = uniformity_failures(values)
    assert not failures, f"the quotient randomisers are not uniform: {failures}"
    a, b = (np.concatenate(_randomisers(_split(zero, n, True, seed=s), n)) for s in (1, 2))
    assert np.count_nonzero(a == b) < 0.01 * a.size, "the randomisers do not depend on the randomness"
    # with a non-zero quotient the randomisers ride on top of the plain split
    coeffs = _random_quotient(n, seed=3)
    diff = (_split(coeffs, n, True, seed=4).astype(np.int64)[:4 * NUM_QUOTIENT_CHUNKS]
            - _split(coeffs, n, False, seed=4)) % P
    _randomisers(diff.astype(np.uint32), n)
    assert np.array_equal(_split(coeffs, n, False, seed=5), _split(coeffs, n, False, seed=6)), \
        "without hiding the split uses no randomness"


def test_split_quotient_mask_is_uniform_and_fresh():
    """The 4 mask rows (hiding mode) are uniform field elements, drawn anew for every call."""
    n = SPLIT_N
    coeffs = _random_quotient(n, seed=7)
    masks = [_split(coeffs, n, True, seed=SEED + 100 + k)[4 * NUM_QUOTIENT_CHUNKS:] for k in range(2)]
    for m in masks:
        assert m.shape == (4, n)
        failures = uniformity_failures(m.ravel())
        assert not failures, f"the FRI mask is not uniform: {failures}"
    assert np.count_nonzero(masks[0] == masks[1]) < 0.01 * masks[0].size, "the mask is not fresh"
    assert np.array_equal(_split(coeffs, n, True, seed=8), _split(coeffs, n, True, seed=8))


# -- counting conditions ---------------------------------------------------------------------------

def _vk(q: int, log_n: int, blinding: int, zk: bool = True) -> VerifyingKey:
    config = ProofConfig(zk=zk, fri=dataclasses.replace(FRI, num_queries=q))
    n = 1 << log_n
    return VerifyingKey(config, log_n, n - blinding, 0, ("constant(count=4)",), np.zeros((4, 8), np.uint32))


@pytest.mark.parametrize("q", (1, 5, 8, 13, 28))
def test_check_zk_conditions_matches_the_counting_conditions(q):
    for log_n in range(4, 9):
        n = 1 << log_n
        for t in {2 * q + 8, 2 * q + 9, 2 * q + 10}:
            if not 0 < t < n:
                continue
            violated = t < 2 * q + 9 or n // 4 < q + 4
            if violated:
                with pytest.raises(ParameterError, match="ZK"):
                    check_zk_conditions(_vk(q, log_n, t))
            else:
                check_zk_conditions(_vk(q, log_n, t))
            check_zk_conditions(_vk(q, log_n, t, zk=False))        # no conditions without ZK


@pytest.mark.parametrize("q", (1, 8, 13, 28))
def test_builder_satisfies_the_counting_conditions(q):
    config = ProofConfig(zk=True, fri=dataclasses.replace(FRI, num_queries=q))
    circuit, _ = build_all_zero_circuit(config)
    assert circuit.n - circuit.num_active == config.blinding_rows == 2 * q + 9
    assert circuit.n // 4 >= q + 4 and circuit.log_n == config.min_log_rows()
    check_zk_conditions(_vk(q, circuit.log_n, circuit.n - circuit.num_active))


@pytest.mark.prove
def test_prove_refuses_a_circuit_set_up_with_more_queries_than_its_blinding_rows_allow():
    circuit, inputs = build_all_zero_circuit(ProofConfig(zk=True, fri=FRI))
    witness = generate_witness(circuit, inputs)
    more = ProofConfig(zk=True, fri=dataclasses.replace(FRI, num_queries=FRI.num_queries + 1))
    pk, _ = setup(dataclasses.replace(circuit, config=more))      # 25 blinding rows < 2 * 9 + 9
    with pytest.raises(ParameterError, match="blinding rows"):
        prove(pk, witness, rng=np.random.default_rng(SEED))
