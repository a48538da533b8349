"""Poseidon2 sponge and compression as circuits (twins: shielded.hash.sponge)."""

from __future__ import annotations

from typing import Sequence

from shielded.errors import CircuitError
from shielded.hash.sponge import DIGEST_LEN, RATE, WIDTH


def hash_elements(b, tag: int, inputs: Sequence) -> list:
    """Sponge digest of ``inputs`` under ``tag``: one Poseidon2 row per block of 8 inputs.
    Overwrite mode: each row's rate inputs are the block (zero-padded), its capacity inputs the
    previous row's capacity outputs (initially the constants (tag, length, 0, ...))."""
    inputs = list(inputs)
    zero = b.zero()
    capacity = [b.constant(int(tag)), b.constant(len(inputs))] + [zero] * (WIDTH - RATE - 2)
    blocks = max(1, -(-len(inputs) // RATE))
    out = None
    for k in range(blocks):
        block = inputs[k * RATE:(k + 1) * RATE]
        block = block + [zero] * (RATE - len(block))
        out = b.poseidon2(block + capacity)
        capacity = out[RATE:]
    return out[:DIGEST_LEN]


def compress(b, left: Sequence, right: Sequence, swap=None) -> list:
    """compress(left, right), or compress(right, left) when the boolean var ``swap`` is 1, in one
    Poseidon2 row with feed-forward."""
    if len(left) != DIGEST_LEN or len(right) != DIGEST_LEN:
        raise CircuitError("compress takes two digests of 8 vars")
    return b.poseidon2(list(left) + list(right), swap=swap, feed_forward=True)[:DIGEST_LEN]
