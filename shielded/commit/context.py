"""The arithmetic context the verifier is written against (DESIGN.md: one verifier, several
backends).

The verifier (FRI here, the PLONKish IOP in ``shielded.proof.verifier``) never touches numbers
directly.  It works with

* scalars: base elements and extension elements (``Ext`` natively) with + - * /;
* lanes: one value per FRI query, with the same operators (``BaseLanes``, ``ExtLanes``);
* query indices (``IndexLanes``) from which it derives domain points and coset positions;
* a transcript, Merkle-opening checks and ``assert_eq``.

``NativeContext`` runs all of this on numbers (lanes are numpy arrays, so the query phase is
vectorised); it raises ``VerificationError`` at the first failed check.  An in-circuit context
(recursion) provides the same operations on circuit wires, and an emitter can record them as L1
code.  The verifier's control flow depends only on the verifying key and configuration, never
on proof values, so every backend sees the same sequence of operations.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from shielded.errors import VerificationError
from shielded.field import vec
from shielded.field.ext import Ext
from shielded.field.koalabear import P, inv, two_adic_generator
from shielded.poly.evaluate import combine_rows


def _tile_ext(e: Ext, n: int) -> np.ndarray:
    return np.tile(np.array(e.c, np.uint32), (n, 1))


class BaseLanes:
    """One base-field element per query (native: a uint32 array)."""

    __slots__ = ("v",)

    def __init__(self, v: np.ndarray):
        self.v = np.ascontiguousarray(v, dtype=np.uint32)

    def __len__(self) -> int:
        return self.v.shape[0]

    def _other(self, o):
        if isinstance(o, BaseLanes):
            return o.v
        if isinstance(o, int):
            return np.full(self.v.shape[0], o % P, np.uint32)
        return None

    def __mul__(self, o):
        if isinstance(o, ExtLanes):
            return o * self
        if isinstance(o, Ext):
            return ExtLanes.from_base(self) * o
        ov = self._other(o)
        if ov is None:
            return NotImplemented
        return BaseLanes(vec.mul(self.v, ov))

    __rmul__ = __mul__

    def __add__(self, o):
        if isinstance(o, (ExtLanes, Ext)):
            return o + self
        ov = self._other(o)
        if ov is None:
            return NotImplemented
        return BaseLanes(vec.add(self.v, ov))

    __radd__ = __add__

    def __sub__(self, o):
        if isinstance(o, (ExtLanes, Ext)):
            return ExtLanes.from_base(self) - o
        ov = self._other(o)
        if ov is None:
            return NotImplemented
        return BaseLanes(vec.sub(self.v, ov))

    def __rsub__(self, o):
        if isinstance(o, Ext):
            return o - ExtLanes.from_base(self)
        ov = self._other(o)
        if ov is None:
            return NotImplemented
        return BaseLanes(vec.sub(ov, self.v))

    def square(self) -> "BaseLanes":
        return self * self


class ExtLanes:
    """One extension element per query (native: a (Q, 4) uint32 array)."""

    __slots__ = ("v",)

    def __init__(self, v: np.ndarray):
        self.v = np.ascontiguousarray(v, dtype=np.uint32)

    @classmethod
    def from_base(cls, b: BaseLanes) -> "ExtLanes":
        out = np.zeros((len(b), 4), np.uint32)
        out[:, 0] = b.v
        return cls(out)

    def __len__(self) -> int:
        return self.v.shape[0]

    def _as_ext_array(self, o):
        if isinstance(o, ExtLanes):
            return o.v
        if isinstance(o, Ext):
            return _tile_ext(o, self.v.shape[0])
        if isinstance(o, BaseLanes):
            return ExtLanes.from_base(o).v
        if isinstance(o, int):
            return _tile_ext(Ext(o), self.v.shape[0])
        return None

    def __add__(self, o):
        ov = self._as_ext_array(o)
        if ov is None:
            return NotImplemented
        return ExtLanes(vec.ext_add(self.v, ov))

    __radd__ = __add__

    def __sub__(self, o):
        ov = self._as_ext_array(o)
        if ov is None:
            return NotImplemented
        return ExtLanes(vec.ext_sub(self.v, ov))

    def __rsub__(self, o):
        ov = self._as_ext_array(o)
        if ov is None:
            return NotImplemented
        return ExtLanes(vec.ext_sub(ov, self.v))

    def __mul__(self, o):
        if isinstance(o, BaseLanes):
            return ExtLanes(vec.ext_scale_base(self.v, o.v))
        if isinstance(o, int):
            return ExtLanes(vec.ext_scale_base(self.v, np.full(len(self), o % P, np.uint32)))
        ov = self._as_ext_array(o)
        if ov is None:
            return NotImplemented
        return ExtLanes(vec.ext_mul(self.v, ov))

    __rmul__ = __mul__

    def inverse(self) -> "ExtLanes":
        try:
            return ExtLanes(vec.ext_batch_inverse(self.v))
        except ZeroDivisionError:
            raise VerificationError("division by zero at a query point") from None

    def __truediv__(self, o):
        if isinstance(o, ExtLanes):
            return self * o.inverse()
        return NotImplemented

    def lane(self, q: int) -> Ext:
        return Ext(*map(int, self.v[q]))


class IndexLanes:
    """Query indices into a domain of size 2^log_size (native: an int64 array)."""

    __slots__ = ("v", "log_size")

    def __init__(self, v: np.ndarray, log_size: int):
        self.v = np.asarray(v, dtype=np.int64)
        self.log_size = log_size

    def low(self, bits: int) -> "IndexLanes":
        """idx mod 2^bits: the index into a domain folded down to 2^bits points."""
        return IndexLanes(self.v & ((1 << bits) - 1), bits)

    def high(self, bits: int) -> "IndexLanes":
        """idx >> bits: with ``low(bits)``, splits an index into (leaf, position in coset)."""
        return IndexLanes(self.v >> bits, self.log_size - bits)

    def values(self) -> list[int]:
        return [int(x) for x in self.v]


def absorb_cap(transcript, cap: np.ndarray) -> None:
    """Absorb a Merkle cap: every digest in order (8 elements, or 32 bytes for Keccak)."""
    for d in cap:
        if transcript.kind == "keccak":
            transcript.absorb_digest(bytes(np.asarray(d, np.uint8)))
        else:
            transcript.absorb_digest([int(x) for x in d])


def check_siblings(hasher, siblings, what: str) -> None:
    """The sibling digests of a batch opening must be a (k, digest width) array of digest
    elements: canonical field elements for Poseidon2 (the compression refuses others with a
    ParameterError, which the native verifier must not leak), bytes for Keccak.  Raises
    VerificationError.  (A decoded proof satisfies this already; an in-memory one need not.)"""
    if not isinstance(siblings, np.ndarray) or siblings.ndim != 2 or siblings.shape[1] != hasher.digest_width:
        raise VerificationError(f"{what}: sibling digests have the wrong shape")
    if siblings.size == 0:
        return
    if siblings.dtype.kind not in "iu":
        raise VerificationError(f"{what}: sibling digests are not integers")
    bound = P if hasher.digest_dtype == np.uint32 else 256
    if int(siblings.min()) < 0 or int(siblings.max()) >= bound:
        raise VerificationError(f"{what}: a sibling digest element is not canonical")


class NativeContext:
    """Runs the verifier on numbers."""

    def __init__(self, transcript):
        self.transcript = transcript

    # -- proof data ------------------------------------------------------------------------
    def absorb_cap(self, t, cap) -> None:
        absorb_cap(t, cap)

    def ext_values(self, arr) -> list[Ext]:
        return [Ext(*map(int, row)) for row in arr]

    def components(self, e: Ext):
        return e.c

    def preprocessed_cap(self, vk):
        return vk.preprocessed_cap

    def circuit_digest(self, vk):
        return vk.digest

    def check_pcs_shapes(self, config, caps, widths, proof, log_degree) -> None:
        from shielded.commit.fri import check_pcs_shapes
        check_pcs_shapes(config, caps, widths, proof, log_degree)

    # -- checks ------------------------------------------------------------------------------
    def assert_nonzero(self, x, what: str) -> None:
        if x == 0:
            raise VerificationError(what)

    def check_pow(self, t, nonce, bits: int) -> None:
        if not t.check_pow(int(nonce), bits):
            raise VerificationError("FRI: proof of work")

    def query_indices(self, t, count: int, log_size: int) -> "IndexLanes":
        """Squeeze ``count`` elements; each query index is the low log_size bits."""
        mask = (1 << log_size) - 1
        return IndexLanes(np.array([t.squeeze_base() & mask for _ in range(count)]), log_size)

    def open_rows(self, config, cap, log_leaves: int, idx: "IndexLanes", opening, width: int,
                  what: str) -> np.ndarray:
        """Check a tree opening at the lanes' indices; return the opened rows per lane (Q, width)."""
        from shielded.commit.merkle import verify_batch
        hasher = config.hasher
        distinct = sorted(set(idx.values()))
        rows = opening.rows
        if rows.ndim != 2 or rows.shape != (len(distinct), width):
            raise VerificationError(f"{what}: expected {len(distinct)} leaves of width {width}")
        if rows.size and (rows.dtype.kind not in "iu" or int(rows.min()) < 0 or int(rows.max()) >= P):
            raise VerificationError(f"{what}: an opened value is not a canonical field element")
        check_siblings(hasher, opening.opening.siblings, what)
        digests = hasher.hash_rows(rows)
        ok = verify_batch(hasher, cap, log_leaves, distinct, {i: digests[k] for k, i in enumerate(distinct)},
                          opening.opening)
        self.assert_true(ok, f"{what}: Merkle opening does not match the commitment")
        where = {i: k for k, i in enumerate(distinct)}
        return rows[[where[i] for i in idx.values()]]

    # -- sums of powers ----------------------------------------------------------------------
    def reduce_powers(self, rows: np.ndarray, columns, alpha: Ext, e0: int) -> "ExtLanes":
        """sum_k alpha^(e0 + k) * rows[:, columns[k]] per lane."""
        coeffs = []
        a = alpha ** e0
        for _ in columns:
            coeffs.append(a)
            a = a * alpha
        return self.reduce_columns(rows, columns, coeffs)

    def combine_powers(self, values, alpha: Ext, e0: int) -> Ext:
        """sum_k alpha^(e0 + k) * values[k]."""
        acc = Ext()
        for v in reversed(values):
            acc = acc * alpha + v
        return acc * alpha ** e0

    # -- assertions ------------------------------------------------------------------------
    def assert_eq(self, a, b, what: str) -> None:
        if isinstance(a, ExtLanes) or isinstance(b, ExtLanes):
            av = a if isinstance(a, ExtLanes) else None
            diff = (a - b) if av is not None else (b - a)
            if diff.v.any():
                bad = int(np.nonzero(diff.v.any(axis=1))[0][0])
                raise VerificationError(f"{what} (query {bad})")
            return
        if a != b:
            raise VerificationError(what)

    def assert_true(self, ok: bool, what: str) -> None:
        if not ok:
            raise VerificationError(what)

    # -- lanes -----------------------------------------------------------------------------
    def domain_points(self, idx: IndexLanes, log_size: int, shift: int, inverse: bool = False) -> BaseLanes:
        """shift * w^idx (or its inverse) for w a primitive 2^log_size-th root of unity."""
        w = two_adic_generator(log_size)
        if inverse:
            w, shift = inv(w), inv(shift)
        return BaseLanes(np.array([shift * pow(w, int(i), P) % P for i in idx.v], np.uint32))

    def select(self, values: Sequence[ExtLanes], pos: IndexLanes) -> ExtLanes:
        """values[pos[q]] in lane q."""
        stack = np.stack([v.v for v in values])  # (k, Q, 4)
        return ExtLanes(stack[pos.v, np.arange(len(pos.v))])

    def reduce_columns(self, rows: np.ndarray, columns: Sequence[int], coeffs: Sequence[Ext]) -> ExtLanes:
        """sum_k coeffs[k] * rows[:, columns[k]] (rows: (Q, width) opened leaf values)."""
        if not columns:
            return ExtLanes(np.zeros((rows.shape[0], 4), np.uint32))
        mat = np.ascontiguousarray(rows[:, list(columns)].T)
        return ExtLanes(combine_rows(mat, vec.ext_to_array(list(coeffs))))

    def ext_column(self, rows: np.ndarray, start: int) -> ExtLanes:
        """Four consecutive columns of opened rows read as one extension element per lane."""
        return ExtLanes(rows[:, start:start + 4])

    def horner(self, coeffs: Sequence[Ext], x: BaseLanes) -> ExtLanes:
        acc = ExtLanes(np.zeros((len(x), 4), np.uint32))
        for c in reversed(coeffs):
            acc = acc * x + c
        return acc

    def inverse(self, a):
        if isinstance(a, ExtLanes):
            return a.inverse()
        try:
            return a.inverse()
        except ZeroDivisionError:
            raise VerificationError("division by zero") from None
