"""The whole constraint system, written once over the generic algebra (SPEC.md, "Constraints").

``constraint_terms`` lists every base-field constraint polynomial, in the order both prover and
verifier combine them with powers of alpha:

1. for each gate type (sorted by name), for each of its constraints: selector * constraint;
2. for each public input k in cell (r, c): L_r(x) * (w_c(x) - pi_k);
3. permutation argument (each an F_p^4 identity, so four terms, component order):
   L_0(x) (Z(x) - 1);  L_u(x) (Z(x) - 1);
   for each chunk j: active(x) (h_{j+1}(x) G_j(x) - h_j(x) F_j(x)),
   with h_0 = Z, h_m = Z(omega x), F_j = prod_{c in chunk j} (w_c + beta k_c x + gamma),
   G_j = prod_{c in chunk j} (w_c + beta sigma_c + gamma), k_c = g^c, chunks of 2 columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from shielded.field.koalabear import GENERATOR, P
from shielded.proof.algebra import ExtAlg

PERM_CHUNK = 2


@dataclass
class ConstraintInputs:
    """Values of every polynomial the constraints read, at one point (or as tape inputs)."""

    wires: Sequence
    constants: Sequence
    selectors: Sequence
    sigmas: Sequence
    active: object
    x: object
    z: ExtAlg
    z_next: ExtAlg
    helpers: Sequence            # ExtAlg h_1 .. h_{m-1}
    l_first: object
    l_last: object
    l_pi: Sequence               # L_r for each public-input row
    public_inputs: Sequence
    beta: ExtAlg
    gamma: ExtAlg


def perm_chunks(num_routed: int) -> list[list[int]]:
    return [list(range(s, min(s + PERM_CHUNK, num_routed))) for s in range(0, num_routed, PERM_CHUNK)]


def constraint_terms(gates, num_routed: int, v: ConstraintInputs) -> list:
    terms = []
    for gi, gate in enumerate(gates):
        sel = v.selectors[gi]
        for _, c in gate.constraints(v.wires[:gate.num_wires], v.constants[:gate.num_constants]):
            terms.append(sel * c)
    for k, pi in enumerate(v.public_inputs):
        r, c = divmod(k, num_routed)
        terms.append(v.l_pi[r] * (v.wires[c] - pi))
    one = 1
    terms += list(((v.z - one) * v.l_first).c)
    terms += list(((v.z - one) * v.l_last).c)
    chunks = perm_chunks(num_routed)
    hs = [v.z] + list(v.helpers) + [v.z_next]
    for j, cols in enumerate(chunks):
        f = None
        g = None
        for c in cols:
            kx = v.x * pow(GENERATOR, c, P)
            fc = v.beta * kx + v.gamma + v.wires[c]
            gc = v.beta * v.sigmas[c] + v.gamma + v.wires[c]
            f = fc if f is None else f * fc
            g = gc if g is None else g * gc
        term = (hs[j + 1] * g - hs[j] * f) * v.active
        terms += list(term.c)
    return terms


def count_terms(gates, num_routed: int, num_public_inputs: int) -> int:
    return (sum(g.num_constraints() for g in gates) + num_public_inputs + 8
            + 4 * len(perm_chunks(num_routed)))
