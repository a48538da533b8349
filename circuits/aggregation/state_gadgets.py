"""State-update gadgets: note-tree pair append and indexed nullifier-tree insertion.

Twins: shielded.state.note_tree.NoteTree (append) and shielded.state.nullifier_tree.NullifierTree
(insert).  Every update is conditional on an ``active`` bit: inactive, the roots and sizes pass
through unchanged and nothing is checked (the slot holds a padding transaction).
"""

from __future__ import annotations

from typing import Sequence

from circuits.aggregation.layout import KEY_LIMB_BITS, KEY_LIMBS
from circuits.gadgets.arith import assert_enabled_equal, is_nonzero, select_digest
from circuits.gadgets.hashing import compress, hash_elements
from circuits.recursion.context import canonical_bits
from shielded.field.koalabear import P
from shielded.hash.sponge import Tag, compress as plain_compress


def empty_roots(depth: int) -> list:
    out = [(0,) * 8]
    for _ in range(depth):
        out.append(plain_compress(out[-1], out[-1]))
    return out


def position_bits(b, size, depth: int) -> list:
    """Bits of a tree position (a field element < p): canonical 31 bits, higher levels 0."""
    bits = canonical_bits(b, size)
    if depth > 31:
        return bits + [b.zero()] * (depth - 31)
    for t in bits[depth:]:
        b.assert_zero(t)       # the position must fit the tree
    return bits[:depth]


def path_root(b, leaf, bits: Sequence, siblings: Sequence) -> list:
    node = list(leaf)
    for bit, sib in zip(bits, siblings):
        node = compress(b, node, list(sib), swap=bit)
    return node


def note_pair_append(b, active, root_old: Sequence, size_old, cm0: Sequence, cm1: Sequence,
                     siblings: Sequence, depth: int) -> tuple[list, object]:
    """Append leaves H(NOTE_LEAF, cm0), H(NOTE_LEAF, cm1) at positions size, size + 1 (size even):
    their parent sits at level 1; one path from there checks the old root (empty pair) and gives
    the new one.  Returns (root_new, size_new).  An inactive slot decomposes position 0 instead of
    size_old, so that a tree filled exactly by an earlier slot does not make the leaf unprovable."""
    bits = position_bits(b, b.mul(active, size_old), depth)
    b.assert_zero(bits[0])                          # pairs are aligned: size is even
    leaf0 = hash_elements(b, Tag.NOTE_LEAF, cm0)
    leaf1 = hash_elements(b, Tag.NOTE_LEAF, cm1)
    pair = compress(b, leaf0, leaf1)
    empty_pair = [b.constant(x) for x in empty_roots(1)[1]]
    old = path_root(b, empty_pair, bits[1:], siblings)
    new = path_root(b, pair, bits[1:], siblings)
    assert_enabled_equal(b, active, old, root_old)
    root_new = select_digest(b, active, new, root_old)
    size_new = b.arithmetic(2, 1, active, b.one(), size_old)     # size + 2 active
    return root_new, size_new


def nullifier_key(b, nf: Sequence) -> list:
    """The four 30-bit key limbs of a nullifier, each extracted canonically: nf_j = limb + 2^30 t
    with t boolean and limb < 2^30, and when t = 1, limb < p - 2^30 (so nf_j = limb + 2^30 < p and
    each nf_j has exactly one (limb, t); otherwise one nullifier could enter with two keys)."""
    limbs = []
    for j in range(KEY_LIMBS):
        x = nf[j]
        t = b.hint(lambda v: v >> KEY_LIMB_BITS, [x], 1)[0]
        b.assert_bool(t)
        limb = b.arithmetic(1, P - (1 << KEY_LIMB_BITS), x, b.one(), t)   # x - 2^30 t
        b.range_check(limb, KEY_LIMB_BITS)
        # limb + t (2^24 - 1) < 2^30  <=>  t = 0, or limb < 2^30 - 2^24 + 1 = p - 2^30
        b.range_check(b.arithmetic((1 << 24) - 1, 1, t, b.one(), limb), KEY_LIMB_BITS)
        limbs.append(limb)
    return limbs


HALF_BITS = KEY_LIMB_BITS // 2


def _halves(b, x) -> list:
    """(lo, hi) with x = lo + 2^15 hi and both < 2^15 (so x < 2^30)."""
    lo, hi = b.hint(lambda v: [v & ((1 << HALF_BITS) - 1), v >> HALF_BITS], [x], 2)
    b.range_check(lo, HALF_BITS)
    b.range_check(hi, HALF_BITS)
    b.assert_equal(b.arithmetic(1 << HALF_BITS, 1, hi, b.one(), lo), x)
    return [lo, hi]


def less_than(b, x: Sequence, y: Sequence):
    """1 if the integer with limbs x is below the one with limbs y (4 limbs of 30 bits each), else
    0: the final borrow of x - y, computed over 15-bit half-limbs.  Per half-limb,
    d = x_j - y_j - borrow_in + 2^15 borrow_out must lie in [0, 2^15); every candidate value is
    below 2^16 in absolute value, far from p, so only the true borrow passes (30-bit limbs would
    not do: there d + 2^30 can wrap mod p back into range)."""
    xs = [h for limb in x for h in _halves(b, limb)]
    ys = [h for limb in y for h in _halves(b, limb)]
    borrow = None
    for xj, yj in zip(xs, ys):
        terms = [(1, xj), (P - 1, yj)] + ([(P - 1, borrow)] if borrow is not None else [])
        diff_plain = b.linear_combination(terms)
        out = b.hint(lambda v: 1 if v >= P // 2 else 0, [diff_plain], 1)[0]
        b.assert_bool(out)
        d = b.arithmetic(1 << HALF_BITS, 1, out, b.one(), diff_plain)
        b.range_check(d, HALF_BITS)
        borrow = out
    return borrow


def is_zero_key(b, limbs: Sequence):
    acc = None
    for x in limbs:
        z = b.sub(b.one(), is_nonzero(b, x))
        acc = z if acc is None else b.mul(acc, z)
    return acc


def nullifier_leaf(b, key: Sequence, next_index, next_key: Sequence) -> list:
    return hash_elements(b, Tag.NULLIFIER_LEAF, list(key) + [next_index] + list(next_key))


def nullifier_insert(b, active, root_old: Sequence, size_old, nf: Sequence, low_key: Sequence, low_next_index,
                     low_next_key: Sequence, low_position, low_path: Sequence, new_path: Sequence,
                     depth: int) -> tuple[list, object]:
    """Insert nf (if active): the low leaf (low_key, low_next_index, low_next_key) at low_position
    is in the tree, low_key < key and (low_next_key = 0 or key < low_next_key); the low leaf
    becomes (low_key, size, key) and (key, low_next_index, low_next_key) is appended at size.
    Returns (root_new, size_new).  Positions are decomposed as active * position, so an inactive
    slot never needs a position inside the tree (a tree filled exactly by an earlier slot)."""
    key = nullifier_key(b, nf)
    low_bits = position_bits(b, b.mul(active, low_position), depth)
    new_bits = position_bits(b, b.mul(active, size_old), depth)
    low_leaf = nullifier_leaf(b, low_key, low_next_index, low_next_key)
    assert_enabled_equal(b, active, path_root(b, low_leaf, low_bits, low_path), root_old)
    # non-membership: low_key < key < low_next_key (or low is the last leaf)
    b.assert_zero(b.mul(active, b.sub(b.one(), less_than(b, low_key, key))))
    end = is_zero_key(b, low_next_key)
    below_next = less_than(b, key, low_next_key)
    ok = b.sub(b.add(end, below_next), b.mul(end, below_next))     # end OR below_next
    b.assert_zero(b.mul(active, b.sub(b.one(), ok)))
    updated = nullifier_leaf(b, low_key, size_old, key)
    mid = path_root(b, updated, low_bits, low_path)
    zero = [b.zero()] * 8
    assert_enabled_equal(b, active, path_root(b, zero, new_bits, new_path), mid)
    new_leaf = nullifier_leaf(b, key, low_next_index, low_next_key)
    new = path_root(b, new_leaf, new_bits, new_path)
    root_new = select_digest(b, active, new, root_old)
    size_new = b.add(size_old, active)
    return root_new, size_new
