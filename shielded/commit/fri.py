"""FRI and the batched opening of committed polynomials at out-of-domain points
(SPEC.md, "FRI" and "Batched openings").

Polynomials of degree < n = 2^log_degree are committed in batches: their values on the coset
D = shift * H_N (N = n * 2^log_blowup, natural order) form the columns of a Merkle tree whose leaf j
is the point shift * w_N^j.  To open them at points z_1, z_2, ... the prover sends the claimed
values; then, with a challenge alpha, both sides form the DEEP combination

    F(x) = sum_points sum_k alpha^k (f_k(x) - f_k(z)) / (x - z)      (k counts on across points)

which has degree < n iff every claim is right (up to soundness error), and FRI proves that.

FRI commit phase: the current codeword is committed with leaf i holding the coset
{x : x^a = y_i} (a = 2^arity_bits; positions i + t * N/a, t < a), a folding challenge beta is
squeezed, and the codeword is folded: F'(y) = sum_{m < a} beta^m F_m(y) where F(x) = sum_m x^m
F_m(x^a) (computed as log2(a) successive 2-folds with beta, beta^2, beta^4, ...).  When the degree
bound reaches 2^log_final_len the coefficients of the last codeword are sent in clear.  Then the
proof-of-work nonce is absorbed and checked, and only then are the query indices squeezed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numba as nb
import numpy as np

from shielded.commit.context import BaseLanes, ExtLanes, IndexLanes, absorb_cap  # noqa: F401 (re-export)
from shielded.commit.hashers import hasher_for
from shielded.commit.merkle import BatchOpening, MerkleTree, verify_batch
from shielded.errors import ParameterError, ProvingError, VerificationError
from shielded.field import vec
from shielded.field.ext import Ext, ONE
from shielded.field.koalabear import GENERATOR, P, TWO_ADICITY, inv, two_adic_generator
from shielded.field.mont import R2_MOD_P, madd, mmul, msub
from shielded.poly.evaluate import combine_rows
from shielded.poly.ntt import coset_intt

INV2 = inv(2)


@dataclass(frozen=True)
class FriConfig:
    """FRI parameters.  ``security`` reports the conjectured and proven figures (SPEC.md)."""

    log_blowup: int = 3
    num_queries: int = 28
    pow_bits: int = 16
    arity_bits: int = 3
    log_final_len: int = 3
    cap_height: int = 4
    hash: str = "poseidon2"

    def __post_init__(self):
        if not 1 <= self.log_blowup <= 6:
            raise ParameterError(f"log_blowup must be in [1, 6], got {self.log_blowup}")
        if not 1 <= self.num_queries <= 512:
            raise ParameterError(f"num_queries must be in [1, 512], got {self.num_queries}")
        if not 0 <= self.pow_bits <= 30:
            raise ParameterError(f"pow_bits must be in [0, 30], got {self.pow_bits}")
        if not 1 <= self.arity_bits <= 4:
            raise ParameterError(f"arity_bits must be in [1, 4], got {self.arity_bits}")
        if not 0 <= self.log_final_len <= 10:
            raise ParameterError(f"log_final_len must be in [0, 10], got {self.log_final_len}")
        if not 0 <= self.cap_height <= 8:
            raise ParameterError(f"cap_height must be in [0, 8], got {self.cap_height}")
        hasher_for(self.hash)

    @property
    def hasher(self):
        return hasher_for(self.hash)

    @classmethod
    def for_security(cls, log_blowup: int = 3, hash: str = "poseidon2", target_bits: int = 100,
                     pow_bits: int = 16, **kw) -> "FriConfig":
        """The fewest queries with Q log2(blowup) + pow_bits >= target_bits.  The field terms of
        the conjectured figure depend on the trace size and are not raised by more queries;
        ProofConfig.min_security_bits makes setup() check the full figure."""
        q = -(-(target_bits - pow_bits) // log_blowup)
        return cls(log_blowup=log_blowup, num_queries=q, pow_bits=pow_bits, hash=hash, **kw)

    def conjectured_bits(self) -> int:
        """Q * log2(blowup) + pow_bits (SPEC.md, "Security"; the field terms are far above it)."""
        return self.num_queries * self.log_blowup + self.pow_bits

    def arity_schedule(self, log_degree: int) -> list[int]:
        """Arity bits of each folding layer for a degree bound of 2^log_degree."""
        final = min(self.log_final_len, log_degree)
        out = []
        d = log_degree
        while d > final:
            step = min(self.arity_bits, d - final)
            out.append(step)
            d -= step
        return out


# -- data ------------------------------------------------------------------------------------

@dataclass
class TreeOpening:
    """Opened leaves of one tree at the distinct query indices (ascending), with siblings."""

    rows: np.ndarray  # (distinct indices, leaf width)
    opening: BatchOpening


@dataclass
class FriProof:
    layer_caps: list[np.ndarray]
    final_poly: list[Ext]
    pow_nonce: int
    layers: list[TreeOpening]


@dataclass
class PcsProof:
    batches: list[TreeOpening]
    fri: FriProof


@dataclass(frozen=True)
class OpeningClaim:
    """Claimed values at one point: values[k] = column columns[k] = (batch, column) at point."""

    point: Ext
    columns: tuple[tuple[int, int], ...]
    values: tuple[Ext, ...]


@dataclass
class CommittedBatch:
    """A committed batch of polynomials: their LDE (C, N) and the Merkle tree over it."""

    lde: np.ndarray
    tree: MerkleTree

    @property
    def cap(self) -> np.ndarray:
        return self.tree.cap


def commit_batch(config: FriConfig, lde: np.ndarray, salt: np.ndarray | None = None) -> CommittedBatch:
    return CommittedBatch(lde, MerkleTree(config.hasher, lde, config.cap_height, salt))


# -- prover kernels ----------------------------------------------------------------------------

_R2 = np.uint64(R2_MOD_P)


@nb.njit(parallel=True, cache=True)
def _fold2(vals, beta_m, inv_x, inv2_m):
    """One 2-fold of a codeword on s*H_M: out[j] = E + beta*O with E = (v_j + v_{j+M/2}) / 2 and
    O = (v_j - v_{j+M/2}) / (2 x_j).  inv_x[j] = x_j^-1 (canonical), beta_m Montgomery."""
    half = vals.shape[0] // 2
    out = np.empty((half, 4), np.uint32)
    b0, b1, b2, b3 = beta_m[0], beta_m[1], beta_m[2], beta_m[3]
    for j in nb.prange(half):
        xi = mmul(mmul(np.uint64(inv_x[j]), _R2), inv2_m)  # (2 x_j)^-1, Montgomery
        e = np.empty(4, np.uint64)
        o = np.empty(4, np.uint64)
        for k in range(4):
            a = np.uint64(vals[j, k])
            c = np.uint64(vals[j + half, k])
            e[k] = mmul(madd(a, c), inv2_m)          # canonical
            o[k] = mmul(msub(a, c), xi)              # canonical
        # beta * o (beta Montgomery, o canonical -> canonical), reduction u^4 = 3
        t0 = mmul(o[0], b0)
        t1 = madd(mmul(o[0], b1), mmul(o[1], b0))
        t2 = madd(madd(mmul(o[0], b2), mmul(o[1], b1)), mmul(o[2], b0))
        t3 = madd(madd(madd(mmul(o[0], b3), mmul(o[1], b2)), mmul(o[2], b1)), mmul(o[3], b0))
        w0 = madd(madd(mmul(o[1], b3), mmul(o[2], b2)), mmul(o[3], b1))
        w1 = madd(mmul(o[2], b3), mmul(o[3], b2))
        w2 = mmul(o[3], b3)
        w0 = madd(madd(w0, w0), w0)
        w1 = madd(madd(w1, w1), w1)
        w2 = madd(madd(w2, w2), w2)
        out[j, 0] = madd(e[0], madd(t0, w0))
        out[j, 1] = madd(e[1], madd(t1, w1))
        out[j, 2] = madd(e[2], madd(t2, w2))
        out[j, 3] = madd(e[3], t3)
    return out


def _mont_ext(e: Ext) -> np.ndarray:
    from shielded.field.mont import to_mont_int
    return np.array([to_mont_int(c) for c in e.c], np.uint64)


def fold_codeword(vals: np.ndarray, beta: Ext, arity_bits: int, shift: int) -> np.ndarray:
    """Fold a codeword on shift*H_N by 2^arity_bits; result lives on shift^(2^arity_bits)*H_(N/a)."""
    from shielded.field.mont import to_mont_int
    inv2_m = np.uint64(to_mont_int(INV2))
    b = beta
    s = shift
    for _ in range(arity_bits):
        m = vals.shape[0]
        w_inv = inv(two_adic_generator(m.bit_length() - 1))
        inv_x = vec.scale(vec.powers(w_inv, m // 2), inv(s))
        vals = _fold2(vals, _mont_ext(b), inv_x, inv2_m)
        b = b * b
        s = s * s % P
    return vals


def coset_leaves(vals: np.ndarray, arity_bits: int) -> np.ndarray:
    """(4a, N/a) matrix whose column i is the coset leaf [F(x_{i + t N/a}) for t < a] (ext)."""
    a = 1 << arity_bits
    n = vals.shape[0]
    return np.ascontiguousarray(vals.reshape(a, n // a, 4).transpose(0, 2, 1).reshape(4 * a, n // a))


# -- prover ----------------------------------------------------------------------------------

def deep_combination(batches: Sequence[CommittedBatch], claims: Sequence[OpeningClaim], alpha: Ext,
                     log_n_domain: int, shift: int) -> np.ndarray:
    """The DEEP combination F on the LDE coset, shape (N, 4)."""
    n_dom = 1 << log_n_domain
    xs = vec.scale(vec.powers(two_adic_generator(log_n_domain), n_dom), shift)
    total = np.zeros((n_dom, 4), np.uint32)
    power = ONE
    for claim in claims:
        coeffs = [np.zeros((b.lde.shape[0], 4), np.uint32) for b in batches]
        v_sum = Ext()
        for (bi, ci), v in zip(claim.columns, claim.values):
            coeffs[bi][ci] = vec.ext_add(coeffs[bi][ci][None, :], np.array([power.c], np.uint32))[0]
            v_sum = v_sum + power * v
            power = power * alpha
        r = np.zeros((n_dom, 4), np.uint32)
        for b, cf in zip(batches, coeffs):
            if cf.any():
                r = vec.ext_add(r, combine_rows(b.lde, cf))
        diff = np.zeros((n_dom, 4), np.uint32)
        diff[:] = (-claim.point).c
        diff[:, 0] = (diff[:, 0].astype(np.uint64) + xs) % P
        num = vec.ext_sub(r, np.tile(np.array(v_sum.c, np.uint32), (n_dom, 1)))
        try:
            total = vec.ext_add(total, vec.ext_mul(num, vec.ext_batch_inverse(diff)))
        except ZeroDivisionError:
            raise ProvingError("an opening point lies in the evaluation domain") from None
    return total


def _open_tree(tree: MerkleTree, indices: Sequence[int]) -> TreeOpening:
    distinct = sorted(set(indices))
    rows = np.array([tree.leaf(i) for i in distinct], np.uint32).reshape(len(distinct), -1)
    return TreeOpening(rows, tree.open_batch(distinct))


def pcs_prove(config: FriConfig, transcript, batches: Sequence[CommittedBatch],
              claims: Sequence[OpeningClaim], log_degree: int, shift: int = GENERATOR,
              check_degree: bool = True):
    """Prove the claims (already absorbed by the caller).  Returns (PcsProof, query indices).

    Raises ProvingError if the combined polynomial is not of degree < 2^log_degree.
    ``check_degree=False`` skips that check and truncates the final polynomial instead: only
    for tests that build deliberately invalid proofs to see the verifier reject them."""
    hasher = config.hasher
    log_n_domain = log_degree + config.log_blowup
    if log_n_domain > TWO_ADICITY:
        raise ParameterError("evaluation domain exceeds the field's two-adicity")
    alpha = transcript.squeeze_ext()
    cur = deep_combination(batches, claims, alpha, log_n_domain, shift)
    layer_trees, layer_caps = [], []
    s = shift
    for ab in config.arity_schedule(log_degree):
        tree = MerkleTree(hasher, coset_leaves(cur, ab), config.cap_height)
        absorb_cap(transcript, tree.cap)
        beta = transcript.squeeze_ext()
        cur = fold_codeword(cur, beta, ab, s)
        s = pow(s, 1 << ab, P)
        layer_trees.append(tree)
        layer_caps.append(tree.cap)
    final_len = 1 << min(config.log_final_len, log_degree)
    coeffs = coset_intt(np.ascontiguousarray(cur.T), s)  # (4, N_final)
    if check_degree and coeffs[:, final_len:].any():
        raise ProvingError("FRI: the committed polynomials do not have the claimed degree "
                           "(a claimed opening is wrong or a polynomial is too large)")
    final_poly = [Ext(*map(int, coeffs[:, i])) for i in range(final_len)]
    transcript.absorb_ext(final_poly)
    nonce = transcript.grind(config.pow_bits)
    assert transcript.check_pow(nonce, config.pow_bits)
    mask = (1 << log_n_domain) - 1
    indices = [transcript.squeeze_base() & mask for _ in range(config.num_queries)]
    batch_open = [_open_tree(b.tree, indices) for b in batches]
    layer_open = []
    log_n = log_n_domain
    for ab, tree in zip(config.arity_schedule(log_degree), layer_trees):
        log_n -= ab
        layer_open.append(_open_tree(tree, [i & ((1 << log_n) - 1) for i in indices]))
    return PcsProof(batch_open, FriProof(layer_caps, final_poly, nonce, layer_open)), indices


# -- verifier (generic over the context) -------------------------------------------------------

def _half_sum(a, c):
    """(a + c) / 2, fused into one operation where the values support it."""
    if hasattr(a, "lincomb"):
        return a.lincomb(INV2, c, INV2)
    return (a + c) * INV2


def _mul_add(a, m, c):
    return a.mul_add(m, c) if hasattr(a, "mul_add") else a * m + c


def fold_coset(values: list, x0_inv, beta, arity_bits: int):
    """Fold the values on a coset {x0 w_a^t : t < a} at beta (works on lanes or scalars):
    log2(a) rounds of F'(x^2) = (F(x) + F(-x))/2 + beta (F(x) - F(-x)) / (2x)."""
    vals = list(values)
    xinv = x0_inv
    b = beta
    m = 1 << arity_bits
    while m > 1:
        half = m // 2
        w_inv = inv(two_adic_generator(m.bit_length() - 1))
        new = []
        for t in range(half):
            xt_half = xinv * (pow(w_inv, t, P) * INV2 % P)   # (2 x_t)^-1
            a, c = vals[t], vals[t + half]
            new.append(_mul_add(a - c, xt_half * b, _half_sum(a, c)))
        vals = new
        xinv = xinv * xinv
        b = b * b
        m = half
    return vals[0]


def check_pcs_shapes(config: FriConfig, caps, widths, proof: PcsProof, log_degree: int) -> None:
    """Structural checks of a PCS proof object (the native verifier's; an in-circuit proof has
    its shape by construction).  Raises VerificationError."""
    hasher = config.hasher
    schedule = config.arity_schedule(log_degree)
    log_n_domain = log_degree + config.log_blowup
    fri = proof.fri
    if len(fri.layer_caps) != len(schedule) or len(fri.layers) != len(schedule):
        raise VerificationError("FRI: wrong number of folding layers")
    if len(proof.batches) != len(caps):
        raise VerificationError("PCS: wrong number of opened batches")
    final_len = 1 << min(config.log_final_len, log_degree)
    if len(fri.final_poly) != final_len:
        raise VerificationError("FRI: final polynomial has the wrong length")
    log_n = log_n_domain
    for k, ab in enumerate(schedule):
        log_n -= ab
        expect = (1 << min(config.cap_height, log_n), hasher.digest_width)
        if fri.layer_caps[k].shape != expect:
            raise VerificationError(f"FRI layer {k}: cap has shape {fri.layer_caps[k].shape}, expected {expect}")
        if config.hash == "poseidon2" and int(fri.layer_caps[k].max()) >= P:
            raise VerificationError(f"FRI layer {k}: cap digest is not canonical")
    if not all(isinstance(c, Ext) for c in fri.final_poly):
        raise VerificationError("FRI: a final-polynomial coefficient is not an extension element")
    if not isinstance(fri.pow_nonce, (int, np.integer)) or not 0 <= int(fri.pow_nonce) < P:
        raise VerificationError("FRI: proof-of-work nonce is not a field element")


def _groups(columns):
    """Split a claim's (batch, column) list into runs of one batch: [(batch, [columns], offset)]."""
    out = []
    for k, (bi, ci) in enumerate(columns):
        if out and out[-1][0] == bi:
            out[-1][1].append(ci)
        else:
            out.append((bi, [ci], k))
    return out


def pcs_verify(ctx, config: FriConfig, caps, widths: Sequence[int], claims: Sequence[OpeningClaim],
               proof: PcsProof, log_degree: int, shift: int = GENERATOR) -> None:
    """Verify a batched opening, written against the context (natively it raises
    VerificationError at the first failure; in a circuit every check becomes constraints)."""
    ctx.check_pcs_shapes(config, caps, widths, proof, log_degree)
    t = ctx.transcript
    schedule = config.arity_schedule(log_degree)
    log_n_domain = log_degree + config.log_blowup
    fri = proof.fri
    alpha = t.squeeze_ext()
    betas = []
    for cap in fri.layer_caps:
        ctx.absorb_cap(t, cap)
        betas.append(t.squeeze_ext())
    t.absorb_ext(fri.final_poly)
    ctx.check_pow(t, fri.pow_nonce, config.pow_bits)
    idx = ctx.query_indices(t, config.num_queries, log_n_domain)

    rows = [ctx.open_rows(config, cap, log_n_domain, idx, op, w, f"batch {b}")
            for b, (cap, op, w) in enumerate(zip(caps, proof.batches, widths))]
    # DEEP combination at each query point: sum over claims of (sum_k alpha^e f_k(x) - v) / (x - z)
    x = ctx.domain_points(idx, log_n_domain, shift)
    acc = None
    e = 0
    for claim in claims:
        r = None
        for bi, cols, offset in _groups(claim.columns):
            term = ctx.reduce_powers(rows[bi], cols, alpha, e + offset)
            r = term if r is None else r + term
        v_sum = ctx.combine_powers(list(claim.values), alpha, e)
        e += len(claim.columns)
        term = (r - v_sum) * ctx.inverse(x - claim.point)
        acc = term if acc is None else acc + term
    prev = acc
    # folding layers
    log_n = log_n_domain
    s = shift
    for k, (ab, cap, op) in enumerate(zip(schedule, fri.layer_caps, fri.layers)):
        log_next = log_n - ab
        cur_idx = idx.low(log_n)
        leaf_idx = idx.low(log_next)
        pos = cur_idx.high(log_next)
        leaf_rows = ctx.open_rows(config, cap, log_next, leaf_idx, op, 4 << ab, f"FRI layer {k}")
        vals = [ctx.ext_column(leaf_rows, 4 * tt) for tt in range(1 << ab)]
        ctx.assert_eq(ctx.select(vals, pos), prev, f"FRI layer {k}: folded value mismatch")
        x0_inv = ctx.domain_points(leaf_idx, log_n, s, inverse=True)
        prev = fold_coset(vals, x0_inv, betas[k], ab)
        s = pow(s, 1 << ab, P)
        log_n = log_next
    x_final = ctx.domain_points(idx.low(log_n), log_n, s)
    ctx.assert_eq(ctx.horner(fri.final_poly, x_final), prev, "FRI: final polynomial mismatch")
