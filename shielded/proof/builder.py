"""Building circuits: variables, operations packed into gate rows, copy constraints.

A ``Var`` is a witness value.  Operations place the vars they touch in cells of gate rows;
every cell holding the same var (after ``assert_equal`` merges vars) is tied by a copy
constraint, so such cells must be in routed columns.  Each operation also registers a
generator that computes its outputs, so witness generation follows the same description.

    b = CircuitBuilder(ProofConfig())
    x = b.add_input()            # private input
    y = b.public_input()         # public input, set by the prover, seen by the verifier
    b.assert_equal(b.mul(x, x), y)
    circuit = b.build()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from shielded.errors import CircuitError
from shielded.field.koalabear import P, inv
from shielded.proof.config import ProofConfig
from shielded.proof.gates import (ArithmeticGate, ConstantGate, DecomposeGate, ExtArithmeticGate, Gate,
                                  Poseidon2Gate, P2_IN, P2_OUT, P2_SWAP, check_gate_fits)


@dataclass(frozen=True)
class Var:
    """A witness value (index into the witness)."""

    index: int

    def __repr__(self) -> str:
        return f"v{self.index}"


ExtVar = tuple[Var, Var, Var, Var]


@dataclass
class Row:
    gate: Gate
    constants: tuple[int, ...]
    cells: list          # Var or None per gate wire
    label: str = ""


class Generator:
    """Computes output vars (and local cells of a row) from input vars."""

    deps: tuple[Var, ...] = ()

    def run(self, wit) -> None:
        raise NotImplementedError

    @classmethod
    def run_batch(cls, gens: list["Generator"], wit) -> None:
        for g in gens:
            g.run(wit)


class ArithmeticGen(Generator):
    __slots__ = ("c0", "c1", "a", "b", "c", "out", "deps")

    def __init__(self, c0, c1, a, b, c, out):
        self.c0, self.c1, self.a, self.b, self.c, self.out = c0, c1, a, b, c, out
        self.deps = (a, b, c)

    def run(self, wit) -> None:
        wit.set(self.out, (self.c0 * wit.get(self.a) * wit.get(self.b) + self.c1 * wit.get(self.c)) % P)


class ExtArithmeticGen(Generator):
    def __init__(self, c0, c1, a, b, c, out):
        self.c0, self.c1, self.a, self.b, self.c, self.out = c0, c1, a, b, c, out
        self.deps = tuple(a) + tuple(b) + tuple(c)

    def run(self, wit) -> None:
        from shielded.field.ext import Ext
        a = Ext(*(wit.get(v) for v in self.a))
        b = Ext(*(wit.get(v) for v in self.b))
        c = Ext(*(wit.get(v) for v in self.c))
        r = a * b * self.c0 + c * self.c1
        for v, x in zip(self.out, r.c):
            wit.set(v, x)

    @classmethod
    def run_batch(cls, gens, wit) -> None:
        """Many rows at once through the numba extension-field kernels (the same formula)."""
        if len(gens) < 4:
            for g in gens:
                g.run(wit)
            return
        from shielded.field.vec import ext_add, ext_mul, ext_scale_base
        get = wit.get
        a = np.array([[get(v) for v in g.a] for g in gens], np.uint32)
        b = np.array([[get(v) for v in g.b] for g in gens], np.uint32)
        c = np.array([[get(v) for v in g.c] for g in gens], np.uint32)
        c0 = np.array([g.c0 % P for g in gens], np.uint32)
        c1 = np.array([g.c1 % P for g in gens], np.uint32)
        r = ext_add(ext_scale_base(ext_mul(a, b), c0), ext_scale_base(c, c1))
        for g, row in zip(gens, r.tolist()):
            for v, x in zip(g.out, row):
                wit.set(v, x)


class HintGen(Generator):
    """Outputs computed by an arbitrary function of inputs (advice; constrain it separately)."""

    def __init__(self, fn: Callable, inputs: Sequence[Var], outputs: Sequence[Var]):
        self.fn, self.inputs, self.outputs = fn, tuple(inputs), tuple(outputs)
        self.deps = self.inputs

    def run(self, wit) -> None:
        vals = self.fn(*[wit.get(v) for v in self.inputs])
        if len(self.outputs) == 1 and not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self.outputs):
            raise CircuitError("hint returned the wrong number of values")
        for v, x in zip(self.outputs, vals):
            wit.set(v, int(x) % P)


class Poseidon2Gen(Generator):
    def __init__(self, row: int, inputs: Sequence[Var], swap, ff: int, outputs: Sequence[Var]):
        self.row, self.inputs, self.swap, self.ff, self.outputs = row, tuple(inputs), swap, ff, tuple(outputs)
        self.deps = self.inputs + ((swap,) if swap is not None else ())

    def run(self, wit) -> None:
        self.run_batch([self], wit)

    @classmethod
    def run_batch(cls, gens, wit) -> None:
        from shielded.proof.witness import poseidon2_rows
        swaps = [wit.get(g.swap) if g.swap is not None else 0 for g in gens]
        for g, s in zip(gens, swaps):
            if s not in (0, 1):
                wit.fail(f"the swap flag of the Poseidon2 row {g.row} is {s}, not 0 or 1")
        rows = poseidon2_rows([[wit.get(v) for v in g.inputs] for g in gens], swaps, [g.ff for g in gens])
        for g, row in zip(gens, rows):
            wit.set_row(g.row, row)
            for v, x in zip(g.outputs, row[P2_OUT:P2_OUT + 16]):
                wit.set(v, int(x))


class ReduceGen(Generator):
    def __init__(self, row: int, gate, alpha, acc_in, coeffs, out):
        self.row, self.gate, self.alpha, self.acc_in, self.coeffs, self.out = row, gate, alpha, acc_in, coeffs, out
        self.deps = tuple(alpha) + tuple(acc_in) + tuple(coeffs)

    def run(self, wit) -> None:
        from shielded.proof.gates import reducing_trace
        row = reducing_trace(self.gate, [wit.get(v) for v in self.alpha], [wit.get(v) for v in self.acc_in],
                             [wit.get(v) for v in self.coeffs])
        k = len(self.coeffs)
        for i in range(1, k):
            for wire in self.gate.acc_wires(i):
                wit.set_cell(self.row, wire, row[wire])
        for v, wire in zip(self.out, self.gate.acc_wires(self.gate.num_coeffs)):
            wit.set(v, row[wire])


class DecomposeGen(Generator):
    def __init__(self, row: int, gate: DecomposeGate, slot: int, x: Var, bits: Sequence[Var] | None):
        self.row, self.gate, self.slot, self.x, self.bits = row, gate, slot, x, bits
        self.deps = (x,)

    def run(self, wit) -> None:
        v = wit.get(self.x)
        k = self.gate.num_bits
        if not 0 <= v < (1 << k):
            wit.fail(f"value {v} does not fit in {k} bits (decomposition in row {self.row})")
            v = v & ((1 << k) - 1)
        for i in range(k):
            bit = (v >> i) & 1
            wit.set_cell(self.row, self.gate.bit_wire(self.slot, i), bit)
            if self.bits is not None:
                wit.set(self.bits[i], bit)


class CircuitBuilder:
    def __init__(self, config: ProofConfig | None = None, name: str = "circuit",
                 range_values_per_row: int | None = None):
        """``range_values_per_row`` caps how many values a range-check row holds (default: as
        many as fit).  A verifier evaluates every slot of a gate type at zeta, so a circuit that
        will be verified inside another one (a client proof) packs fewer values per row: a few
        more rows for it, far fewer constraints for its recursive verifier."""
        self.config = config or ProofConfig()
        self.name = name
        self.range_values_per_row = range_values_per_row
        self.min_log_rows = 0
        self.num_vars = 0
        self.rows: list[Row] = []
        self.generators: list[Generator] = []
        self.inputs: list[Var] = []
        self.public_inputs: list[Var] = []
        self._parent: dict[int, int] = {}
        self._constants: dict[int, Var] = {}
        self._const_slots: list[tuple[int, int]] = []       # (row, next free slot)
        self._open_rows: dict[tuple, tuple[int, int]] = {}  # key -> (row, next op)
        self._gates: dict[str, Gate] = {}
        cfg = self.config
        self.arith_gate = self._gate(ArithmeticGate(cfg.num_routed // 4))
        self.ext_gate = self._gate(ExtArithmeticGate(cfg.num_routed // 16)) if cfg.num_routed >= 16 else None
        self.const_gate = self._gate(ConstantGate(cfg.num_constants))
        self.poseidon_gate = self._gate(Poseidon2Gate())

    # -- infrastructure ----------------------------------------------------------------------
    def _gate(self, gate: Gate) -> Gate:
        check_gate_fits(gate, self.config.num_wires, self.config.num_routed, self.config.num_constants)
        self._gates.setdefault(gate.name, gate)
        return self._gates[gate.name]

    def new_var(self) -> Var:
        v = Var(self.num_vars)
        self.num_vars += 1
        return v

    def find(self, v: Var) -> int:
        """Union-find root of a var's index."""
        i = v.index
        root = i
        while root in self._parent:
            root = self._parent[root]
        while i != root:
            nxt = self._parent[i]
            self._parent[i] = root
            i = nxt
        return root

    def _add_row(self, gate: Gate, constants: Sequence[int], label: str = "") -> int:
        cells = [None] * gate.num_wires
        consts = tuple(int(c) % P for c in constants) + (0,) * (gate.num_constants - len(constants))
        self.rows.append(Row(gate, consts, cells, label))
        return len(self.rows) - 1

    # -- inputs and constants ----------------------------------------------------------------
    def add_input(self) -> Var:
        """A private input: the prover sets its value."""
        v = self.new_var()
        self.inputs.append(v)
        return v

    def add_inputs(self, n: int) -> list[Var]:
        return [self.add_input() for _ in range(n)]

    def public_input(self) -> Var:
        """A public input: the prover sets it and the verifier sees it."""
        v = self.add_input()
        self.public_inputs.append(v)
        return v

    def make_public(self, v: Var) -> None:
        """Expose an existing (computed) var as the next public input."""
        self.public_inputs.append(v)

    def constant(self, value: int) -> Var:
        value %= P
        v = self._constants.get(value)
        if v is not None:
            return v
        if not self._const_slots or self._const_slots[-1][1] >= self.const_gate.num_wires:
            row = self._add_row(self.const_gate, [0] * self.const_gate.num_constants, "constants")
            self._const_slots.append((row, 0))
        row, slot = self._const_slots[-1]
        v = self.new_var()
        r = self.rows[row]
        consts = list(r.constants)
        consts[slot] = value
        r.constants = tuple(consts)
        r.cells[slot] = v
        self._const_slots[-1] = (row, slot + 1)
        self._constants[value] = v
        self.generators.append(HintGen(lambda value=value: value, (), (v,)))
        return v

    def zero(self) -> Var:
        return self.constant(0)

    def one(self) -> Var:
        return self.constant(1)

    # -- base-field arithmetic ---------------------------------------------------------------
    def arithmetic(self, c0: int, c1: int, a: Var, b: Var, c: Var) -> Var:
        """out = c0 * a * b + c1 * c."""
        c0 %= P
        c1 %= P
        key = ("arith", c0, c1)
        gate = self.arith_gate
        slot = self._open_rows.get(key)
        if slot is None or slot[1] >= gate.num_ops:
            row = self._add_row(gate, [c0, c1], "arithmetic")
            slot = (row, 0)
        row, op = slot
        out = self.new_var()
        self.rows[row].cells[4 * op:4 * op + 4] = [a, b, c, out]
        self._open_rows[key] = (row, op + 1)
        self.generators.append(ArithmeticGen(c0, c1, a, b, c, out))
        return out

    def add(self, a: Var, b: Var) -> Var:
        return self.arithmetic(1, 1, a, self.one(), b)

    def sub(self, a: Var, b: Var) -> Var:
        return self.arithmetic(1, P - 1, a, self.one(), b)

    def mul(self, a: Var, b: Var) -> Var:
        return self.arithmetic(1, 0, a, b, self.zero())

    def mul_add(self, a: Var, b: Var, c: Var) -> Var:
        return self.arithmetic(1, 1, a, b, c)

    def scale(self, a: Var, k: int) -> Var:
        return self.arithmetic(k, 0, a, self.one(), self.zero())

    def add_const(self, a: Var, k: int) -> Var:
        return self.arithmetic(1, k, a, self.one(), self.one())

    def neg(self, a: Var) -> Var:
        return self.scale(a, P - 1)

    def linear_combination(self, terms: Sequence[tuple[int, Var]], constant: int = 0) -> Var:
        """sum k_i * v_i + constant, one arithmetic op per term."""
        if not terms:
            return self.constant(constant)
        k0, v0 = terms[0]
        acc = self.arithmetic(k0, constant, v0, self.one(), self.one())
        for k, v in terms[1:]:
            acc = self.arithmetic(k, 1, v, self.one(), acc)
        return acc

    def inverse(self, a: Var) -> Var:
        """a^-1; the constraint a * a^-1 = 1 makes a = 0 unsatisfiable."""
        out = self.new_var()
        self.generators.append(HintGen(lambda x: inv(x) if x % P else 0, (a,), (out,)))
        self.assert_equal(self.mul(a, out), self.one())
        return out

    def select(self, bit: Var, x: Var, y: Var) -> Var:
        """bit ? x : y (bit must be boolean; the caller constrains it)."""
        return self.arithmetic(1, 1, bit, self.sub(x, y), y)

    def assert_bool(self, b: Var) -> None:
        self.assert_equal(self.arithmetic(1, P - 1, b, b, b), self.zero())

    def assert_zero(self, a: Var) -> None:
        self.assert_equal(a, self.zero())

    def assert_equal(self, a: Var, b: Var) -> None:
        """Copy constraint: a and b are the same value (both must sit in routed cells)."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def hint(self, fn: Callable, inputs: Sequence[Var], num_outputs: int) -> list[Var]:
        """Unconstrained advice computed by fn; the caller must constrain the outputs."""
        outs = [self.new_var() for _ in range(num_outputs)]
        self.generators.append(HintGen(fn, inputs, outs))
        return outs

    # -- extension-field arithmetic ----------------------------------------------------------
    def ext_constant(self, e) -> ExtVar:
        return tuple(self.constant(c) for c in e.c)  # type: ignore[return-value]

    def ext_arithmetic(self, c0: int, c1: int, a: ExtVar, b: ExtVar, c: ExtVar) -> ExtVar:
        """out = c0 * a * b + c1 * c in F_p^4."""
        if self.ext_gate is None:
            raise CircuitError("this layout has too few routed columns for extension arithmetic")
        c0 %= P
        c1 %= P
        key = ("ext", c0, c1)
        gate = self.ext_gate
        slot = self._open_rows.get(key)
        if slot is None or slot[1] >= gate.num_ops:
            row = self._add_row(gate, [c0, c1], "ext arithmetic")
            slot = (row, 0)
        row, op = slot
        out = tuple(self.new_var() for _ in range(4))
        self.rows[row].cells[16 * op:16 * op + 16] = list(a) + list(b) + list(c) + list(out)
        self._open_rows[key] = (row, op + 1)
        self.generators.append(ExtArithmeticGen(c0, c1, a, b, c, out))
        return out  # type: ignore[return-value]

    def ext_zero(self) -> ExtVar:
        z = self.zero()
        return (z, z, z, z)

    def ext_one(self) -> ExtVar:
        return (self.one(), self.zero(), self.zero(), self.zero())

    def ext_add(self, a: ExtVar, b: ExtVar) -> ExtVar:
        return self.ext_arithmetic(1, 1, a, self.ext_one(), b)

    def ext_sub(self, a: ExtVar, b: ExtVar) -> ExtVar:
        return self.ext_arithmetic(1, P - 1, a, self.ext_one(), b)

    def ext_mul(self, a: ExtVar, b: ExtVar) -> ExtVar:
        return self.ext_arithmetic(1, 0, a, b, self.ext_zero())

    def ext_mul_add(self, a: ExtVar, b: ExtVar, c: ExtVar) -> ExtVar:
        return self.ext_arithmetic(1, 1, a, b, c)

    # -- Poseidon2 -----------------------------------------------------------------------------
    def poseidon2(self, state: Sequence[Var], swap: Var | None = None, feed_forward: bool = False) -> list[Var]:
        """The Poseidon2 permutation of 16 vars (inputs swapped in halves if swap = 1, output plus
        input if feed_forward) in one gate row.  swap must be boolean (the gate enforces it)."""
        if len(state) != 16:
            raise CircuitError("poseidon2 takes 16 vars")
        ff = 1 if feed_forward else 0
        row = self._add_row(self.poseidon_gate, [ff], "poseidon2")
        outs = [self.new_var() for _ in range(16)]
        cells = self.rows[row].cells
        cells[P2_IN:P2_IN + 16] = list(state)
        cells[P2_OUT:P2_OUT + 16] = outs
        cells[P2_SWAP] = swap if swap is not None else self.zero()
        self.generators.append(Poseidon2Gen(row, state, swap, ff, outs))
        return outs

    # -- Horner reduction ----------------------------------------------------------------------
    def reduce_horner(self, alpha: ExtVar, coeffs: Sequence[Var]) -> ExtVar:
        """sum_i x_i alpha^(K-1-i): Horner over the coefficients in order, starting from zero, with
        reducing gates of num_routed - 12 coefficients per row.  The first row is padded with
        leading zero coefficients, which leave a zero accumulator unchanged."""
        from shielded.proof.gates import ReducingGate
        k = self.config.num_routed - 12
        if k < 1:
            raise CircuitError("this layout has too few routed columns for the reducing gate")
        gate = self._gate(ReducingGate(k))
        coeffs = list(coeffs)
        if not coeffs:
            return self.ext_zero()
        coeffs = [self.zero()] * (-len(coeffs) % k) + coeffs
        acc = self.ext_zero()
        for start in range(0, len(coeffs), k):
            chunk = coeffs[start:start + k]
            row = self._add_row(gate, [], "reducing")
            out = tuple(self.new_var() for _ in range(4))
            cells = self.rows[row].cells
            cells[0:4] = list(alpha)
            cells[4:8] = list(acc)
            cells[8:12] = list(out)
            cells[12:12 + k] = chunk
            self.generators.append(ReduceGen(row, gate, alpha, acc, chunk, out))
            acc = out
        return acc

    # -- decompositions ------------------------------------------------------------------------
    def _decompose_gate(self, bits: int, routed_bits: bool) -> DecomposeGate:
        cfg = self.config
        if routed_bits:
            if 1 + bits > cfg.num_routed:
                raise CircuitError(f"cannot route {bits} bits in {cfg.num_routed} routed columns")
            return self._gate(DecomposeGate(1, bits, routed_bits=True))
        values = max(1, cfg.num_wires // (1 + bits))
        values = min(values, cfg.num_routed)
        if self.range_values_per_row:
            values = min(values, self.range_values_per_row)
        return self._gate(DecomposeGate(values, bits))

    def range_check(self, x: Var, bits: int) -> None:
        """Constrain 0 <= x < 2^bits (bits <= 30 so that the sum cannot wrap modulo p)."""
        if not 1 <= bits <= 30:
            raise CircuitError(f"range checks take 1..30 bits, got {bits}")
        gate = self._decompose_gate(bits, False)
        key = ("range", bits)
        slot = self._open_rows.get(key)
        if slot is None or slot[1] >= gate.num_values:
            row = self._add_row(gate, [], f"range {bits}")
            slot = (row, 0)
        row, k = slot
        self.rows[row].cells[k] = x
        self._open_rows[key] = (row, k + 1)
        self.generators.append(DecomposeGen(row, gate, k, x, None))

    def split_bits(self, x: Var, bits: int) -> list[Var]:
        """Little-endian bits of x as routed vars, with x = sum b_i 2^i enforced.  For bits >= 31
        the sum can wrap modulo p: callers needing the canonical decomposition check it."""
        if not 1 <= bits <= 31:
            raise CircuitError(f"split_bits takes 1..31 bits, got {bits}")
        gate = self._decompose_gate(bits, True)
        row = self._add_row(gate, [], f"bits {bits}")
        outs = [self.new_var() for _ in range(bits)]
        cells = self.rows[row].cells
        cells[0] = x
        for i, v in enumerate(outs):
            cells[gate.bit_wire(0, i)] = v
        self.generators.append(DecomposeGen(row, gate, 0, x, outs))
        return outs

    # -- shape -----------------------------------------------------------------------------------
    def used_gate_names(self) -> set[str]:
        return {r.gate.name for r in self.rows}

    def ensure_gates(self, gate_names) -> None:
        """Add one valid row of every listed gate type the circuit does not use yet, so that two
        circuits can share one shape (the same gate list in their keys)."""
        from shielded.proof.gates import gate_from_name
        missing = sorted(set(gate_names) - self.used_gate_names())
        for name in missing:
            gate = gate_from_name(name)
            kind = name.split("(")[0]
            z = self.zero()
            if kind == "arithmetic":
                self.arithmetic(0, 0, z, z, z)
            elif kind == "ext_arithmetic":
                self.ext_arithmetic(0, 0, (z,) * 4, (z,) * 4, (z,) * 4)
            elif kind == "poseidon2":
                self.poseidon2([z] * 16)
            elif kind == "reducing":
                self.reduce_horner((z,) * 4, [z])
            elif kind == "decompose":
                if gate.routed_bits:
                    self.split_bits(z, gate.num_bits)
                else:
                    self.range_check(z, gate.num_bits)
            elif kind != "constant":
                raise CircuitError(f"cannot add a row of gate {name}")
        if not set(gate_names) <= self.used_gate_names():
            raise CircuitError(f"gates {sorted(set(gate_names) - self.used_gate_names())} could not be added "
                               "(their parameters differ from what this builder creates)")

    # -- build ---------------------------------------------------------------------------------
    def build(self):
        from shielded.proof.circuit import Circuit
        return Circuit.from_builder(self)
