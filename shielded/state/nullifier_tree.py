"""The indexed nullifier tree (SPEC.md, Part III, "Nullifier tree").

A sorted linked list of nullifier keys stored in an append-only Merkle tree of depth d (32 in the
real preset), so that absence can be proven with one leaf: the "low leaf" whose key is below the
new key and whose successor is above it (or is the end of the list).

* key(nf): four 30-bit limbs, limb_j = nf_j mod 2^30 for j < 4 (nf_j < p < 2^31), read as the
  integer sum limb_j 2^(30 j).  Keys have about 120 bits of entropy; equal nullifiers always give
  equal keys.  The circuit extracts each limb with a canonical check (SPEC), so a nullifier has
  exactly one key there too.
* leaf = H(NULLIFIER_LEAF, key limbs || next_index || next key limbs); an unused position is the
  zero digest.  Leaf 0 is the sentinel (key 0, next 0, next key 0); next key 0 means "end".
* insert(key): low = the leaf with the largest key below ``key``; require low.next_key == 0 or
  key < low.next_key (so key is absent; key 0 can never be inserted).  Then low becomes
  (low.key, size, key) and the new leaf (key, low.next_index, low.next_key) is appended at
  position size; the low leaf is updated first, then the new leaf appended.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from shielded.errors import ShieldedError
from shielded.hash.sponge import Tag, compress, hash_elements
from shielded.state.note_tree import NoteTree, TreeFullError

from circuits.aggregation.layout import KEY_LIMB_BITS, KEY_LIMBS  # noqa: E402 (shared with the circuit)


class NullifierExists(ShieldedError):
    """The nullifier (its key) is already in the tree: a double spend."""


def nullifier_key(nf) -> tuple[int, ...]:
    return tuple(int(nf[j]) & ((1 << KEY_LIMB_BITS) - 1) for j in range(KEY_LIMBS))


def key_int(limbs) -> int:
    return sum(int(x) << (KEY_LIMB_BITS * j) for j, x in enumerate(limbs))


@dataclass(frozen=True)
class NullifierLeaf:
    key: tuple[int, ...]
    next_index: int
    next_key: tuple[int, ...]

    def digest(self) -> tuple[int, ...]:
        return hash_elements(Tag.NULLIFIER_LEAF, list(self.key) + [self.next_index] + list(self.next_key))


SENTINEL = NullifierLeaf((0,) * KEY_LIMBS, 0, (0,) * KEY_LIMBS)


@dataclass(frozen=True)
class InsertionWitness:
    """What the circuit needs to prove one insertion (all plain values)."""

    low_index: int
    low_leaf: NullifierLeaf
    low_path: list          # siblings of the low leaf before the update
    new_index: int
    new_path: list          # siblings of position new_index after the low leaf's update
    root_before: tuple
    root_after: tuple


class NullifierTree:
    def __init__(self, depth: int):
        self.depth = depth
        self.tree = NoteTree(depth, keep_nodes=True)
        self.leaves: list[NullifierLeaf] = []
        self._sorted: list[int] = []        # key integers, sorted
        self._index_of: dict[int, int] = {}
        self._append(SENTINEL)

    def _append(self, leaf: NullifierLeaf) -> int:
        pos = self.tree.append(leaf.digest())
        self.leaves.append(leaf)
        k = key_int(leaf.key)
        bisect.insort(self._sorted, k)
        self._index_of[k] = pos
        return pos

    def _set(self, index: int, leaf: NullifierLeaf) -> None:
        """Replace leaf ``index`` (rebuilds the affected path in the node store)."""
        self.leaves[index] = leaf
        nodes = self.tree.nodes
        node = leaf.digest()
        nodes[(0, index)] = node
        for h in range(self.depth):
            sib = self.tree._node(h, (index >> h) ^ 1)
            node = compress(sib, node) if (index >> h) & 1 else compress(node, sib)
            key = (h + 1, index >> (h + 1))
            if key in nodes:
                nodes[key] = node
        # the frontier holds complete left subtrees; refresh any that contain index
        for h in range(self.depth):
            f = self.tree.frontier[h]
            if f is not None and (self.tree.size >> h) & 1 and ((self.tree.size >> h) - 1) == (index >> h):
                self.tree.frontier[h] = self.tree._node(h, index >> h)
        if self.tree.size == 1 << self.depth:
            self.tree._full_root = self.tree._node(self.depth, 0)

    @property
    def size(self) -> int:
        return self.tree.size

    def root(self) -> tuple:
        return self.tree.root()

    def contains(self, nf) -> bool:
        return key_int(nullifier_key(nf)) in self._index_of

    def insert(self, nf) -> InsertionWitness:
        """Insert a nullifier; raises NullifierExists if its key is present."""
        key = nullifier_key(nf)
        k = key_int(key)
        if k in self._index_of:
            raise NullifierExists("nullifier already spent")
        if self.size >= 1 << self.depth:      # checked before anything changes
            raise TreeFullError(f"the nullifier tree of depth {self.depth} is full")
        i = bisect.bisect_left(self._sorted, k) - 1      # predecessor (the sentinel at worst)
        low_index = self._index_of[self._sorted[i]]
        low = self.leaves[low_index]
        root_before = self.root()
        low_path = self.tree.path(low_index)
        self._set(low_index, NullifierLeaf(low.key, self.size, key))
        new_index = self.size
        new_leaf = NullifierLeaf(key, low.next_index, low.next_key)
        # path of the (still empty) next position, after the low leaf's update
        self.tree.append(new_leaf.digest())
        new_path = self.tree.path(new_index)
        self.leaves.append(new_leaf)
        bisect.insort(self._sorted, k)
        self._index_of[k] = new_index
        return InsertionWitness(low_index, low, low_path, new_index, new_path, root_before, self.root())
