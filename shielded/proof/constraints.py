"""The whole constraint system, written once over the generic algebra (SPEC.md, section 8).

``constraint_groups`` lists every constraint in the order prover and verifier combine them with
powers of alpha, grouped by the selector that multiplies them:

1. for each gate type (sorted by name), its constraints, each times the gate's selector;
2. for each public input k in cell (r, c): L_r(x) (w_c(x) - pi_k);
3. the permutation argument, each an F_p^4 identity:
   L_0(x) (Z(x) - 1);  L_u(x) (Z(x) - 1);
   for each chunk j: active(x) (h_{j+1}(x) G_j(x) - h_j(x) F_j(x)),
   with h_0 = Z, h_m = Z(omega x), F_j = prod_{c in chunk j} (w_c + beta k_c x + gamma),
   G_j = prod_{c in chunk j} (w_c + beta sigma_c + gamma), k_c = g^c, chunks of 2 columns.

An extension-valued constraint X is one term: with coefficient alpha^t it contributes
alpha^t mu(X) = alpha^t sum_j u^j X_j.  In component mode (prover, check mode) X is an ExtAlg
of four base values; in mu mode (the verifier at zeta) every extension quantity is mapped
through mu first, which is exact because mu is a ring homomorphism.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from shielded.field.koalabear import GENERATOR, P
from shielded.proof.algebra import ExtAlg, mu_ext

PERM_CHUNK = 2


@dataclass
class ConstraintInputs:
    """Values of every polynomial the constraints read, at one point (or as tape inputs).
    z, z_next, helpers, beta and gamma are ExtAlg (four components)."""

    wires: Sequence
    constants: Sequence
    selectors: Sequence
    sigmas: Sequence
    active: object
    x: object
    z: ExtAlg
    z_next: ExtAlg
    helpers: Sequence
    l_first: object
    l_last: object
    l_pi: Sequence
    public_inputs: Sequence
    beta: ExtAlg
    gamma: ExtAlg
    mu: bool = False


def perm_chunks(num_routed: int) -> list[list[int]]:
    return [list(range(s, min(s + PERM_CHUNK, num_routed))) for s in range(0, num_routed, PERM_CHUNK)]


def constraint_groups(gates, num_routed: int, v: ConstraintInputs) -> list[tuple[object, list]]:
    """[(multiplier or None, [constraint values])] in combination order."""
    if v.mu:
        ext = mu_ext
        conv = lambda e: mu_ext(e.c)  # noqa: E731
    else:
        ext = ExtAlg
        conv = lambda e: e  # noqa: E731
    groups = []
    for gi, gate in enumerate(gates):
        cs = [c for _, c in gate.constraints(v.wires[:gate.num_wires], v.constants[:gate.num_constants], ext=ext)]
        groups.append((v.selectors[gi], cs))
    pis = []
    for k, pi in enumerate(v.public_inputs):
        r, c = divmod(k, num_routed)
        pis.append(v.l_pi[r] * (v.wires[c] - pi))
    groups.append((None, pis))
    z, z_next = conv(v.z), conv(v.z_next)
    beta, gamma = conv(v.beta), conv(v.gamma)
    perm = [(z - 1) * v.l_first, (z - 1) * v.l_last]
    hs = [z] + [conv(h) for h in v.helpers] + [z_next]
    for j, cols in enumerate(perm_chunks(num_routed)):
        f = g = None
        for c in cols:
            kx = v.x * pow(GENERATOR, c, P)
            fc = beta * kx + gamma + v.wires[c]
            gc = beta * v.sigmas[c] + gamma + v.wires[c]
            f = fc if f is None else f * fc
            g = gc if g is None else g * gc
        perm.append((hs[j + 1] * g - hs[j] * f) * v.active)
    groups.append((None, perm))
    return groups


def constraint_terms(gates, num_routed: int, v: ConstraintInputs) -> list:
    """Every term in order (each constraint times its selector)."""
    out = []
    for mult, cs in constraint_groups(gates, num_routed, v):
        out += [c if mult is None else c * mult for c in cs]
    return out


def count_terms(gates, num_routed: int, num_public_inputs: int) -> int:
    return (sum(g.num_constraints() for g in gates) + num_public_inputs + 2 + len(perm_chunks(num_routed)))
