"""Generic helpers for testing circuits with check mode and the prover."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from shielded.field.ext import Ext
from shielded.field.koalabear import P
from shielded.proof.check import Violation, check


def field_elements(min_value: int = 0, max_value: int = P - 1):
    """Hypothesis strategy for canonical base-field elements."""
    return st.integers(min_value=min_value, max_value=max_value)


def ext_elements():
    return st.tuples(*(field_elements() for _ in range(4))).map(lambda c: Ext(*c))


def witness_cells(circuit, witness) -> list[tuple[int, int]]:
    """Cells (row, col) holding witness data: every cell bound to a var, and every local cell a
    generator filled (Poseidon2 round values, decomposition bits)."""
    cells = set()
    rows, cols = np.nonzero(circuit.cell_vars >= 0)
    cells.update(zip(rows.tolist(), cols.tolist()))
    for row, vals in witness.row_values.items():
        cells.update((row, c) for c in range(len(vals)))
    for row, local in witness.locals.items():
        cells.update((row, c) for c in local)
    return sorted(cells)


def tampered_trace(trace: np.ndarray, row: int, col: int, delta: int = 1) -> np.ndarray:
    """A copy of the (W, n) trace with cell (row, col) changed by +delta (mod p)."""
    out = trace.copy()
    out[col, row] = (int(out[col, row]) + delta) % P
    return out


def tampered_public_inputs(public: list[int]):
    """Yield (index, public inputs with that one entry changed)."""
    for i in range(len(public)):
        changed = list(public)
        changed[i] = (changed[i] + 1) % P
        yield i, changed


def check_accepts(circuit, witness) -> None:
    violations = check(circuit, witness)
    if violations:
        lines = "\n  ".join(str(v) for v in violations[:10])
        raise AssertionError(f"check mode found {len(violations)} violations:\n  {lines}")


def check_rejects(circuit, trace: np.ndarray, public_values, what: str = "") -> list[Violation]:
    violations = check(circuit, trace=trace, public_values=public_values)
    if not violations:
        raise AssertionError(f"check mode accepted an invalid witness {what}".rstrip())
    return violations
