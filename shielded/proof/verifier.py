"""The verifier, written once against the arithmetic context (SPEC.md, "Verifying").

``verify_with_context`` performs the transcript, the constraint check at zeta and the batched
FRI opening using only context operations and the generic algebra, so the same code verifies
natively (``NativeContext``), inside a circuit (recursion) and, later, as emitted L1 code.
``verify`` is the native entry point: it validates shapes, runs the checks and raises
``VerificationError`` naming the first failed check.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from shielded.commit.context import NativeContext
from shielded.commit.fri import absorb_cap, pcs_verify
from shielded.errors import VerificationError
from shielded.field.ext import ONE, U as U_EXT, Ext
from shielded.field.koalabear import P, inv, two_adic_generator
from shielded.hash.transcript import new_transcript
from shielded.proof.algebra import ExtAlg
from shielded.proof.config import NUM_QUOTIENT_CHUNKS
from shielded.proof.constraints import ConstraintInputs, constraint_groups
from shielded.proof.prover import opening_claims


def ext_pow(x, e: int):
    """x^e by square-and-multiply with the generic * (works on Ext and circuit values)."""
    result = None
    base = x
    while e:
        if e & 1:
            result = base if result is None else result * base
        e >>= 1
        if e:
            base = base * base
    return result if result is not None else x * 0 + 1


def combine_constraints_generic(vk, inputs: ConstraintInputs, alpha):
    """sum_t alpha^t mu(c_t) in E (the reference path, and the one an in-circuit context uses):
    the constraints are evaluated in mu mode, each selector group by Horner, and the groups
    combined as acc * alpha^len + selector * group."""
    inputs = dataclasses.replace(inputs, mu=True)
    acc = None
    pow_cache: dict = {}
    for mult, cs in reversed(constraint_groups(vk.gates, vk.config.num_routed, inputs)):
        if not cs:
            continue
        g = None
        for c in reversed(cs):
            g = c if g is None else _mul_add(g, alpha, c)
        if mult is not None:
            g = g * mult
        if acc is None:
            acc = g
        else:
            if len(cs) not in pow_cache:
                pow_cache[len(cs)] = ext_pow(alpha, len(cs))
            acc = _mul_add(acc, pow_cache[len(cs)], g)
    return acc


def _mul_add(a, m, c):
    return a.mul_add(m, c) if hasattr(a, "mul_add") else a * m + c


def combine_constraints_tape(vk, inputs: ConstraintInputs, alpha) -> Ext:
    """The same sum through the compiled constraint tape over extension registers (the native
    fast path; tests check it equals the generic one)."""
    from shielded.poly.evaluate import ext_powers_array
    from shielded.proof.tape import run_ext_combination
    tape = _tape_for(vk)
    cols = (list(inputs.wires) + list(inputs.constants) + list(inputs.selectors) + list(inputs.sigmas)
            + [inputs.active, inputs.x] + list(inputs.z.c) + [c for h in inputs.helpers for c in h.c]
            + list(inputs.z_next.c) + [inputs.l_first, inputs.l_last] + list(inputs.l_pi))
    arr = np.array([e.c for e in cols], np.uint32)
    params = list(inputs.beta.c) + list(inputs.gamma.c) + [int(x) for x in inputs.public_inputs]
    coeffs = tape.coefficients(alpha, vk.num_terms)
    return Ext(*map(int, run_ext_combination(tape.tape, arr, params, coeffs)))


_TAPES: dict = {}


def _tape_for(vk):
    """The compiled constraint tape of a verifying key (cached by its digest)."""
    from shielded.proof.prover import build_constraint_tape
    key = (vk.config.fri.hash, bytes(np.asarray(vk.digest, np.uint32).tobytes()) if not isinstance(vk.digest, bytes) else vk.digest)
    tape = _TAPES.get(key)
    if tape is None:
        if len(_TAPES) > 64:
            _TAPES.clear()
        tape = _TAPES[key] = build_constraint_tape(vk)
    return tape


def _check_shapes(vk, public_inputs, proof) -> None:
    L = vk.layout
    fri = vk.config.fri
    width = fri.hasher.digest_width
    if len(public_inputs) != vk.num_public_inputs:
        raise VerificationError(f"expected {vk.num_public_inputs} public inputs, got {len(public_inputs)}")
    for i, x in enumerate(public_inputs):
        if not isinstance(x, (int, np.integer)) or isinstance(x, bool) or not 0 <= int(x) < P:
            raise VerificationError(f"public input {i} is not a field element")
    cap_len = vk.preprocessed_cap.shape[0]
    for name in ("wires_cap", "perm_cap", "quotient_cap"):
        cap = getattr(proof, name)
        if cap.shape != (cap_len, width):
            raise VerificationError(f"{name} has shape {cap.shape}, expected {(cap_len, width)}")
    if proof.openings.shape != (L.total_columns, 4) or proof.openings_next.shape != (4, 4):
        raise VerificationError("openings have the wrong shape")
    for name, arr in (("openings", proof.openings), ("openings at omega*zeta", proof.openings_next)):
        if int(np.max(arr)) >= P or int(np.min(arr)) < 0:
            raise VerificationError(f"{name}: a value is not a canonical field element")
    if fri.hash == "poseidon2":
        for name in ("wires_cap", "perm_cap", "quotient_cap"):
            if int(getattr(proof, name).max()) >= P:
                raise VerificationError(f"{name}: a digest element is not canonical")


def verify_with_context(ctx, vk, public_inputs, proof) -> None:
    """The verifier, for any context (SPEC.md, section 9)."""
    t = ctx.transcript
    L = vk.layout
    cfg = vk.config
    n = vk.n
    t.absorb_digest(ctx.circuit_digest(vk))
    t.absorb_elements(list(public_inputs))
    ctx.absorb_cap(t, proof.wires_cap)
    beta, gamma = t.squeeze_ext(), t.squeeze_ext()
    ctx.absorb_cap(t, proof.perm_cap)
    alpha = t.squeeze_ext()
    ctx.absorb_cap(t, proof.quotient_cap)
    zeta = t.squeeze_ext()
    vals = ctx.ext_values(proof.openings)
    nxt = ctx.ext_values(proof.openings_next)
    t.absorb_ext(vals)
    t.absorb_ext(nxt)

    sizes = L.batch_sizes
    pre = vals[:sizes[0]]
    wires = vals[sizes[0]:sizes[0] + sizes[1]]
    perm = vals[sizes[0] + sizes[1]:sizes[0] + sizes[1] + sizes[2]]
    quot = vals[sizes[0] + sizes[1] + sizes[2]:]
    K, S, R = L.num_constants, L.num_selectors, L.num_routed

    zeta_n = zeta
    for _ in range(vk.log_n):
        zeta_n = zeta_n * zeta_n
    zh = zeta_n - 1
    ctx.assert_nonzero(zh, "zeta lies in the trace domain")
    omega = two_adic_generator(vk.log_n)
    n_inv = inv(n)

    def lagrange(i: int):
        wi = pow(omega, i, P)
        return zh * (wi * n_inv % P) * ctx.inverse(zeta - wi)

    inputs = ConstraintInputs(
        wires=wires, constants=pre[:K], selectors=pre[K:K + S], sigmas=pre[K + S:K + S + R],
        active=pre[K + S + R], x=zeta, z=ExtAlg(perm[0:4]), z_next=ExtAlg(nxt),
        helpers=[ExtAlg(perm[4 * j:4 * j + 4]) for j in range(1, L.num_perm_chunks)],
        l_first=lagrange(0), l_last=lagrange(vk.num_active),
        l_pi=[lagrange(r) for r in range(vk.num_pi_rows)],
        public_inputs=list(public_inputs),
        beta=ExtAlg(ctx.components(beta)), gamma=ExtAlg(ctx.components(gamma)))
    combined = ctx.combine_constraints(vk, inputs, alpha)
    # sum_j u^j t_j(zeta), t_j(zeta) = sum_i zeta^(i m) q_(4i+j)(zeta), m = 3n/4 (SPEC.md, 8.5 and 9)
    step_pow = ext_pow(zeta, 3 * n // 4)
    chunk_vals = []
    for j in range(4):
        acc = quot[4 * (NUM_QUOTIENT_CHUNKS - 1) + j]
        for i in range(NUM_QUOTIENT_CHUNKS - 2, -1, -1):
            acc = acc * step_pow + quot[4 * i + j]
        chunk_vals.append(acc)
    t_tilde = chunk_vals[3]
    for j in (2, 1, 0):
        t_tilde = t_tilde * U_EXT + chunk_vals[j]
    ctx.assert_eq(combined, zh * t_tilde, "constraints do not hold at zeta")

    claims = opening_claims(vk, zeta, vals, nxt)
    salt = cfg.salt_size
    widths = [sizes[0], sizes[1] + salt, sizes[2] + salt, sizes[3] + salt]
    caps = [ctx.preprocessed_cap(vk), proof.wires_cap, proof.perm_cap, proof.quotient_cap]
    pcs_verify(ctx, cfg.fri, caps, widths, claims, proof.pcs, vk.log_n)


class NativeProofContext(NativeContext):
    """The native context plus the proof layer's constraint evaluation: the compiled tape over
    extension registers (fast) or the generic reference evaluation."""

    def __init__(self, transcript, fast: bool = True):
        super().__init__(transcript)
        self.fast = fast

    def combine_constraints(self, vk, inputs, alpha):
        if self.fast:
            return combine_constraints_tape(vk, inputs, alpha)
        return combine_constraints_generic(vk, inputs, alpha)


def verify(vk, public_inputs, proof, fast: bool = True) -> None:
    """Verify natively; raises VerificationError (with the failed check) if the proof is invalid.
    ``fast=False`` evaluates the constraints with the generic reference path."""
    _check_shapes(vk, public_inputs, proof)
    public_inputs = [int(x) for x in public_inputs]
    ctx = NativeProofContext(new_transcript(vk.config.fri.hash), fast=fast)
    verify_with_context(ctx, vk, public_inputs, proof)


def is_valid(vk, public_inputs, proof) -> bool:
    try:
        verify(vk, public_inputs, proof)
        return True
    except VerificationError:
        return False
