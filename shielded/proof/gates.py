"""Gates: the constraint templates a row of the trace can be selected for (SPEC.md, "Gates").

A gate names its wires by position: wire i of the gate is column i of its row.  Wires
[0, num_routed) may take part in copy constraints, so they must lie in routed columns.  Each gate
gives its constraints as (label, value) pairs computed from the row's wires ``w`` and constants
``k`` with + - * only (see ``algebra``): the same code serves check mode, the prover, the verifier
and the recursive verifier.  Trace generation (computing a row from its inputs) is a separate
plain function next to each gate (``*_trace``).

Every constraint is multiplied by the gate's selector, so a gate's degree (without selector) is
at most MAX_CONSTRAINT_DEGREE - 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from shielded.errors import CircuitError
from shielded.field.koalabear import P
from shielded.hash.poseidon2_generic import external_layer, internal_layer
from shielded.hash.poseidon2_params import params as poseidon2_params
from shielded.proof.algebra import ExtAlg, cube

MAX_CONSTRAINT_DEGREE = 4
"""Selector times gate: the quotient is computed on a coset of size 4n (SPEC.md)."""

MAX_DECOMPOSE_BITS = 31
"""A decomposition has at most 31 bits (split_bits; range checks use at most 30): more bits
cannot describe a canonical field element."""


class Gate:
    name: str
    num_wires: int
    num_routed: int
    num_constants: int = 0
    degree: int

    def constraints(self, w: Sequence, k: Sequence, ext=ExtAlg) -> list[tuple[str, object]]:
        """(label, value) per constraint.  An extension-valued constraint is ONE item, built with
        ``ext`` (ExtAlg: four base components; mu_ext: its image in E, for the verifier)."""
        raise NotImplementedError

    def num_constraints(self) -> int:
        return len(self.constraints([0] * self.num_wires, [0] * max(1, self.num_constants)))

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, repr=False)
class ConstantGate(Gate):
    """w[i] = k[i]: makes constants available as routed wires."""

    count: int

    @property
    def name(self) -> str:
        return f"constant(count={self.count})"

    @property
    def num_wires(self) -> int:
        return self.count

    @property
    def num_routed(self) -> int:
        return self.count

    @property
    def num_constants(self) -> int:
        return self.count

    degree = 1

    def constraints(self, w, k, ext=ExtAlg):
        return [(f"w[{i}] = const[{i}]", w[i] - k[i]) for i in range(self.count)]


@dataclass(frozen=True, repr=False)
class ArithmeticGate(Gate):
    """num_ops operations out = c0 * a * b + c1 * c sharing the row constants (c0, c1)."""

    num_ops: int

    @property
    def name(self) -> str:
        return f"arithmetic(ops={self.num_ops})"

    @property
    def num_wires(self) -> int:
        return 4 * self.num_ops

    @property
    def num_routed(self) -> int:
        return 4 * self.num_ops

    num_constants = 2
    degree = 3

    def constraints(self, w, k, ext=ExtAlg):
        out = []
        for i in range(self.num_ops):
            a, b, c, d = w[4 * i:4 * i + 4]
            out.append((f"op {i}: out = c0*a*b + c1*c", d - (k[0] * a * b + k[1] * c)))
        return out


@dataclass(frozen=True, repr=False)
class ExtArithmeticGate(Gate):
    """num_ops operations out = c0 * a * b + c1 * c over F_p^4 (each operand is 4 wires)."""

    num_ops: int

    @property
    def name(self) -> str:
        return f"ext_arithmetic(ops={self.num_ops})"

    @property
    def num_wires(self) -> int:
        return 16 * self.num_ops

    @property
    def num_routed(self) -> int:
        return 16 * self.num_ops

    num_constants = 2
    degree = 3

    def constraints(self, w, k, ext=ExtAlg):
        out = []
        for i in range(self.num_ops):
            base = 16 * i
            a = ext(w[base:base + 4])
            b = ext(w[base + 4:base + 8])
            c = ext(w[base + 8:base + 12])
            d = ext(w[base + 12:base + 16])
            out.append((f"ext op {i}: out = c0*a*b + c1*c", d - (a * b * k[0] + c * k[1])))
        return out


@dataclass(frozen=True, repr=False)
class DecomposeGate(Gate):
    """num_values values, each the sum of num_bits boolean wires times powers of two."""

    num_values: int
    num_bits: int
    routed_bits: bool = False

    def __post_init__(self):
        if not 1 <= self.num_bits <= MAX_DECOMPOSE_BITS:
            raise CircuitError(f"decompose: bits must be in [1, {MAX_DECOMPOSE_BITS}], got {self.num_bits}")
        if self.num_values < 1:
            raise CircuitError(f"decompose: values must be >= 1, got {self.num_values}")

    @property
    def name(self) -> str:
        routed = ",routed" if self.routed_bits else ""
        return f"decompose(values={self.num_values},bits={self.num_bits}{routed})"

    @property
    def num_wires(self) -> int:
        return self.num_values * (1 + self.num_bits)

    @property
    def num_routed(self) -> int:
        """Values are routed; so are the bits of a ``routed_bits`` gate (used as vars)."""
        return self.num_wires if self.routed_bits else self.num_values

    degree = 2

    def bit_wire(self, value: int, bit: int) -> int:
        return self.num_values + value * self.num_bits + bit

    def constraints(self, w, k, ext=ExtAlg):
        out = []
        for v in range(self.num_values):
            acc = 0
            for i in range(self.num_bits):
                b = w[self.bit_wire(v, i)]
                out.append((f"value {v} bit {i}: b*(b-1) = 0", b * b - b))
                acc = acc + b * (1 << i)
            out.append((f"value {v} = sum bits * 2^i", w[v] - acc))
        return out


@dataclass(frozen=True, repr=False)
class ReducingGate(Gate):
    """Horner over base coefficients with an extension point: acc_(i+1) = acc_i * alpha + x_i for
    i < k, acc_0 = acc_in, acc_k = acc_out.  Routed: alpha (0..3), acc_in (4..7), acc_out (8..11),
    x_0..x_(k-1) (12..11+k); the intermediate accumulators are local (4 wires each).  Used by the
    recursive verifier to fold opened leaf values with powers of a challenge."""

    num_coeffs: int

    @property
    def name(self) -> str:
        return f"reducing(coeffs={self.num_coeffs})"

    @property
    def num_routed(self) -> int:
        return 12 + self.num_coeffs

    @property
    def num_wires(self) -> int:
        return 12 + self.num_coeffs + 4 * (self.num_coeffs - 1)

    degree = 2

    def acc_wires(self, i: int) -> list[int]:
        """Wires of acc_i (0 <= i <= k)."""
        if i == 0:
            return [4, 5, 6, 7]
        if i == self.num_coeffs:
            return [8, 9, 10, 11]
        base = 12 + self.num_coeffs + 4 * (i - 1)
        return [base, base + 1, base + 2, base + 3]

    def constraints(self, w, k, ext=ExtAlg):
        alpha = ext([w[j] for j in range(4)])
        out = []
        for i in range(self.num_coeffs):
            acc = ext([w[j] for j in self.acc_wires(i)])
            nxt = ext([w[j] for j in self.acc_wires(i + 1)])
            out.append((f"step {i}: acc' = acc * alpha + x", nxt - (acc * alpha + w[12 + i])))
        return out


def reducing_trace(gate: ReducingGate, alpha, acc_in, coeffs) -> list[int]:
    """Row of a reducing gate (plain)."""
    from shielded.field.ext import Ext
    row = [0] * gate.num_wires
    a = Ext(*alpha)
    acc = Ext(*acc_in)
    row[0:4] = list(a.c)
    row[4:8] = list(acc.c)
    for i, x in enumerate(coeffs):
        row[12 + i] = x
        acc = acc * a + x
        for j, wire in enumerate(gate.acc_wires(i + 1)):
            row[wire] = acc.c[j]
    return row


def decompose_trace(gate: DecomposeGate, values: Sequence[int]) -> list[int]:
    """Row for a decomposition gate; raises CircuitError if a value does not fit."""
    row = [0] * gate.num_wires
    for v, x in enumerate(values):
        if not 0 <= x < (1 << gate.num_bits):
            raise CircuitError(f"value {x} does not fit in {gate.num_bits} bits")
        row[v] = x
        for i in range(gate.num_bits):
            row[gate.bit_wire(v, i)] = (x >> i) & 1
    return row


# -- Poseidon2 ---------------------------------------------------------------------------------

P2_IN = 0
P2_OUT = 16
P2_SWAP = 32
P2_ROUTED = 33
P2_FULL1 = 33          # S-box inputs of full rounds 1-4: 4 x 16
P2_PARTIAL = 33 + 64   # S-box inputs of the partial rounds: 20
P2_FULL2 = 33 + 64 + 20  # S-box inputs of full rounds 5-8: 4 x 16
P2_WIRES = 33 + 64 + 20 + 64


@dataclass(frozen=True, repr=False)
class Poseidon2Gate(Gate):
    """One full Poseidon2 width-16 permutation in a row.

    Wires: in[16], out[16], swap (routed); the S-box inputs of every round (148, not routed).
    With s = swap ? (in[8..16] || in[0..8]) : in, the gate enforces out = P(s) + ff * s where ff
    is the row constant k[0] (1 for Merkle compression with feed-forward, 0 for a plain
    permutation).  Storing each round's S-box input keeps every constraint of degree 3.
    """

    @property
    def name(self) -> str:
        return "poseidon2(width=16)"

    num_wires = P2_WIRES
    num_routed = P2_ROUTED
    num_constants = 1
    degree = 3

    def constraints(self, w, k, ext=ExtAlg):
        prm = poseidon2_params(16)
        inp = w[P2_IN:P2_IN + 16]
        out = w[P2_OUT:P2_OUT + 16]
        swap = w[P2_SWAP]
        full = [w[P2_FULL1 + 16 * r:P2_FULL1 + 16 * (r + 1)] for r in range(4)] + \
               [w[P2_FULL2 + 16 * r:P2_FULL2 + 16 * (r + 1)] for r in range(4)]
        partial = w[P2_PARTIAL:P2_PARTIAL + 20]
        cons = [("swap*(swap-1) = 0", swap * swap - swap)]
        s = [inp[i] + swap * (inp[(i + 8) % 16] - inp[i]) for i in range(16)]
        st = external_layer(s)
        rcs = list(prm.external_initial) + list(prm.external_final)
        for r in range(8):
            if r == 4:
                # partial rounds: each S-box input is a wire, the rest of the state is tracked
                for j, c in enumerate(prm.internal):
                    cons.append((f"partial {j}: x = state[0] + rc", partial[j] - (st[0] + c)))
                    st = [cube(partial[j])] + st[1:]
                    st = internal_layer(st, prm.diagonal)
            for i in range(16):
                cons.append((f"full {r} lane {i}: x = state + rc", full[r][i] - (st[i] + rcs[r][i])))
            st = external_layer([cube(x) for x in full[r]])
        for i in range(16):
            cons.append((f"out[{i}] = P(s)[{i}] + ff*s[{i}]", out[i] - (st[i] + k[0] * s[i])))
        return cons


def poseidon2_trace(inputs: Sequence[int], swap: int, ff: int) -> list[int]:
    """Row of a Poseidon2 gate (plain reference; the witness generator uses a batched kernel)."""
    prm = poseidon2_params(16)
    if ff not in (0, 1):
        raise CircuitError("the feed-forward flag must be 0 or 1")
    # s_i = in_i + swap (in_(i+8) - in_i): for a boolean swap this is the swapped state; a
    # non-boolean swap (only in deliberately invalid witnesses) follows the same formula
    s = [(inputs[i] + swap * (inputs[(i + 8) % 16] - inputs[i])) % P for i in range(16)]
    row = [0] * P2_WIRES
    row[P2_IN:P2_IN + 16] = inputs
    row[P2_SWAP] = swap
    st = [x % P for x in external_layer(s)]
    rcs = list(prm.external_initial) + list(prm.external_final)
    for r in range(8):
        if r == 4:
            for j, c in enumerate(prm.internal):
                x = (st[0] + c) % P
                row[P2_PARTIAL + j] = x
                st = [pow(x, 3, P)] + st[1:]
                st = [v % P for v in internal_layer(st, prm.diagonal)]
        base = P2_FULL1 + 16 * r if r < 4 else P2_FULL2 + 16 * (r - 4)
        xs = [(st[i] + rcs[r][i]) % P for i in range(16)]
        row[base:base + 16] = xs
        st = [v % P for v in external_layer([pow(x, 3, P) for x in xs])]
    row[P2_OUT:P2_OUT + 16] = [(st[i] + ff * s[i]) % P for i in range(16)]
    return row


def all_gate_types(num_routed: int) -> dict[str, Gate]:
    """The standard gates for a layout with ``num_routed`` routed columns (for decoding keys)."""
    gates = [ConstantGate(4), ArithmeticGate(num_routed // 4), ExtArithmeticGate(num_routed // 16),
             Poseidon2Gate()]
    return {g.name: g for g in gates}


def check_gate_fits(gate: Gate, num_wires: int, num_routed: int, num_constants: int) -> None:
    if gate.num_wires > num_wires or gate.num_routed > num_routed or gate.num_constants > num_constants:
        raise CircuitError(f"gate {gate.name} needs {gate.num_wires} wires ({gate.num_routed} routed) "
                           f"and {gate.num_constants} constants; the layout has {num_wires} "
                           f"({num_routed} routed) and {num_constants}")
    if gate.degree + 1 > MAX_CONSTRAINT_DEGREE:
        raise CircuitError(f"gate {gate.name} has degree {gate.degree}; at most "
                           f"{MAX_CONSTRAINT_DEGREE - 1} is allowed")


_GATE_NAME = __import__("re").compile(r"^([a-z_0-9]+)\(([^)]*)\)$", __import__("re").ASCII)


def gate_from_name(name: str) -> Gate:
    """Rebuild a gate from its name (used when decoding verifying keys)."""
    m = _GATE_NAME.match(name)
    if not m:
        raise CircuitError(f"unknown gate {name!r}")
    kind, args = m.groups()
    params: dict[str, int] = {}
    flags = set()
    for part in filter(None, args.split(",")):
        if "=" in part:
            k, v = part.split("=", 1)
            if not (v.isascii() and v.isdigit()) or len(v) > 4 or int(v) == 0:
                raise CircuitError(f"bad gate parameter in {name!r} (a positive decimal integer)")
            params[k] = int(v)
        else:
            flags.add(part)
    try:
        if kind == "constant" and set(params) == {"count"} and not flags:
            gate: Gate = ConstantGate(params["count"])
        elif kind == "arithmetic" and set(params) == {"ops"} and not flags:
            gate = ArithmeticGate(params["ops"])
        elif kind == "ext_arithmetic" and set(params) == {"ops"} and not flags:
            gate = ExtArithmeticGate(params["ops"])
        elif kind == "poseidon2" and params == {"width": 16} and not flags:
            gate = Poseidon2Gate()
        elif kind == "reducing" and set(params) == {"coeffs"} and not flags:
            gate = ReducingGate(params["coeffs"])
        elif kind == "decompose" and set(params) == {"values", "bits"} and flags <= {"routed"}:
            gate = DecomposeGate(params["values"], params["bits"], "routed" in flags)
        else:
            raise CircuitError(f"unknown gate {name!r}")
    except TypeError:
        raise CircuitError(f"unknown gate {name!r}") from None
    if gate.name != name:
        raise CircuitError(f"gate name {name!r} is not in canonical form")
    return gate
