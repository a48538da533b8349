"""Witness generation: run the builder's generators, then lay the values out as a trace.

Generators run level by level (a generator's level is one more than the deepest generator
producing one of its inputs); within a level, generators of one class run as a batch (Poseidon2
rows through the numba kernel), which is what makes large circuits fast to fill.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping

import numpy as np

from shielded.errors import WitnessError
from shielded.field.koalabear import P

UNSET = -1


class WitnessBuilder:
    # Values live in a Python list while generators run (list indexing is several times faster
    # than numpy scalar indexing, and witness generation makes about a million get/set calls
    # for an aggregation leaf); Witness turns them into an array for the vectorised layout.
    def __init__(self, circuit, strict: bool = True):
        self.circuit = circuit
        self.roots = _roots_list(circuit)
        self.values = [UNSET] * len(self.roots)
        self.locals: dict[int, dict[int, int]] = defaultdict(dict)
        self.row_values: dict[int, np.ndarray] = {}
        self.strict = strict
        self.problems: list[str] = []

    def fail(self, message: str) -> None:
        if self.strict:
            raise WitnessError(message)
        self.problems.append(message)

    def get(self, v) -> int:
        x = self.values[self.roots[v.index]]
        if x == UNSET:
            raise WitnessError(f"{v} is used before it is computed or set")
        return x

    def set(self, v, x: int) -> None:
        root = self.roots[v.index]
        x = int(x) % P
        old = self.values[root]
        if old != UNSET and old != x:
            self.fail(f"{v} is constrained equal to a var of value {old} but is computed as {x}")
            return
        self.values[root] = x

    def set_cell(self, row: int, col: int, x: int) -> None:
        """Set a local cell; ``row`` is the builder's row index (the circuit puts the
        public-input rows first, hence the offset)."""
        self.locals[row + self.circuit.num_pi_rows][col] = int(x) % P

    def set_row(self, row: int, values) -> None:
        self.row_values[row + self.circuit.num_pi_rows] = np.asarray(values, np.int64)


def _roots_list(circuit) -> list:
    """circuit.roots as a list, computed once per circuit (like ``schedule``)."""
    cached = circuit.__dict__.get("_roots_list")
    if cached is None or cached[0] is not circuit.roots:
        cached = (circuit.roots, circuit.roots.tolist())
        circuit.__dict__["_roots_list"] = cached
    return cached[1]


def poseidon2_rows(inputs, swaps, ffs) -> list:
    """Rows of Poseidon2 gates, from the numba kernel (about 5 us for one row against 0.2 ms for
    the plain reference ``gates.poseidon2_trace``, so even single rows go through it)."""
    if len(inputs) == 0:
        return []
    from shielded.proof.poseidon2_trace import trace_batch
    return trace_batch(np.array(inputs, np.uint32), np.array(swaps, np.uint32), np.array(ffs, np.uint32))


def _levels(circuit) -> list[int]:
    producer_level: dict[int, int] = {}
    roots = circuit.roots
    levels = []
    for g in circuit.generators:
        lvl = 0
        for d in g.deps:
            lvl = max(lvl, producer_level.get(int(roots[d.index]), 0))
        lvl += 1
        levels.append(lvl)
        for out in _outputs(g):
            r = int(roots[out.index])
            producer_level[r] = max(producer_level.get(r, 0), lvl)
    return levels


def _outputs(g):
    for name in ("out", "outputs", "bits"):
        o = getattr(g, name, None)
        if o is None:
            continue
        if isinstance(o, (list, tuple)):
            yield from o
        else:
            yield o


class Witness:
    """Values of every var and every local cell of a circuit."""

    def __init__(self, circuit, wb: WitnessBuilder):
        self.circuit = circuit
        self.values = np.array(wb.values, np.int64)
        self.locals = wb.locals
        self.row_values = wb.row_values
        self.problems = wb.problems

    def public_values(self) -> list[int]:
        return [int(self.values[self.circuit.roots[v.index]]) for v in self.circuit.public_inputs]

    def trace(self) -> np.ndarray:
        """The (W, n) trace; inactive rows are zero (the prover randomises them in ZK mode)."""
        c = self.circuit
        W, n = c.config.num_wires, c.n
        tr = np.zeros((n, W), np.int64)
        for row, vals in self.row_values.items():
            tr[row, :len(vals)] = vals
        for row, cells in self.locals.items():
            for col, x in cells.items():
                tr[row, col] = x
        cv = c.cell_vars
        mask = cv >= 0
        vals = self.values[np.where(mask, cv, 0)]
        if np.any(mask & (vals == UNSET)):
            r, col = map(int, np.argwhere(mask & (vals == UNSET))[0])
            raise WitnessError(f"cell (row {r}, column {col}) holds a var that was never set")
        sub = tr[:cv.shape[0]]
        sub[mask] = vals[mask]
        return np.ascontiguousarray(tr.T.astype(np.uint32))


def generate_witness(circuit, inputs: Mapping, strict: bool = True) -> Witness:
    """Run every generator.  ``inputs`` maps each input Var to its value.  With strict=False,
    conflicts are recorded in ``Witness.problems`` instead of raised (for check-mode tests)."""
    wb = WitnessBuilder(circuit, strict)
    given = set()
    input_indices = {v.index for v in circuit.inputs}
    for v, x in inputs.items():
        index = getattr(v, "index", None)
        if not isinstance(index, int) or index not in input_indices:
            raise WitnessError(f"{v!r} is not an input of this circuit")
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < P:
            raise WitnessError(f"input {v} must be a field element (int in [0, p)), got {x!r}")
        wb.set(v, x)
        given.add(index)
    missing = [v for v in circuit.inputs if v.index not in given]
    if missing:
        raise WitnessError(f"inputs not set: {missing[:5]}{'...' if len(missing) > 5 else ''}")
    for cls, gens in schedule(circuit):
        cls.run_batch(gens, wb)
    return Witness(circuit, wb)


def schedule(circuit) -> list:
    """The generators grouped for batched evaluation: by dependency level, then by class.  It
    depends only on the circuit, so it is computed once and kept on the circuit (a worker process
    forked after the first call inherits it)."""
    cached = circuit.__dict__.get("_witness_schedule")
    if cached is not None and cached[0] == len(circuit.generators):
        return cached[1]
    by_level: dict[int, list] = defaultdict(list)
    for g, lvl in zip(circuit.generators, _levels(circuit)):
        by_level[lvl].append(g)
    out = []
    for lvl in sorted(by_level):
        by_class: dict[type, list] = defaultdict(list)
        for g in by_level[lvl]:
            by_class[type(g)].append(g)
        out.extend(by_class.items())
    circuit.__dict__["_witness_schedule"] = (len(circuit.generators), out)
    return out
