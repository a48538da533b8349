"""Batched trace generation for Poseidon2 gate rows (numba twin of ``gates.poseidon2_trace``)."""

from __future__ import annotations

import numba as nb
import numpy as np

from shielded.field.mont import R2_MOD_P, madd, mmul, msub
from shielded.hash.poseidon2 import mont_tables
from shielded.proof.gates import P2_FULL1, P2_FULL2, P2_IN, P2_OUT, P2_PARTIAL, P2_SWAP, P2_WIRES

_R2 = np.uint64(R2_MOD_P)
_ONE = np.uint64(1)


@nb.njit(inline="always", cache=True)
def _external(st, tmp):
    for b in range(0, 16, 4):
        a = st[b]
        bb = st[b + 1]
        c = st[b + 2]
        d = st[b + 3]
        t = madd(madd(a, bb), madd(c, d))
        st[b] = madd(madd(t, a), madd(bb, bb))
        st[b + 1] = madd(madd(t, bb), madd(c, c))
        st[b + 2] = madd(madd(t, c), madd(d, d))
        st[b + 3] = madd(madd(t, d), madd(a, a))
    for k in range(4):
        tmp[k] = madd(madd(st[k], st[k + 4]), madd(st[k + 8], st[k + 12]))
    for i in range(16):
        st[i] = madd(st[i], tmp[i % 4])


def _trace_rows_py(inputs, swaps, ffs, ext_init, internal, ext_final, diag):
    n = inputs.shape[0]
    out = np.zeros((n, P2_WIRES), np.uint32)
    for r in nb.prange(n):
        st = np.empty(16, np.uint64)
        s = np.empty(16, np.uint64)
        tmp = np.empty(4, np.uint64)
        sw = mmul(np.uint64(swaps[r]), _R2)
        for i in range(16):
            out[r, P2_IN + i] = inputs[r, i]
            a = mmul(np.uint64(inputs[r, i]), _R2)
            b = mmul(np.uint64(inputs[r, (i + 8) % 16]), _R2)
            s[i] = madd(a, mmul(sw, msub(b, a)))     # in_i + swap (in_(i+8) - in_i)
            st[i] = s[i]
        out[r, P2_SWAP] = swaps[r]
        _external(st, tmp)
        for rnd in range(8):
            if rnd == 4:
                for j in range(internal.shape[0]):
                    x = madd(st[0], internal[j])
                    out[r, P2_PARTIAL + j] = mmul(x, _ONE)
                    st[0] = mmul(mmul(x, x), x)
                    ssum = st[0]
                    for i in range(1, 16):
                        ssum = madd(ssum, st[i])
                    for i in range(16):
                        st[i] = madd(ssum, mmul(st[i], diag[i]))
            base = P2_FULL1 + 16 * rnd if rnd < 4 else P2_FULL2 + 16 * (rnd - 4)
            for i in range(16):
                c = ext_init[rnd, i] if rnd < 4 else ext_final[rnd - 4, i]
                x = madd(st[i], c)
                out[r, base + i] = mmul(x, _ONE)
                st[i] = mmul(mmul(x, x), x)
            _external(st, tmp)
        ff = ffs[r]
        for i in range(16):
            v = madd(st[i], s[i]) if ff else st[i]
            out[r, P2_OUT + i] = mmul(v, _ONE)
    return out


# the same kernel twice: waking the thread pool costs more than a few rows take, and witness
# generation asks for a few rows at a time hundreds of times
_trace_rows = nb.njit(parallel=True, cache=True)(_trace_rows_py)
_trace_rows_serial = nb.njit(cache=True)(_trace_rows_py)
_SERIAL_BELOW = 64


def trace_batch(inputs: np.ndarray, swaps: np.ndarray, ffs: np.ndarray) -> np.ndarray:
    """Rows (n, P2_WIRES) for n Poseidon2 gates with the given inputs and flags."""
    kernel = _trace_rows_serial if len(inputs) < _SERIAL_BELOW else _trace_rows
    return kernel(np.ascontiguousarray(inputs, np.uint32), np.ascontiguousarray(swaps, np.uint32),
                  np.ascontiguousarray(ffs, np.uint32), *mont_tables(16))
