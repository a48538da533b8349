"""Poseidon2 linear layers and rounds written over any algebra (ints, tape values, Ext, wires).

Used by the Poseidon2 gate's constraints; ``permute`` in ``poseidon2`` is the plain twin and the
tests check that running these on ints reproduces it.
"""

from __future__ import annotations

from typing import Sequence


def external_layer(state: Sequence) -> list:
    """M4 on each block of 4, then add the k-th column sum to each element k mod 4 (no reduction)."""
    out = []
    for b in range(0, len(state), 4):
        a, bb, c, d = state[b:b + 4]
        t = a + bb + c + d
        out += [t + a + bb * 2, t + bb + c * 2, t + c + d * 2, t + d + a * 2]
    sums = []
    for k in range(4):
        s = out[k]
        for j in range(k + 4, len(out), 4):
            s = s + out[j]
        sums.append(s)
    return [x + sums[i % 4] for i, x in enumerate(out)]


def internal_layer(state: Sequence, diagonal: Sequence[int]) -> list:
    s = state[0]
    for x in state[1:]:
        s = s + x
    return [s + x * d for x, d in zip(state, diagonal)]
