"""The prover (SPEC.md, "Proving").

Rounds: commit wires -> beta, gamma -> commit Z and helpers -> alpha -> commit quotient (and the
mask in ZK mode) -> zeta -> send openings -> batched FRI opening.  Every hot loop is a numba
kernel; this module only orchestrates them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

import numba as nb
import numpy as np

from shielded.commit.fri import OpeningClaim, absorb_cap, commit_batch, pcs_prove
from shielded.errors import ParameterError, ProvingError
from shielded.field import vec
from shielded.field.vec import ext_mmul
from shielded.field.ext import Ext, ONE
from shielded.field.koalabear import GENERATOR, P, inv, two_adic_generator
from shielded.field.mont import R2_MOD_P, madd, mmul, to_mont_int
from shielded.hash.transcript import new_transcript
from shielded.poly.evaluate import barycentric_weights, dot_rows, eval_coeffs_at
from shielded.poly.ntt import coset_intt, coset_lde, coset_ntt
from shielded.proof.algebra import ExtAlg
from shielded.proof.config import NUM_QUOTIENT_CHUNKS
from shielded.proof.constraints import ConstraintInputs, constraint_terms, perm_chunks
from shielded.proof.proof import Proof
from shielded.proof.tape import Tape

CONSTRAINT_DOMAIN_FACTOR = 4
_ONE_M = np.uint64(to_mont_int(1))


def random_elements(shape, rng: np.random.Generator | None = None) -> np.ndarray:
    """Uniform field elements.  Default: the OS CSPRNG (64 bits reduced mod p, bias < 2^-32);
    tests pass a seeded numpy Generator for reproducibility."""
    count = int(np.prod(shape))
    if rng is None:
        raw = np.frombuffer(os.urandom(8 * count), np.uint64)
    else:
        raw = rng.integers(0, 2**64, count, dtype=np.uint64, endpoint=False)
    return (raw % np.uint64(P)).astype(np.uint32).reshape(shape)


# -- constraint tape -------------------------------------------------------------------------

def tape_input_layout(vk) -> dict[str, int]:
    L = vk.layout
    sizes = [("wires", L.num_wires), ("preprocessed", L.num_preprocessed), ("x", 1),
             ("perm", L.num_perm), ("z_next", 4), ("l_first", 1), ("l_last", 1), ("l_pi", vk.num_pi_rows)]
    out, pos = {}, 0
    for name, k in sizes:
        out[name] = pos
        pos += k
    out["total"] = pos
    return out


def build_constraint_tape(vk):
    L = vk.layout
    lay = tape_input_layout(vk)
    t = Tape()

    def cols(name, k):
        return [t.input(lay[name] + i) for i in range(k)]

    wires = cols("wires", L.num_wires)
    pre = cols("preprocessed", L.num_preprocessed)
    K, S, R = L.num_constants, L.num_selectors, L.num_routed
    perm = cols("perm", L.num_perm)
    inputs = ConstraintInputs(
        wires=wires, constants=pre[:K], selectors=pre[K:K + S], sigmas=pre[K + S:K + S + R],
        active=pre[K + S + R], x=cols("x", 1)[0],
        z=ExtAlg(perm[0:4]), z_next=ExtAlg(cols("z_next", 4)),
        helpers=[ExtAlg(perm[4 * j:4 * j + 4]) for j in range(1, L.num_perm_chunks)],
        l_first=cols("l_first", 1)[0], l_last=cols("l_last", 1)[0], l_pi=cols("l_pi", vk.num_pi_rows),
        public_inputs=[t.param(8 + k) for k in range(vk.num_public_inputs)],
        beta=ExtAlg([t.param(i) for i in range(4)]), gamma=ExtAlg([t.param(4 + i) for i in range(4)]))
    output_map = []
    for term_index, term in enumerate(constraint_terms(vk.gates, R, inputs)):
        if isinstance(term, ExtAlg):
            for j in range(4):
                t.output(term.c[j])
                output_map.append((term_index, j))
        else:
            t.output(term)
            output_map.append((term_index, -1))
    compiled = t.compile()
    return ConstraintTape(compiled, tuple(output_map))


@dataclass(frozen=True)
class ConstraintTape:
    """The compiled constraint system and, per output, (term index, component or -1)."""

    tape: object
    output_map: tuple

    def coefficients(self, alpha: Ext, num_terms: int) -> np.ndarray:
        """Per output: alpha^t for a base term, alpha^t u^j for component j of an extension
        term (SPEC.md, section 8.4)."""
        from shielded.poly.evaluate import ext_powers_array
        from shielded.field.ext import U
        powers = ext_powers_array(alpha, num_terms)
        u_pows = [ONE, U, U * U, U * U * U]
        out = np.empty((len(self.output_map), 4), np.uint32)
        cache = {}
        for k, (t, j) in enumerate(self.output_map):
            if j < 0:
                out[k] = powers[t]
            else:
                key = (t, j)
                if key not in cache:
                    cache[key] = (Ext(*map(int, powers[t])) * u_pows[j]).c
                out[k] = cache[key]
        return out


# -- permutation argument ------------------------------------------------------------------------

@nb.njit(parallel=True, cache=True)
def _perm_factor(w, ids, beta_m, gamma_m, u):
    """f[i] = w[i] + beta * ids[i] + gamma as (u, 4) canonical."""
    out = np.empty((u, 4), np.uint32)
    for i in nb.prange(u):
        idm = mmul(np.uint64(ids[i]), np.uint64(R2_MOD_P))
        for k in range(4):
            v = madd(mmul(idm, beta_m[k]), gamma_m[k])   # Montgomery
            v = mmul(v, np.uint64(1))                     # canonical
            if k == 0:
                v = madd(v, np.uint64(w[i]))
            out[i, k] = v
    return out


@nb.njit(cache=True)
def _ext_cumprod(ratios):
    """z[0] = 1, z[i+1] = z[i] * ratios[i] (canonical in/out)."""
    u = ratios.shape[0]
    out = np.empty((u + 1, 4), np.uint32)
    one = _ONE_M
    z0, z1, z2, z3 = one, np.uint64(0), np.uint64(0), np.uint64(0)
    r2 = np.uint64(R2_MOD_P)
    for i in range(u + 1):
        out[i, 0] = mmul(z0, np.uint64(1))
        out[i, 1] = mmul(z1, np.uint64(1))
        out[i, 2] = mmul(z2, np.uint64(1))
        out[i, 3] = mmul(z3, np.uint64(1))
        if i < u:
            z0, z1, z2, z3 = ext_mmul(z0, z1, z2, z3, mmul(np.uint64(ratios[i, 0]), r2),
                                      mmul(np.uint64(ratios[i, 1]), r2), mmul(np.uint64(ratios[i, 2]), r2),
                                      mmul(np.uint64(ratios[i, 3]), r2))
    return out


def _mont(e: Ext) -> np.ndarray:
    return np.array([to_mont_int(c) for c in e.c], np.uint64)


def permutation_columns(wires: np.ndarray, sigma: np.ndarray, log_n: int, u: int, beta: Ext, gamma: Ext,
                        zk: bool, rng, check: bool = True) -> np.ndarray:
    """Z and the helpers h_1..h_{m-1} as (4m, n) base columns (component-major per poly).
    Raises ProvingError if the product does not return to 1 (violated copy constraints), unless
    ``check`` is False (the unchecked prover, for soundness tests)."""
    R = sigma.shape[0]
    n = 1 << log_n
    omega_pows = vec.powers(two_adic_generator(log_n), n)
    bm, gm = _mont(beta), _mont(gamma)
    chunks = perm_chunks(R)
    ratios_num, ratios_den = [], []
    for cols in chunks:
        F = G = None
        for c in cols:
            f = _perm_factor(wires[c], vec.scale(omega_pows, pow(GENERATOR, c, P)), bm, gm, u)
            g = _perm_factor(wires[c], sigma[c], bm, gm, u)
            F = f if F is None else vec.ext_mul(F, f)
            G = g if G is None else vec.ext_mul(G, g)
        ratios_num.append(F)
        ratios_den.append(G)
    try:
        den_inv = vec.ext_batch_inverse(np.concatenate(ratios_den))
    except ZeroDivisionError:
        raise ProvingError("permutation argument: a factor vanished (retry with new randomness)") from None
    ratios = [vec.ext_mul(F, den_inv[j * u:(j + 1) * u]) for j, F in enumerate(ratios_num)]
    total = ratios[0]
    for r in ratios[1:]:
        total = vec.ext_mul(total, r)
    z = _ext_cumprod(total)
    if check and not (z[u, 0] == 1 and not z[u, 1:].any()):
        raise ProvingError("copy constraints are violated (the permutation product is not 1); "
                           "run check mode for details")
    m = len(chunks)
    out = np.zeros((4 * m, n), np.uint32)
    out[0:4, :u + 1] = z.T
    h = z[:u]
    for j in range(1, m):
        h = vec.ext_mul(h, ratios[j - 1])
        out[4 * j:4 * j + 4, :u] = h.T
    if zk:
        out[0:4, u + 1:] = random_elements((4, n - u - 1), rng)
        out[4:, u:] = random_elements((4 * (m - 1), n - u), rng)
    return out


# -- helpers on the constraint coset ---------------------------------------------------------------

def coset_points(log_m: int, shift: int = GENERATOR) -> np.ndarray:
    return vec.scale(vec.powers(two_adic_generator(log_m), 1 << log_m), shift)


def lagrange_on_coset(i: int, log_n: int, xs: np.ndarray, xn_minus_1: np.ndarray) -> np.ndarray:
    """L_i(x) = w^i (x^n - 1) / (n (x - w^i)) at each x."""
    wi = pow(two_adic_generator(log_n), i, P)
    diff = ((xs.astype(np.int64) - wi) % P).astype(np.uint32)
    return vec.scale(vec.mul(vec.batch_inverse(diff), xn_minus_1), wi * inv(1 << log_n) % P)


def check_zk_conditions(vk) -> None:
    """The counting conditions of SPEC.md, "Zero knowledge"; raises ParameterError if violated."""
    cfg = vk.config
    if not cfg.zk:
        return
    q = cfg.fri.num_queries
    t = vk.n - vk.num_active
    if t < 2 * q + 9:
        raise ParameterError(f"ZK: {t} blinding rows < 2Q + 9 = {2 * q + 9}")
    s = vk.n // 4
    if s < q + 4:
        raise ParameterError(f"ZK: quotient randomisers of {s} coefficients < Q + 4 = {q + 4}")
    if cfg.salt_size < 4:
        raise ParameterError("ZK: leaves need at least 4 salt elements")


def _log(progress: Callable | None, msg: str, t0: float) -> None:
    if progress is not None:
        progress(f"{msg} ({time.perf_counter() - t0:.2f} s)")


def prove(pk, witness, rng: np.random.Generator | None = None, progress: Callable | None = None, *,
          unchecked: bool = False):
    """Prove that ``witness`` satisfies ``pk``'s circuit.  Returns (Proof, public inputs).

    ``rng``: a seeded numpy Generator for reproducible hiding proofs (default: the OS CSPRNG).
    Raises ProvingError if the witness does not satisfy the circuit: the copy-constraint product
    does not return to 1, the quotient is not a polynomial of degree < 3n, or the FRI polynomial
    is not of degree < n (SPEC.md section 9); ParameterError if the ZK counting conditions fail.

    ``unchecked=True`` is for soundness testing only: it skips those three witness checks and
    runs the honest procedure on whatever it is given (the quotient is truncated to degree < 3n,
    the FRI final polynomial to its length), so that a test can hand the verifier the proof an
    honest-but-unchecked prover makes from an invalid witness and see it rejected.  Never use it
    to make proofs meant to verify."""
    t0 = time.perf_counter()
    vk = pk.vk
    cfg, fri, L = vk.config, vk.config.fri, vk.layout
    check_zk_conditions(vk)
    n, u, log_n = vk.n, vk.num_active, vk.log_n
    blowup = 1 << fri.log_blowup
    log_big = log_n + fri.log_blowup
    public = witness.public_values()
    trace = witness.trace()
    if cfg.zk:
        trace[:, u:] = random_elements((L.num_wires, n - u), rng)
    salt = (lambda: random_elements((cfg.salt_size, n * blowup), rng)) if cfg.zk else (lambda: None)

    transcript = new_transcript(fri.hash)
    transcript.absorb_digest(vk.digest)
    transcript.absorb_elements(public)

    wires_batch = commit_batch(fri, coset_lde(trace, blowup), salt())
    absorb_cap(transcript, wires_batch.cap)
    _log(progress, "committed wires", t0)
    beta, gamma = transcript.squeeze_ext(), transcript.squeeze_ext()

    K, S, R = L.num_constants, L.num_selectors, L.num_routed
    sigma = pk.preprocessed[K + S:K + S + R]
    perm = permutation_columns(trace[:R], sigma, log_n, u, beta, gamma, cfg.zk, rng, check=not unchecked)
    perm_batch = commit_batch(fri, coset_lde(perm, blowup), salt())
    absorb_cap(transcript, perm_batch.cap)
    _log(progress, "committed permutation argument", t0)
    alpha = transcript.squeeze_ext()

    # combined constraint on the coset g * H_{4n}
    log_m = log_n + 2
    m = 1 << log_m
    stride = blowup // CONSTRAINT_DOMAIN_FACTOR
    lay = tape_input_layout(vk)
    inputs = np.empty((lay["total"], m), np.uint32)
    inputs[lay["wires"]:lay["wires"] + L.num_wires] = wires_batch.lde[:, ::stride]
    inputs[lay["preprocessed"]:lay["preprocessed"] + L.num_preprocessed] = pk.preprocessed_batch.lde[:, ::stride]
    xs = coset_points(log_m)
    inputs[lay["x"]] = xs
    perm_sub = perm_batch.lde[:, ::stride]
    inputs[lay["perm"]:lay["perm"] + L.num_perm] = perm_sub
    inputs[lay["z_next"]:lay["z_next"] + 4] = np.roll(perm_sub[0:4], -CONSTRAINT_DOMAIN_FACTOR, axis=1)
    xn = vec.powers(pow(two_adic_generator(log_m), n, P), 4)  # (w_{4n}^n)^j, j < 4
    xn_minus_1 = ((np.tile(xn, m // 4).astype(np.int64) * pow(GENERATOR, n, P) - 1) % P).astype(np.uint32)
    inputs[lay["l_first"]] = lagrange_on_coset(0, log_n, xs, xn_minus_1)
    inputs[lay["l_last"]] = lagrange_on_coset(u, log_n, xs, xn_minus_1)
    for r in range(vk.num_pi_rows):
        inputs[lay["l_pi"] + r] = lagrange_on_coset(r, log_n, xs, xn_minus_1)
    alphas = pk.constraint_tape.coefficients(alpha, vk.num_terms)
    params = list(beta.c) + list(gamma.c) + list(public)
    combined = pk.constraint_tape.tape.run_accumulate(inputs, alphas, params)
    zh_inv = vec.batch_inverse(xn_minus_1[:4])
    quotient = vec.ext_scale_base(combined, np.tile(zh_inv, m // 4))
    coeffs = coset_intt(np.ascontiguousarray(quotient.T), GENERATOR)
    if not unchecked and coeffs[:, 3 * n:].any():
        raise ProvingError("the witness does not satisfy the circuit's constraints "
                           "(the quotient is not a polynomial); run check mode for details")
    q_cols = split_quotient(coeffs, n, cfg.zk, rng)         # keeps coefficients < 3n only
    quotient_batch = commit_batch(fri, coset_ntt(q_cols, GENERATOR, n * blowup), salt())
    absorb_cap(transcript, quotient_batch.cap)
    _log(progress, "committed quotient", t0)
    zeta = transcript.squeeze_ext()
    if zeta ** n == ONE:
        raise ProvingError("zeta fell in the trace domain (probability < 2^-100)")

    wts = barycentric_weights(n, zeta)
    openings = np.concatenate([dot_rows(pk.preprocessed, wts), dot_rows(trace, wts), dot_rows(perm, wts),
                               eval_coeffs_at(q_cols, zeta)])
    zeta_next = zeta * two_adic_generator(log_n)
    openings_next = dot_rows(perm[0:4], barycentric_weights(n, zeta_next))
    transcript.absorb_elements(openings.reshape(-1).tolist())
    transcript.absorb_elements(openings_next.reshape(-1).tolist())
    claims = opening_claims(vk, zeta, [Ext(*map(int, r)) for r in openings],
                            [Ext(*map(int, r)) for r in openings_next])
    batches = [pk.preprocessed_batch, wires_batch, perm_batch, quotient_batch]
    pcs, _ = pcs_prove(fri, transcript, batches, claims, log_n, check_degree=not unchecked)
    _log(progress, "FRI done", t0)
    proof = Proof(wires_batch.cap, perm_batch.cap, quotient_batch.cap, openings, openings_next, pcs)
    return proof, public


def split_quotient(coeffs: np.ndarray, n: int, zk: bool, rng) -> np.ndarray:
    """(4, 4n) quotient coefficients -> 4 chunks of 4 base columns (+ 4 mask columns in ZK).

    t = sum_i x^(i m) t_i' with m = 3n/4; in ZK mode t_i' = t_i + x^m r_i - r_(i-1) with random
    r_0..r_2 of n/4 coefficients (r_-1 = r_3 = 0), which telescopes back to t."""
    step = 3 * n // 4
    s = n - step
    chunks = np.zeros((NUM_QUOTIENT_CHUNKS, 4, n), np.uint32)
    for i in range(NUM_QUOTIENT_CHUNKS):
        part = coeffs[:, i * step:min((i + 1) * step, 3 * n)]
        chunks[i, :, :part.shape[1]] = part
    if zk:
        rs = [random_elements((4, s), rng) for _ in range(NUM_QUOTIENT_CHUNKS - 1)]
        for i in range(NUM_QUOTIENT_CHUNKS):
            if i < NUM_QUOTIENT_CHUNKS - 1:
                chunks[i, :, step:] = rs[i]                 # + x^m r_i (positions step.. < n)
            if i > 0:
                chunks[i, :, :s] = ((chunks[i, :, :s].astype(np.int64) - rs[i - 1]) % P).astype(np.uint32)
    out = chunks.reshape(4 * NUM_QUOTIENT_CHUNKS, n)
    if zk:
        out = np.concatenate([out, random_elements((4, n), rng)])   # the FRI mask
    return out


def opening_claims(vk, zeta, values, values_next) -> list[OpeningClaim]:
    """The two claims of SPEC.md section 9: every column at zeta; Z's columns at omega * zeta.
    ``values`` are extension values (Ext natively, circuit values in a recursive verifier)."""
    cols = []
    for b, size in enumerate(vk.layout.batch_sizes):
        cols += [(b, c) for c in range(size)]
    return [OpeningClaim(zeta, tuple(cols), tuple(values)),
            OpeningClaim(zeta * two_adic_generator(vk.log_n), ((2, 0), (2, 1), (2, 2), (2, 3)), tuple(values_next))]
