"""Small circuits shared by the proof-layer tests, each beside its plain twin.

Every builder function returns an ``Instance``: the built circuit, a valid assignment of its
inputs, and the public values that the plain computation (Python ints, ``Ext``, ``permute``)
predicts.  Values come from a seeded ``random.Random`` so that a failure reproduces; base-field
inputs are nonzero so that no product silently hides a tampered cell (a * 0 does not depend on a).

* ``mixed_circuit``: one of every gate type (arithmetic, ext arithmetic, constants, Poseidon2 with
  and without swap / feed-forward, range checks, split_bits) plus public inputs.
* ``poseidon2_batch_circuit``: eight or more Poseidon2 rows at the same level, so witness
  generation takes the batched (numba) path instead of the plain reference.
* ``many_public_inputs_circuit``: more public inputs than routed columns (two public-input rows).
* ``square_circuit``: the smallest useful circuit (x * x = y).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from shielded.field.ext import Ext
from shielded.field.koalabear import P, inv
from shielded.hash.poseidon2 import permute
from shielded.proof.builder import CircuitBuilder, Var
from shielded.proof.circuit import Circuit
from shielded.proof.config import ProofConfig
from shielded.proof.witness import Witness, generate_witness


@dataclass
class Instance:
    circuit: Circuit
    inputs: dict[Var, int]
    expected_public: list[int]
    notes: dict = field(default_factory=dict)

    def witness(self, strict: bool = True) -> Witness:
        return generate_witness(self.circuit, self.inputs, strict=strict)


def nonzero_elements(rnd: random.Random, count: int) -> list[int]:
    return [rnd.randrange(1, P) for _ in range(count)]


def compute_poseidon2_gate(state: list[int], swap: int, feed_forward: bool) -> list[int]:
    """Plain twin of ``CircuitBuilder.poseidon2``: P(s) (+ s), s = halves swapped if swap."""
    s = state[8:] + state[:8] if swap else list(state)
    out = permute(s)
    return [(o + x) % P for o, x in zip(out, s)] if feed_forward else out


def mixed_circuit(config: ProofConfig | None = None, seed: int = 0, name: str = "mixed",
                  swap: int | None = None) -> Instance:
    """One of every gate type; public inputs: y (set by the prover) then six computed values."""
    rnd = random.Random(seed)
    xs_val = nonzero_elements(rnd, 16)
    sw_val = rnd.randrange(2) if swap is None else swap
    r_val = rnd.randrange(1, 1 << 20)
    t_val = rnd.randrange(1, 1 << 30)

    b = CircuitBuilder(config or ProofConfig(), name)
    xs = b.add_inputs(16)
    sw = b.add_input()
    r = b.add_input()
    t = b.add_input()
    y = b.public_input()

    # base-field arithmetic: y = x0 * x1 + x2 (a public input set by the prover)
    b.assert_equal(b.mul_add(xs[0], xs[1], xs[2]), y)
    lc = b.linear_combination([(3, xs[6]), (5, xs[7])], 11)
    inv3 = b.inverse(xs[3])
    b.assert_bool(sw)
    sel = b.select(sw, xs[4], xs[5])
    d = b.sub(b.scale(xs[8], 7), b.neg(b.add_const(xs[9], 13)))
    # extension arithmetic
    e = b.ext_mul_add(tuple(xs[0:4]), tuple(xs[4:8]), tuple(xs[8:12]))
    e2 = b.ext_sub(b.ext_add(e, tuple(xs[12:16])), b.ext_constant(Ext(1, 2, 3, 4)))
    # Poseidon2: plain permutation, then swap + feed-forward (Merkle compression shape)
    p1 = b.poseidon2(xs)
    p2 = b.poseidon2(p1, swap=sw, feed_forward=True)
    # decompositions
    b.range_check(r, 20)
    b.range_check(t, 30)
    bits = b.split_bits(r, 20)
    for v in (e2[0], p2[0], sel, lc, inv3, d):
        b.make_public(v)
    circuit = b.build()

    x = xs_val
    e_val = Ext(*x[0:4]) * Ext(*x[4:8]) + Ext(*x[8:12])
    e2_val = e_val + Ext(*x[12:16]) - Ext(1, 2, 3, 4)
    p1_val = compute_poseidon2_gate(x, 0, False)
    p2_val = compute_poseidon2_gate(p1_val, sw_val, True)
    d_val = (7 * x[8] + x[9] + 13) % P
    expected = [(x[0] * x[1] + x[2]) % P, e2_val.c[0], p2_val[0], x[4] if sw_val else x[5],
                (3 * x[6] + 5 * x[7] + 11) % P, inv(x[3]), d_val]
    inputs = {v: val for v, val in zip(xs, x)}
    inputs.update({sw: sw_val, r: r_val, t: t_val, y: expected[0]})
    return Instance(circuit, inputs, expected,
                    {"xs": xs, "sw": sw, "r": r, "t": t, "y": y, "bits": bits, "r_val": r_val,
                     "inv3": inv3})


def poseidon2_batch_circuit(config: ProofConfig | None = None, seed: int = 0, count: int = 9,
                            name: str = "poseidon2 batch") -> Instance:
    """``count`` independent Poseidon2 rows (alternating swap / feed-forward); each output lane 0
    is public.  With count >= 8 witness generation uses the numba kernel."""
    rnd = random.Random(seed)
    b = CircuitBuilder(config or ProofConfig(), name)
    inputs: dict[Var, int] = {}
    expected = []
    for k in range(count):
        st = b.add_inputs(16)
        sw = b.add_input()
        vals = nonzero_elements(rnd, 16)
        sw_val = k % 2
        ff = k % 3 == 0
        out = b.poseidon2(st, swap=sw, feed_forward=ff)
        b.make_public(out[0])
        inputs.update(zip(st, vals))
        inputs[sw] = sw_val
        expected.append(compute_poseidon2_gate(vals, sw_val, ff)[0])
    return Instance(b.build(), inputs, expected)


def many_public_inputs_circuit(config: ProofConfig | None = None, seed: int = 0, count: int = 40,
                               name: str = "many public inputs") -> Instance:
    """``count`` public inputs y_i = x_i^2 + i (more than one public-input row when count > 36)."""
    rnd = random.Random(seed)
    b = CircuitBuilder(config or ProofConfig(), name)
    inputs: dict[Var, int] = {}
    expected = []
    for i in range(count):
        x = b.add_input()
        y = b.public_input()
        b.assert_equal(b.arithmetic(1, i, x, x, b.one()), y)
        xv = rnd.randrange(1, P)
        inputs[x] = xv
        inputs[y] = (xv * xv + i) % P
        expected.append(inputs[y])
    return Instance(b.build(), inputs, expected)


def square_circuit(config: ProofConfig | None = None, x_val: int = 5, offset: int = 0,
                   name: str = "square") -> Instance:
    """y = x * x + offset with y public."""
    b = CircuitBuilder(config or ProofConfig(), name)
    x = b.add_input()
    y = b.public_input()
    b.assert_equal(b.arithmetic(1, offset, x, x, b.one()), y)
    y_val = (x_val * x_val + offset) % P
    return Instance(b.build(), {x: x_val, y: y_val}, [y_val])
