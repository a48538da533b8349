"""Check mode: evaluate every constraint on a witness without proving (SPEC.md, "Check mode").

``check`` returns one ``Violation`` per failed constraint instance, naming the row, the gate and
the constraint's label ("out = c0*a*b + c1*c"), or the copy constraint or public input that
fails.  Two evaluation paths share the gate definitions: the fast one runs each gate's tape over
all rows of that gate at once; the reference one evaluates the constraints on Python ints row by
row.  Tests run both and compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from shielded.field.koalabear import P
from shielded.proof.algebra import ExtAlg
from shielded.proof.tape import Tape


@dataclass(frozen=True)
class Violation:
    kind: str          # "gate", "copy" or "public input"
    row: int
    gate: str
    label: str
    value: int = 0

    def __str__(self) -> str:
        return f"row {self.row} [{self.gate}] {self.label}" + (f" (= {self.value})" if self.value else "")


@lru_cache(maxsize=None)
def _gate_tape(gate):
    t = Tape()
    w = [t.input(i) for i in range(gate.num_wires)]
    k = [t.input(gate.num_wires + j) for j in range(gate.num_constants)]
    labels = []
    for label, c in gate.constraints(w, k):
        if isinstance(c, ExtAlg):
            for j in range(4):
                t.output(c.c[j])
                labels.append(f"{label} [component {j}]")
        else:
            t.output(c)
            labels.append(label)
    return t.compile(), labels


def check_gates(circuit, trace: np.ndarray, fast: bool = True, limit: int = 1000) -> list[Violation]:
    out: list[Violation] = []
    for gi, gate in enumerate(circuit.gates):
        rows = np.nonzero(circuit.row_gate == gi)[0]
        if rows.size == 0:
            continue
        if fast:
            tape, labels = _gate_tape(gate)
            inputs = np.concatenate([trace[:gate.num_wires, rows],
                                     circuit.constants[:gate.num_constants, rows]])
            vals = tape.run_each(inputs)
            bad_c, bad_r = np.nonzero(vals)
            order = np.lexsort((bad_c, bad_r))
            for i in order[:limit - len(out)]:
                out.append(Violation("gate", int(rows[bad_r[i]]), gate.name, labels[bad_c[i]],
                                     int(vals[bad_c[i], bad_r[i]])))
        else:
            for r in rows:
                w = [int(x) for x in trace[:gate.num_wires, r]]
                k = [int(x) for x in circuit.constants[:gate.num_constants, r]]
                for label, v in gate.constraints(w, k):
                    parts = ([(f"{label} [component {j}]", v.c[j]) for j in range(4)]
                             if isinstance(v, ExtAlg) else [(label, v)])
                    for lab, x in parts:
                        if x % P:
                            out.append(Violation("gate", int(r), gate.name, lab, x % P))
        if len(out) >= limit:
            break
    return sorted(out, key=lambda v: (v.row, v.label))[:limit]


def check_copies(circuit, trace: np.ndarray, limit: int = 1000) -> list[Violation]:
    out = []
    for cycle in circuit.copy_cycles():
        r0, c0 = cycle[0]
        v0 = trace[c0, r0]
        for r, c in cycle[1:]:
            if trace[c, r] != v0:
                out.append(Violation("copy", r, "copy", f"cell (row {r}, col {c}) = cell (row {r0}, col {c0})",
                                     int(trace[c, r])))
                if len(out) >= limit:
                    return out
    return out


def check_public_inputs(circuit, trace: np.ndarray, public_values) -> list[Violation]:
    R = circuit.config.num_routed
    out = []
    for k, v in enumerate(public_values):
        r, c = k // R, k % R
        if int(trace[c, r]) != int(v) % P:
            out.append(Violation("public input", r, "public input", f"public input {k} = cell (row {r}, col {c})",
                                 int(trace[c, r])))
    return out


def check(circuit, witness=None, trace: np.ndarray | None = None, public_values=None,
          fast: bool = True) -> list[Violation]:
    """All violations of a witness (or an explicit trace, e.g. a tampered one)."""
    if trace is None:
        trace = witness.trace()
    if public_values is None:
        public_values = witness.public_values() if witness is not None else []
    if len(public_values) != circuit.num_public_inputs:
        return [Violation("public input", 0, "public input",
                          f"expected {circuit.num_public_inputs} public inputs, got {len(public_values)}")]
    return (check_gates(circuit, trace, fast) + check_copies(circuit, trace)
            + check_public_inputs(circuit, trace, public_values))
