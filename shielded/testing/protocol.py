"""Hypothesis strategies and witness builders for the protocol and the join-split circuit.

    from shielded.testing.protocol import joinsplit_cases, JoinSplitCase

* ``spending_keys()``, ``note_values()``, ``notes(owner, asset)``, ``addresses()``,
  ``encryption_keys()``: strategies.
* ``tree_states(depth, min_leaves, max_leaves)``: a NoteTree (with every node kept) of random
  leaves.
* ``joinsplit_cases(preset)``: valid join-split cases: random keys, a tree holding the real input
  notes among random leaves, 0-2 real inputs (dummies otherwise), 2 outputs, public amounts and a
  fee that balance, a public owner when needed.  Every random choice (dummies included) is drawn
  from hypothesis, so derandomised runs and replayed failures are reproducible.
* ``JoinSplitCase``: all the plain data of one join-split.  ``public_inputs()`` and
  ``assignment(system)`` give what the honest prover would use; ``replace(...)`` /
  ``with_public(name, value)`` derive a variant with one thing changed, which is how tests build
  the invalid witnesses the honest builder refuses to produce.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Sequence

from hypothesis import strategies as st

from circuits.gadgets.arith import address_limbs, u64_limbs
from circuits.joinsplit import InputWitness, OutputWitness, PI_OFFSETS, assignment
from shielded.field.koalabear import P
from shielded.protocol.address import is_low_order_x25519
from shielded.protocol.keys import SpendingKey
from shielded.protocol.note import Note, derive_nullifier, note_commitment, note_leaf
from shielded.protocol.transaction import ciphertext_hash, public_inputs
from shielded.state.note_tree import NoteTree

U64_MAX = (1 << 64) - 1


def spending_keys():
    return st.binary(min_size=32, max_size=32).map(SpendingKey)


def addresses():
    return spending_keys().map(lambda k: k.address())


def encryption_keys():
    """32-byte X25519 public keys that an Address accepts (not low-order points)."""
    return st.binary(min_size=32, max_size=32).filter(lambda pk: not is_low_order_x25519(pk))


def rcms():
    return st.tuples(*(st.integers(0, P - 1) for _ in range(8)))


def note_values(max_value: int = U64_MAX):
    """Edge values (0, 1, limb boundaries, 2^64 - 1) and uniform ones."""
    edges = [v for v in (0, 1, 0xFFFF, 0x10000, 0xFFFFFFFF, P - 1, P, 1 << 63, U64_MAX) if v <= max_value]
    return st.one_of(st.sampled_from(edges), st.integers(0, max_value))


def notes(owner, asset: int = 0, max_value: int = U64_MAX):
    return st.builds(Note, st.just(asset), note_values(max_value), st.just(tuple(owner)), rcms())


def tree_states(depth: int, min_leaves: int = 0, max_leaves: int = 8):
    @st.composite
    def build(draw):
        tree = NoteTree(depth, keep_nodes=True)
        for _ in range(draw(st.integers(min_leaves, min(max_leaves, 1 << depth)))):
            tree.append(tuple(draw(st.integers(0, P - 1)) for _ in range(8)))
        return tree
    return build()


@dataclass(frozen=True)
class SpendData:
    key: SpendingKey
    note: Note
    position: int
    path: tuple


@dataclass(frozen=True)
class JoinSplitCase:
    """The plain data of one join-split; every field may be replaced to build a variant."""

    depth: int
    root: tuple
    spends: tuple[SpendData, SpendData]
    outputs: tuple[Note, Note]
    asset: int
    public_value_in: int
    public_value_out: int
    public_owner: int
    fee: int
    ct_hash: tuple = field(default=(0,) * 8)
    overrides: tuple = ()      # ((name, value), ...) public-input overrides, applied last

    def nullifiers(self) -> list:
        return [derive_nullifier(s.key.nk, note_commitment(s.note), s.position) for s in self.spends]

    def commitments(self) -> list:
        return [note_commitment(n) for n in self.outputs]

    def public_inputs(self) -> list[int]:
        pub = public_inputs(self.root, self.nullifiers(), self.commitments(), self.public_value_in,
                            self.public_value_out, self.asset, self.public_owner, self.fee, self.ct_hash)
        for name, value in self.overrides:
            start, length = PI_OFFSETS[name]
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            if len(values) != length:
                raise ValueError(f"public input {name} has {length} elements")
            pub[start:start + length] = values
        return pub

    def assignment(self, system) -> dict:
        ins = [InputWitness(s.key.ask, s.key.nk, u64_limbs(s.note.value), s.note.rcm, s.position, s.path)
               for s in self.spends]
        outs = [OutputWitness(n.owner, u64_limbs(n.value), n.rcm) for n in self.outputs]
        return assignment(system.js, self.public_inputs(), ins, outs)

    def replace(self, **kw) -> "JoinSplitCase":
        return dataclasses.replace(self, **kw)

    def with_public(self, name: str, value) -> "JoinSplitCase":
        """The same witness with one public input (by name, see circuits.joinsplit.PI_FIELDS)
        overridden."""
        return dataclasses.replace(self, overrides=self.overrides + ((name, value),))

    def balanced(self) -> bool:
        return (sum(s.note.value for s in self.spends) + self.public_value_in
                == sum(n.value for n in self.outputs) + self.public_value_out + self.fee)


def dummy_spend(asset: int, depth: int, key: SpendingKey, rcm, position: int) -> SpendData:
    """A zero-value input of ``key``: the note (asset, 0, owner, rcm) at ``position`` with an
    all-zero (fake) path, as build_transaction pads with."""
    return SpendData(key, Note(asset, 0, key.owner, tuple(rcm)), position, ((0,) * 8,) * depth)


def dummy_spends(asset: int, depth: int):
    """Strategy: dummy inputs whose key, rcm and position are all drawn by hypothesis (so a
    derandomised run, or a replayed failure, sees the same ones)."""
    return st.builds(dummy_spend, st.just(asset), st.just(depth), spending_keys(), rcms(),
                     st.integers(0, (1 << depth) - 1))


def joinsplit_cases(preset, max_value: int = U64_MAX, real_inputs=st.integers(0, 2)):
    """Valid join-split cases for ``preset`` (its tree depth)."""
    depth = preset.tree_depth

    @st.composite
    def build(draw):
        key = draw(spending_keys())
        asset = draw(st.integers(0, (1 << 30) - 1))
        n_real = draw(real_inputs)
        tree = draw(tree_states(depth, 0, 6))
        in_notes = [draw(notes(key.owner, asset, max_value)) for _ in range(n_real)]
        positions = []
        for n in in_notes:
            positions.append(tree.append(note_leaf(note_commitment(n))))
            for _ in range(draw(st.integers(0, 3))):
                if tree.size < (1 << depth):
                    tree.append(tuple(draw(st.integers(0, P - 1)) for _ in range(8)))
        spends = [SpendData(key, n, pos, tuple(tree.path(pos))) for n, pos in zip(in_notes, positions)]
        while len(spends) < 2:
            spends.append(draw(dummy_spends(asset, depth)))
        # the circuit requires nf_0 != nf_1: a dummy drawn equal to the other input (same key,
        # rcm and position: Hypothesis likes equal draws) moves to the next position
        nfs = [derive_nullifier(s.key.nk, note_commitment(s.note), s.position) for s in spends]
        if nfs[0] == nfs[1]:
            last = spends[1]
            spends[1] = dataclasses.replace(last, position=(last.position + 1) % (1 << depth))
        total_in_notes = sum(s.note.value for s in spends)
        public_in = draw(st.integers(0, U64_MAX if max_value == U64_MAX else max_value))
        total_in = total_in_notes + public_in
        # split total_in (< 3 * 2^64) into two outputs, public out and fee, each < 2^64: every
        # part leaves at most (parts still to draw) * (2^64 - 1) for the rest
        parts = []
        remaining = total_in
        for left_after in (3, 2, 1):
            lower = max(0, remaining - left_after * U64_MAX)
            part = draw(st.integers(lower, min(U64_MAX, remaining)))
            parts.append(part)
            remaining -= part
        parts.append(remaining)
        v0, v1, public_out, fee = parts
        owners = [draw(addresses()).owner for _ in range(2)]
        outs = [Note(asset, v, o, draw(rcms())) for v, o in zip((v0, v1), owners)]
        needs_owner = public_in > 0 or public_out > 0
        public_owner = draw(st.integers(1 if needs_owner else 0, (1 << 160) - 1))
        ct = tuple(draw(st.integers(0, P - 1)) for _ in range(8))
        return JoinSplitCase(depth, tree.root(), tuple(spends), tuple(outs), asset, public_in, public_out,
                             public_owner, fee, ct)
    return build()
