"""The append-only note tree (SPEC.md, Part II, "Note tree").

Depth d (32 in the real preset); leaves are note_leaf(cm); an empty leaf is the all-zero digest;
nodes are compress(left, right); EMPTY[h] is the root of an empty subtree of height h
(EMPTY[0] = 0^8, EMPTY[h+1] = compress(EMPTY[h], EMPTY[h])).

* ``NoteTree`` keeps the frontier (for each height, the last complete left subtree), which is all
  that appending and computing the root need; with ``keep_nodes`` it also stores every complete
  node, so the operator can serve any path (a wallet syncs the leaves or the frontier instead of
  asking for one path: that would reveal which note it spends).
* ``IncrementalWitness`` keeps the path of one of a wallet's own notes up to date as leaves are
  appended after it, in O(d) memory: the left siblings never change, the right siblings fill in
  order from the lowest level up, one partial subtree (the cursor) at a time.
* ``RootHistory`` is the window of recent roots a proof may use.
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache

from shielded.errors import ParameterError, ShieldedError
from shielded.hash.sponge import compress

ZERO_DIGEST = (0,) * 8


class TreeFullError(ShieldedError):
    """The note tree has no free leaf left."""


@lru_cache(maxsize=None)
def empty_roots(depth: int) -> tuple[tuple[int, ...], ...]:
    out = [ZERO_DIGEST]
    for _ in range(depth):
        out.append(compress(out[-1], out[-1]))
    return tuple(out)


class NoteTree:
    def __init__(self, depth: int, keep_nodes: bool = False):
        if not 0 <= depth <= 32:
            raise ParameterError(f"tree depth must be in [0, 32], got {depth}")
        self.depth = depth
        self.size = 0
        self.frontier: list = [None] * depth
        self.nodes: dict | None = {} if keep_nodes else None
        self._empty = empty_roots(depth)

    def append(self, leaf) -> int:
        """Append a leaf digest; returns its position."""
        if self.size >= (1 << self.depth):
            raise TreeFullError(f"the note tree of depth {self.depth} is full")
        pos = self.size
        node = tuple(int(x) for x in leaf)
        if self.nodes is not None:
            self.nodes[(0, pos)] = node
        for h in range(self.depth):
            if not (pos >> h) & 1:
                self.frontier[h] = node
                break
            node = compress(self.frontier[h], node)
            if self.nodes is not None:
                self.nodes[(h + 1, pos >> (h + 1))] = node
        else:
            self._full_root = node   # the last leaf completed the whole tree
        self.size += 1
        return pos

    def root(self) -> tuple[int, ...]:
        if self.size == 1 << self.depth:
            return self._full_root
        cur = self._empty[0]
        for h in range(self.depth):
            if (self.size >> h) & 1:
                cur = compress(self.frontier[h], cur)
            else:
                cur = compress(cur, self._empty[h])
        return cur

    def _node(self, level: int, index: int):
        if index << level >= self.size:
            return self._empty[level]
        if (index + 1) << level <= self.size:
            return self.nodes[(level, index)]
        return compress(self._node(level - 1, 2 * index), self._node(level - 1, 2 * index + 1))

    def path(self, position: int) -> list:
        """Siblings of a leaf from the bottom up (needs keep_nodes=True)."""
        if self.nodes is None:
            raise ParameterError("this tree keeps only its frontier; build it with keep_nodes=True")
        if not 0 <= position < self.size:
            raise ParameterError(f"position {position} is not in the tree (size {self.size})")
        return [self._node(h, (position >> h) ^ 1) for h in range(self.depth)]

    def witness(self, position: int) -> "IncrementalWitness":
        """A witness for the leaf just appended at ``position`` (= size - 1)."""
        if position != self.size - 1:
            raise ParameterError("a witness starts right after its leaf is appended")
        return IncrementalWitness(self, position)


class IncrementalWitness:
    def __init__(self, tree: NoteTree, position: int):
        self.depth = tree.depth
        self.position = position
        self.left = {h: tree.frontier[h] for h in range(tree.depth) if (position >> h) & 1}
        self.right_levels = [h for h in range(tree.depth) if not (position >> h) & 1]
        self.filled: list = []
        self.cursor: NoteTree | None = None
        self._empty = empty_roots(tree.depth)

    def append(self, leaf) -> None:
        """Account for a leaf appended to the tree after this witness's leaf."""
        k = len(self.filled)
        if k >= len(self.right_levels):
            raise TreeFullError("no leaf can follow: the tree is full")
        h = self.right_levels[k]
        if h == 0:
            self.filled.append(tuple(int(x) for x in leaf))
            return
        if self.cursor is None:
            self.cursor = NoteTree(h)
        self.cursor.append(leaf)
        if self.cursor.size == 1 << h:
            self.filled.append(self.cursor.root())
            self.cursor = None

    def path(self) -> list:
        out = []
        for h in range(self.depth):
            if (self.position >> h) & 1:
                out.append(self.left[h])
                continue
            k = self.right_levels.index(h)
            if k < len(self.filled):
                out.append(self.filled[k])
            elif k == len(self.filled) and self.cursor is not None:
                out.append(self.cursor.root())
            else:
                out.append(self._empty[h])
        return out


class RootHistory:
    """The last ``window`` roots; a proof may use any of them."""

    def __init__(self, window: int, initial=None):
        if window < 1:
            raise ParameterError("the root window must hold at least one root")
        self.window = window
        self._roots: deque = deque(maxlen=window)
        if initial is not None:
            self.push(initial)

    def push(self, root) -> None:
        self._roots.append(tuple(root))

    def __contains__(self, root) -> bool:
        return tuple(root) in self._roots

    def latest(self):
        return self._roots[-1]
