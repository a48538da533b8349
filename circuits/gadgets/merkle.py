"""Merkle path verification (twin: shielded.commit.merkle.root_from_path)."""

from __future__ import annotations

from typing import Sequence

from circuits.gadgets.hashing import compress


def merkle_root(b, leaf: Sequence, bits: Sequence, siblings: Sequence[Sequence]) -> list:
    """Root of the path from ``leaf`` with direction bits (bit i = 1: the level-i node is a right
    child) and siblings from the bottom up: one Poseidon2 row per level.  The Poseidon2 gate
    enforces that every bit is boolean."""
    cur = list(leaf)
    for bit, sib in zip(bits, siblings):
        cur = compress(b, cur, sib, swap=bit)
    return cur
