"""Tracing constraints into a straight-line program, and a vectorised interpreter for it.

A ``Tape`` records the operations that generic constraint code performs on ``TapeVar`` values:
loads of input columns, constants, add, sub, mul, and outputs.  ``compile`` allocates registers
(a value's register is reused after its last use) and emits an int32 program.  ``run`` executes
it over many evaluation points at once in a numba kernel, in chunks of points so that the
registers stay in cache, in Montgomery form.  Two output modes:

* ``acc``: out(x) = sum_i alpha_i * output_i(x) with extension coefficients (the prover's
  combined constraint, shape (M, 4));
* ``each``: every output separately, shape (outputs, M) (the fast check mode).

The reference for both is evaluating the same constraint code on Python ints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from shielded.field.koalabear import P
from shielded.field.vec import ext_mmul
from shielded.field.mont import R2_MOD_P, madd, madd32, mmul, mmul32, msub, msub32, to_mont_int

OP_LOAD, OP_CONST, OP_ADD, OP_SUB, OP_MUL, OP_OUT, OP_PARAM = 0, 1, 2, 3, 4, 5, 6


class TapeVar:
    __slots__ = ("tape", "id")

    def __init__(self, tape: "Tape", vid: int):
        self.tape = tape
        self.id = vid

    def _lift(self, o):
        if isinstance(o, TapeVar):
            return o
        if isinstance(o, int):
            return self.tape.const(o)
        return None

    def __add__(self, o):
        if isinstance(o, int) and o % P == 0:
            return self
        ov = self._lift(o)
        if ov is None:
            return NotImplemented
        return self.tape.emit(OP_ADD, self.id, ov.id)

    __radd__ = __add__

    def __sub__(self, o):
        if isinstance(o, int) and o % P == 0:
            return self
        ov = self._lift(o)
        if ov is None:
            return NotImplemented
        return self.tape.emit(OP_SUB, self.id, ov.id)

    def __rsub__(self, o):
        ov = self._lift(o)
        if ov is None:
            return NotImplemented
        return self.tape.emit(OP_SUB, ov.id, self.id)

    def __neg__(self):
        return self.tape.emit(OP_SUB, self.tape.const(0).id, self.id)

    def __mul__(self, o):
        if isinstance(o, int):
            if o % P == 1:
                return self
        ov = self._lift(o)
        if ov is None:
            return NotImplemented
        return self.tape.emit(OP_MUL, self.id, ov.id)

    __rmul__ = __mul__


class Tape:
    """Records operations; values are numbered in program order."""

    def __init__(self) -> None:
        self.ops: list[tuple[int, int, int]] = []   # (opcode, a, b); value id = position
        self._consts: dict[int, TapeVar] = {}
        self._inputs: dict[int, TapeVar] = {}
        self._params: dict[int, TapeVar] = {}
        self.outputs: list[int] = []                 # value ids, in output order

    def emit(self, op: int, a: int, b: int) -> TapeVar:
        self.ops.append((op, a, b))
        return TapeVar(self, len(self.ops) - 1)

    def input(self, column: int) -> TapeVar:
        v = self._inputs.get(column)
        if v is None:
            v = self.emit(OP_LOAD, column, 0)
            self._inputs[column] = v
        return v

    def param(self, index: int) -> TapeVar:
        """A value fixed for a whole run but not at compile time (challenges, public inputs)."""
        v = self._params.get(index)
        if v is None:
            v = self.emit(OP_PARAM, index, 0)
            self._params[index] = v
        return v

    def const(self, value: int) -> TapeVar:
        value %= P
        v = self._consts.get(value)
        if v is None:
            v = self.emit(OP_CONST, value, 0)
            self._consts[value] = v
        return v

    def output(self, value) -> None:
        if isinstance(value, int):
            value = self.const(value)
        self.outputs.append(value.id)

    def compile(self) -> "CompiledTape":
        """Register allocation and encoding.  Dead values are dropped."""
        n = len(self.ops)
        live = [False] * n
        for o in self.outputs:
            live[o] = True
        for i in range(n - 1, -1, -1):
            if live[i]:
                op, a, b = self.ops[i]
                if op in (OP_ADD, OP_SUB, OP_MUL):
                    live[a] = live[b] = True
        last_use = [-1] * n
        # outputs are emitted right after the value is computed, in program order
        out_after: dict[int, list[int]] = {}
        for k, o in enumerate(self.outputs):
            out_after.setdefault(o, []).append(k)
        for i, (op, a, b) in enumerate(self.ops):
            if live[i] and op in (OP_ADD, OP_SUB, OP_MUL):
                last_use[a] = max(last_use[a], i)
                last_use[b] = max(last_use[b], i)
        for o in out_after:
            last_use[o] = max(last_use[o], o)
        reg = [-1] * n
        free: list[int] = []
        num_regs = 0
        prog = []
        consts = []
        const_index: dict[int, int] = {}
        dying_at: dict[int, list[int]] = {}
        for v, lu in enumerate(last_use):
            if live[v]:
                dying_at.setdefault(lu, []).append(v)
        for i, (op, a, b) in enumerate(self.ops):
            if not live[i]:
                continue
            if free:
                r = free.pop()
            else:
                r = num_regs
                num_regs += 1
            reg[i] = r
            if op in (OP_LOAD, OP_PARAM):
                prog.append((op, r, a, 0))
            elif op == OP_CONST:
                if a not in const_index:
                    const_index[a] = len(consts)
                    consts.append(to_mont_int(a))
                prog.append((OP_CONST, r, const_index[a], 0))
            else:
                prog.append((op, r, reg[a], reg[b]))
            for k in out_after.get(i, []):
                prog.append((OP_OUT, 0, r, k))
            for v in dying_at.get(i, []):
                free.append(reg[v])
        return CompiledTape(np.array(prog, np.int32).reshape(len(prog), 4),
                            np.array(consts, np.uint64), max(num_regs, 1), len(self.outputs))


@dataclass(frozen=True)
class CompiledTape:
    program: np.ndarray     # (ops, 4) int32: opcode, dst, a, b
    consts: np.ndarray      # Montgomery constants
    num_regs: int
    num_outputs: int

    def run_accumulate(self, inputs: np.ndarray, alphas: np.ndarray, params=(), chunk: int = 256) -> np.ndarray:
        """sum_i alphas[i] * output_i at every point; inputs (columns, M), alphas (outputs, 4)."""
        am = np.array([[to_mont_int(int(c)) for c in row] for row in alphas], np.uint64).reshape(-1, 4)
        pm = np.array([to_mont_int(int(x)) for x in params], np.uint64)
        return _run(self.program, self.consts, pm, np.ascontiguousarray(inputs, np.uint32), am,
                    self.num_regs, self.num_outputs, chunk, True)[0]

    def run_each(self, inputs: np.ndarray, params=(), chunk: int = 256) -> np.ndarray:
        """Every output at every point: shape (outputs, M)."""
        am = np.zeros((0, 4), np.uint64)
        pm = np.array([to_mont_int(int(x)) for x in params], np.uint64)
        return _run(self.program, self.consts, pm, np.ascontiguousarray(inputs, np.uint32), am,
                    self.num_regs, self.num_outputs, chunk, False)[1]


_R2 = np.uint64(R2_MOD_P)
_ONE = np.uint64(1)
_R2_32 = np.uint32(R2_MOD_P)
_ONE32 = np.uint32(1)

# _run evaluates over many points with 32-bit lanes (the uint32 Montgomery helpers vectorise
# better); its constant tables stay uint64 (shared with _run_ext) and are narrowed per op.


@nb.njit(parallel=True, cache=True)
def _run(prog, consts, params, inputs, alphas, num_regs, num_outputs, chunk, accumulate):
    m = inputs.shape[1]
    nchunks = (m + chunk - 1) // chunk
    if accumulate:
        acc_out = np.zeros((m, 4), np.uint32)
        each_out = np.zeros((0, 0), np.uint32)
    else:
        acc_out = np.zeros((0, 4), np.uint32)
        each_out = np.zeros((num_outputs, m), np.uint32)
    for ch in nb.prange(nchunks):
        start = ch * chunk
        ln = min(chunk, m - start)
        regs = np.empty((num_regs, chunk), np.uint32)
        acc = np.zeros((4, chunk), np.uint32)
        for k in range(prog.shape[0]):
            op = prog[k, 0]
            d = prog[k, 1]
            a = prog[k, 2]
            b = prog[k, 3]
            if op == 4:  # mul
                for l in range(ln):
                    regs[d, l] = mmul32(regs[a, l], regs[b, l])
            elif op == 2:  # add
                for l in range(ln):
                    regs[d, l] = madd32(regs[a, l], regs[b, l])
            elif op == 3:  # sub
                for l in range(ln):
                    regs[d, l] = msub32(regs[a, l], regs[b, l])
            elif op == 0:  # load
                for l in range(ln):
                    regs[d, l] = mmul32(inputs[a, start + l], _R2_32)
            elif op == 1:  # const
                cv = np.uint32(consts[a])
                for l in range(ln):
                    regs[d, l] = cv
            elif op == 6:  # param
                cv = np.uint32(params[a])
                for l in range(ln):
                    regs[d, l] = cv
            else:  # output
                if accumulate:
                    for c in range(4):
                        al = np.uint32(alphas[b, c])
                        for l in range(ln):
                            acc[c, l] = madd32(acc[c, l], mmul32(regs[a, l], al))
                else:
                    for l in range(ln):
                        each_out[b, start + l] = mmul32(regs[a, l], _ONE32)
        if accumulate:
            for c in range(4):
                for l in range(ln):
                    acc_out[start + l, c] = mmul32(acc[c, l], _ONE32)
    return acc_out, each_out


# -- evaluation at one extension-field point (the native verifier) ------------------------------

def run_ext_combination(tape: CompiledTape, inputs, params, alpha_powers) -> list:
    """Evaluate every output at one point where the inputs are extension elements and return
    sum_t alpha^t * output_t in the extension field (SPEC.md, section 9), as 4 coefficients.

    inputs: (columns, 4) canonical; params: base-field ints; alpha_powers: (outputs, 4)."""
    im = _mont_rows(np.ascontiguousarray(inputs, np.uint32))
    pm = np.array([to_mont_int(int(x) % P) for x in params], np.uint64)
    am = _mont_rows(np.ascontiguousarray(alpha_powers, np.uint32))
    return _run_ext(tape.program, tape.consts, pm, im, am, tape.num_regs)


@nb.njit(cache=True)
def _mont_rows(a):
    out = np.empty(a.shape, np.uint64)
    for i in range(a.shape[0]):
        for k in range(a.shape[1]):
            out[i, k] = mmul(np.uint64(a[i, k]), _R2)
    return out


@nb.njit(cache=True)
def _run_ext(prog, consts, params, inputs, alphas, num_regs):
    regs = np.zeros((num_regs, 4), np.uint64)
    acc = np.zeros(4, np.uint64)
    z = np.uint64(0)
    for k in range(prog.shape[0]):
        op = prog[k, 0]
        d = prog[k, 1]
        a = prog[k, 2]
        b = prog[k, 3]
        if op == 4:  # mul
            c0, c1, c2, c3 = ext_mmul(regs[a, 0], regs[a, 1], regs[a, 2], regs[a, 3],
                                      regs[b, 0], regs[b, 1], regs[b, 2], regs[b, 3])
            regs[d, 0] = c0
            regs[d, 1] = c1
            regs[d, 2] = c2
            regs[d, 3] = c3
        elif op == 2:
            for c in range(4):
                regs[d, c] = madd(regs[a, c], regs[b, c])
        elif op == 3:
            for c in range(4):
                regs[d, c] = msub(regs[a, c], regs[b, c])
        elif op == 0:
            for c in range(4):
                regs[d, c] = inputs[a, c]
        elif op == 1:
            regs[d, 0] = consts[a]
            regs[d, 1] = z
            regs[d, 2] = z
            regs[d, 3] = z
        elif op == 6:
            regs[d, 0] = params[a]
            regs[d, 1] = z
            regs[d, 2] = z
            regs[d, 3] = z
        else:  # output b: acc += alpha^b * reg (extension product)
            c0, c1, c2, c3 = ext_mmul(alphas[b, 0], alphas[b, 1], alphas[b, 2], alphas[b, 3],
                                      regs[a, 0], regs[a, 1], regs[a, 2], regs[a, 3])
            acc[0] = madd(acc[0], c0)
            acc[1] = madd(acc[1], c1)
            acc[2] = madd(acc[2], c2)
            acc[3] = madd(acc[3], c3)
    out = np.empty(4, np.uint32)
    for c in range(4):
        out[c] = mmul(acc[c], np.uint64(1))
    return out
