"""A built circuit: the trace layout and its preprocessed columns (SPEC.md, "Trace layout").

Rows, top to bottom: the public-input rows (public inputs in routed cells, row-major), the gate
rows in the order the builder created them, no-op padding, then the inactive rows (the last
``blinding_rows``; random in ZK mode).  n is a power of two; u = n - blinding_rows rows are active.

Preprocessed columns, in this order: constants (K), selectors (one per gate type used, sorted by
name), sigma (one per routed column), and the active-row indicator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shielded.errors import CircuitError
from shielded.field.koalabear import GENERATOR, P, two_adic_generator
from shielded.field import vec
from shielded.proof.config import ProofConfig
from shielded.proof.gates import Gate


@dataclass
class Circuit:
    config: ProofConfig
    name: str
    log_n: int
    num_active: int                 # u
    gates: list[Gate]               # gate types with a selector, sorted by name
    row_gate: np.ndarray            # (n,) gate index per row, -1 for none
    constants: np.ndarray           # (K, n)
    cell_vars: np.ndarray           # (rows_used, W) var root per cell, -1 for local / unused
    num_pi_rows: int
    num_public_inputs: int
    public_inputs: list             # Var, in order
    inputs: list                    # Var set by the prover
    roots: np.ndarray               # (num_vars,) union-find root of each var
    generators: list
    rows_used: int
    row_labels: list[str] = field(default_factory=list)
    _sigma: np.ndarray | None = None

    @property
    def n(self) -> int:
        return 1 << self.log_n

    @classmethod
    def from_builder(cls, b) -> "Circuit":
        cfg: ProofConfig = b.config
        R, W, K = cfg.num_routed, cfg.num_wires, cfg.num_constants
        num_pi = len(b.public_inputs)
        num_pi_rows = -(-num_pi // R)
        rows_used = num_pi_rows + len(b.rows)
        t = cfg.blinding_rows
        log_n = max(cfg.min_log_rows(), (rows_used + t - 1).bit_length(), getattr(b, "min_log_rows", 0))
        n = 1 << log_n
        if log_n + cfg.fri.log_blowup > 24:
            raise CircuitError(f"circuit of 2^{log_n} rows is too large for the field's 2-adicity")
        from shielded.proof.builder import Var
        roots = np.array([b.find(Var(i)) for i in range(b.num_vars)], np.int64)
        used = sorted({r.gate.name: r.gate for r in b.rows}.items())
        gates = [g for _, g in used]
        gate_index = {g.name: i for i, g in enumerate(gates)}
        row_gate = np.full(n, -1, np.int64)
        constants = np.zeros((K, n), np.uint32)
        cell_vars = np.full((rows_used, W), -1, np.int64)
        labels = ["public inputs"] * num_pi_rows
        for k, v in enumerate(b.public_inputs):
            cell_vars[k // R, k % R] = roots[v.index]
        for i, row in enumerate(b.rows):
            r = num_pi_rows + i
            row_gate[r] = gate_index[row.gate.name]
            constants[:len(row.constants), r] = row.constants
            labels.append(row.label or row.gate.name)
            for c, v in enumerate(row.cells):
                if v is not None:
                    if c >= row.gate.num_routed:
                        raise CircuitError(f"row {r} ({row.gate.name}): var in unrouted wire {c}")
                    cell_vars[r, c] = roots[v.index]
        return cls(cfg, b.name, log_n, n - t, gates, row_gate, constants, cell_vars, num_pi_rows,
                   num_pi, list(b.public_inputs), list(b.inputs), roots, list(b.generators),
                   rows_used, labels)

    # -- preprocessed columns ---------------------------------------------------------------------
    def selectors(self) -> np.ndarray:
        sel = np.zeros((len(self.gates), self.n), np.uint32)
        for g in range(len(self.gates)):
            sel[g, self.row_gate == g] = 1
        return sel

    def active(self) -> np.ndarray:
        a = np.zeros(self.n, np.uint32)
        a[:self.num_active] = 1
        return a

    def copy_cycles(self) -> list[list[tuple[int, int]]]:
        """Cells grouped by var, in row-major order (only groups of two or more cells)."""
        R = self.config.num_routed
        sub = self.cell_vars[:, :R]
        rows, cols = np.nonzero(sub >= 0)
        groups: dict[int, list[tuple[int, int]]] = {}
        for r, c in zip(rows.tolist(), cols.tolist()):
            groups.setdefault(int(sub[r, c]), []).append((r, c))
        return [g for g in groups.values() if len(g) > 1]

    def sigma(self) -> np.ndarray:
        """sigma_c[i] = id of the next cell in the copy cycle of cell (i, c); id(i, c) = g^c w^i."""
        if self._sigma is not None:
            return self._sigma
        R, n = self.config.num_routed, self.n
        omega_pows = vec.powers(two_adic_generator(self.log_n), n)
        ks = [pow(GENERATOR, c, P) for c in range(R)]
        ids = np.stack([vec.scale(omega_pows, k) for k in ks])  # (R, n)
        sig = ids.copy()
        for cycle in self.copy_cycles():
            for j, (r, c) in enumerate(cycle):
                nr, nc = cycle[(j + 1) % len(cycle)]
                sig[c, r] = ids[nc, nr]
        self._sigma = sig
        return sig

    def preprocessed(self) -> np.ndarray:
        """All preprocessed columns on H_n: constants, selectors, sigma, active."""
        return np.concatenate([self.constants, self.selectors(), self.sigma(), self.active()[None, :]])

    def stats(self) -> dict:
        counts: dict[str, int] = {}
        for g in self.row_gate[self.row_gate >= 0]:
            counts[self.gates[g].name] = counts.get(self.gates[g].name, 0) + 1
        return {"rows_used": self.rows_used, "log_n": self.log_n, "gate_rows": counts,
                "public_inputs": self.num_public_inputs}
