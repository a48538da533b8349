"""Security estimates for the FRI-based proof system (SPEC.md, "Security").

Conjectured security (ethSTARK documentation v1.2, eprint 2021/582, Sect. 5.10.1): each query
contributes log2(1/rho) bits and grinding adds pow_bits, so
    conjectured = Q * log2(blowup) + pow_bits,
capped by the field terms below (which are far above it for our parameters).

Proven security, list decoding up to the Johnson bound (proximity gaps: Ben-Sasson, Carmon, Ishai,
Kopparty, Saraf, eprint 2020/654; the sharper error of Thm 4.2 of BCHKS25, as evaluated by the
Ethereum Foundation's soundcalc): with gap eta = max(rho/20, sqrt(rho)/100) and proximity
theta = 1 - sqrt(rho) - eta,
    query phase       (1 - theta)^Q * 2^-pow_bits
    one folding step  eps(n_i) * (a_i - 1),       batching  eps(N) * (functions - 1)
    eps(n) = ((2 (m+1/2)^5 + 3 (m+1/2) theta rho) n / (3 rho sqrt rho) + (m+1/2)/sqrt rho) / |F|
    m = max(ceil(sqrt(rho) / eta), 3),  n = evaluation-domain size,  |F| = p^4.
The IOP's own terms (constraint combination, permutation argument, out-of-domain point, each
multiplied by the list size 1/(2 eta sqrt rho) in the proven regime) are reported too.  The
reported figure is the minimum over all terms, in bits.  The field terms shrink as the trace
grows (|D| / |E| with |E| ~ 2^123.9), so the conjectured figure is Q log2(blowup) + pow_bits only
while log2 |D| <= 23 (e.g. up to 2^20 rows at blowup 8) and a little less beyond.
"""

from __future__ import annotations

import math

from shielded.field.koalabear import P

EXT_FIELD_BITS = 4 * math.log2(P)   # about 123.9


def _bits(err: float) -> float:
    return -math.log2(err) if err > 0 else float("inf")


def johnson_terms(log_blowup: int):
    rho = 2.0 ** -log_blowup
    sr = math.sqrt(rho)
    eta = max(rho / 20, sr / 100)
    theta = 1 - sr - eta
    m = max(math.ceil(sr / eta), 3)
    return rho, sr, eta, theta, m


def _eps_linear(log_blowup: int, domain: float) -> float:
    rho, sr, eta, theta, m = johnson_terms(log_blowup)
    ms = m + 0.5
    first = (2 * ms ** 5 + 3 * ms * theta * rho) * domain / (3 * rho * sr)
    return (first + ms / sr) / 2.0 ** EXT_FIELD_BITS


def security_report(fri, log_degree: int, num_functions: int = 400, num_routed: int = 36,
                    constraint_terms: int = 400) -> dict:
    """Conjectured and proven bits for FRI config ``fri`` and trace length 2^log_degree."""
    lb = fri.log_blowup
    q = fri.num_queries
    n = 2.0 ** log_degree
    domain = n * 2 ** lb
    field = 2.0 ** EXT_FIELD_BITS
    # IOP terms (Schwartz-Zippel over F_p^4)
    iop = {
        "constraint combination (alpha)": constraint_terms / field,
        "permutation argument (beta, gamma)": (num_routed * n + 1) / field,
        # FRI shows each committed column is (close to) a polynomial of degree <= n, not < n: the
        # DEEP quotient (f - f(zeta)) / (X - zeta) has degree < n.  The identity checked at zeta,
        # C - Z_H T, then has degree <= max(4n - 1, n + 3(3n/4) + n) = 17n/4 (SPEC.md section 9).
        "out-of-domain point (zeta)": (17 * n / 4) / (field - domain - n),
        "DEEP batching (FRI alpha)": num_functions / field,
    }
    conjectured_terms = {"queries + grinding": q * lb + fri.pow_bits}
    conjectured_terms.update({k: _bits(v) for k, v in iop.items()})
    schedule = fri.arity_schedule(log_degree)
    # conjectured commit-phase error of a folding round: |D_i| / |F| (ethSTARK, Sect. 5.10.1);
    # the first round, on the largest domain, is the weakest
    conjectured_terms["folding (largest domain)"] = _bits(domain / field)

    rho, sr, eta, theta, m = johnson_terms(lb)
    list_size = 1 / (2 * eta * sr)
    proven_terms = {"query phase": _bits((1 - theta) ** q) + fri.pow_bits,
                    "batching": _bits(_eps_linear(lb, domain) * (num_functions - 1))}
    dom = domain
    for i, a in enumerate(schedule):
        dom /= 2 ** a
        proven_terms[f"folding round {i + 1}"] = _bits(_eps_linear(lb, dom * 2 ** a) * (2 ** a - 1))
    for k, v in iop.items():
        proven_terms[k] = _bits(v * list_size)
    return {
        "conjectured_bits": round(min(conjectured_terms.values()), 1),
        "proven_bits": round(min(proven_terms.values()), 1),
        "conjectured_terms": {k: round(v, 1) for k, v in conjectured_terms.items()},
        "proven_terms": {k: round(v, 1) for k, v in proven_terms.items()},
    }
