"""The proof object (SPEC.md, "Proof"); its byte encoding is in ``encoding``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shielded.commit.fri import PcsProof


@dataclass
class Proof:
    wires_cap: np.ndarray
    perm_cap: np.ndarray
    quotient_cap: np.ndarray
    openings: np.ndarray        # (total columns, 4): every committed column at zeta
    openings_next: np.ndarray   # (4, 4): Z at omega * zeta
    pcs: PcsProof
