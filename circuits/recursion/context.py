"""The in-circuit verifier context (twin of shielded.commit.context.NativeContext).

Every operation the generic verifier performs becomes constraints: lanes are per-query lists of
circuit values; query indices are the low bits of a canonical 31-bit decomposition of squeezed
elements; a Merkle opening is the full path from the leaf to the root of the cap (the cap's own
tree is hashed once per commitment, the proof's cap is what the transcript absorbs); sums of
powers of a challenge use the reducing gate.  The proof's values are circuit inputs
(``ProofTargets``), assigned from a native proof by ``assign_proof``.
"""

from __future__ import annotations

from typing import Sequence

from circuits.gadgets.hashing import compress, hash_elements
from circuits.recursion.transcript import CircuitTranscript
from circuits.recursion.values import BaseV, ExtV
from shielded.commit.merkle import effective_cap_height
from shielded.errors import CircuitError
from shielded.field.ext import Ext
from shielded.field.koalabear import P, inv, two_adic_generator
from shielded.hash.sponge import Tag


class CLanes:
    """One circuit value (BaseV or ExtV) per query, with element-wise arithmetic."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)

    def __len__(self):
        return len(self.items)

    def _pair(self, o):
        if isinstance(o, CLanes):
            return o.items
        return [o] * len(self.items)

    def __add__(self, o):
        return CLanes(a + b for a, b in zip(self.items, self._pair(o)))

    __radd__ = __add__

    def __sub__(self, o):
        return CLanes(a - b for a, b in zip(self.items, self._pair(o)))

    def __rsub__(self, o):
        return CLanes(b - a for a, b in zip(self.items, self._pair(o)))

    def __mul__(self, o):
        return CLanes(a * b for a, b in zip(self.items, self._pair(o)))

    __rmul__ = __mul__

    def mul_add(self, m, c) -> "CLanes":
        return CLanes(x.mul_add(mm, cc) for x, mm, cc in zip(self.items, self._pair(m), self._pair(c)))

    def lincomb(self, k1: int, o, k2: int) -> "CLanes":
        return CLanes(x.lincomb(k1, oo, k2) for x, oo in zip(self.items, self._pair(o)))


class CIndex:
    """Query indices as little-endian bit vars (per lane), into a domain of 2^log_size points."""

    def __init__(self, bits_per_lane, log_size: int):
        self.bits = [list(bits) for bits in bits_per_lane]
        self.log_size = log_size
        self.values_hint = None

    def low(self, nbits: int) -> "CIndex":
        return CIndex([bits[:nbits] for bits in self.bits], nbits)

    def high(self, nbits: int) -> "CIndex":
        return CIndex([bits[nbits:] for bits in self.bits], self.log_size - nbits)


def canonical_bits(b, x, nbits: int = 31) -> list:
    """The 31 little-endian bits of x with the canonical check (the 31-bit integer is < p):
    if the top 7 bits are all one then the low 24 bits are zero, so each x has one decomposition."""
    bits = b.split_bits(x, nbits)
    top = b.linear_combination([(1, t) for t in bits[24:]])          # number of top bits set
    all_ones = b.sub(b.one(), _is_nonzero(b, b.add_const(top, P - 7)))  # 1 iff top == 7
    low = b.linear_combination([(1 << i, t) for i, t in enumerate(bits[:24])])
    b.assert_zero(b.mul(all_ones, low))
    return bits


def _is_nonzero(b, x):
    from circuits.gadgets.arith import is_nonzero
    return is_nonzero(b, x)


class CircuitContext:
    """``dynamic_cap``: the verified proof's preprocessed cap as circuit values (a list of
    digests) instead of the key's constants; the circuit digest is then recomputed in-circuit
    as H(CIRCUIT_DIGEST, shape digest || cap), so one circuit can verify proofs of any key of
    the given shape (the caller constrains which keys are allowed via ``digest``)."""

    def __init__(self, b, dynamic_cap=None):
        self.b = b
        self.transcript = CircuitTranscript(b)
        self._cap_roots: dict = {}
        self.dynamic_cap = dynamic_cap
        self.digest = None

    # -- proof data ------------------------------------------------------------------------
    def absorb_cap(self, t, cap) -> None:
        for d in cap:
            t.absorb_digest(d)

    def ext_values(self, values) -> list:
        return list(values)

    def components(self, e: ExtV):
        return e.components()

    def preprocessed_cap(self, vk):
        if self.dynamic_cap is not None:
            return self.dynamic_cap
        return [[BaseV.constant(self.b, int(x)) for x in d] for d in vk.preprocessed_cap]

    def circuit_digest(self, vk):
        if self.dynamic_cap is None:
            self.digest = [BaseV.constant(self.b, int(x)) for x in vk.digest]
        else:
            elems = [self.b.constant(int(x)) for x in vk.shape_digest]
            elems += [x.v() if isinstance(x, BaseV) else x for d in self.dynamic_cap for x in d]
            self.digest = [BaseV(self.b, v) for v in hash_elements(self.b, Tag.CIRCUIT_DIGEST, elems)]
        return self.digest

    def check_pcs_shapes(self, *args) -> None:
        """In a circuit the proof has its shape by construction."""

    # -- checks ------------------------------------------------------------------------------
    def assert_nonzero(self, x: ExtV, what: str) -> None:
        x.inverse()

    def check_pow(self, t, nonce, bits: int) -> None:
        t.check_pow(nonce, bits)

    def _assert_eq_one(self, a, c) -> None:
        b = self.b
        if isinstance(a, ExtV) or isinstance(c, ExtV):
            a = a if isinstance(a, ExtV) else ExtV.constant(b, a) if not isinstance(a, BaseV) else ExtV.from_base(a)
            c = c if isinstance(c, ExtV) else ExtV.constant(b, c) if not isinstance(c, BaseV) else ExtV.from_base(c)
            for x, y in zip(a.v(), c.v()):
                b.assert_equal(x, y)
        else:
            b.assert_equal(a.v(), c.v())

    def assert_eq(self, a, c, what: str) -> None:
        if isinstance(a, CLanes) or isinstance(c, CLanes):
            la = a.items if isinstance(a, CLanes) else [a] * len(c)
            lc = c.items if isinstance(c, CLanes) else [c] * len(a)
            for x, y in zip(la, lc):
                self._assert_eq_one(x, y)
        else:
            self._assert_eq_one(a, c)

    # -- queries ---------------------------------------------------------------------------
    def query_indices(self, t, count: int, log_size: int) -> CIndex:
        lanes = []
        for _ in range(count):
            e = t.squeeze_base()
            lanes.append(canonical_bits(self.b, e.v())[:log_size])
        return CIndex(lanes, log_size)

    def _cap_root(self, cap):
        key = id(cap)
        if key not in self._cap_roots:
            level = [[x.v() if isinstance(x, BaseV) else x for x in d] for d in cap]
            while len(level) > 1:
                level = [compress(self.b, level[i], level[i + 1]) for i in range(0, len(level), 2)]
            self._cap_roots[key] = (cap, level[0])
        return self._cap_roots[key][1]

    def open_rows(self, config, cap, log_leaves: int, idx: CIndex, opening, width: int, what: str):
        """For each lane: hash the opened row (with its salt), walk the full path with the index
        bits as directions, and require the root of the cap."""
        b = self.b
        root = self._cap_root(cap)
        rows = opening.rows
        if len(rows) != len(idx.bits):
            raise CircuitError(f"{what}: one row per query expected")
        for q, bits in enumerate(idx.bits):
            if len(rows[q]) != width or len(bits) != log_leaves:
                raise CircuitError(f"{what}: row width or path length mismatch")
            node = hash_elements(b, Tag.MERKLE_LEAF, [x.v() for x in rows[q]])
            for level, (bit, sib) in enumerate(zip(bits, opening.paths[q])):
                node = compress(b, node, [s.v() for s in sib], swap=bit)
            for x, y in zip(node, root):
                b.assert_equal(x, y)
        return rows

    def domain_points(self, idx: CIndex, log_size: int, shift: int, inverse: bool = False) -> CLanes:
        """shift * w^idx (or its inverse), w a primitive 2^log_size-th root: a product over the
        index bits of (1 + bit (w^(2^i) - 1))."""
        b = self.b
        w = two_adic_generator(log_size)
        if inverse:
            w, shift = inv(w), inv(shift)
        out = []
        for bits in idx.bits:
            acc = BaseV.constant(b, shift % P)
            wp = w
            for bit in bits:
                factor = BaseV(b, b.linear_combination([((wp - 1) % P, bit)], 1))
                acc = acc * factor
                wp = wp * wp % P
            out.append(acc)
        return CLanes(out)

    def select(self, values: Sequence[CLanes], pos: CIndex) -> CLanes:
        """values[pos] per lane, by a tree of selects over the position bits."""
        b = self.b
        out = []
        for q, bits in enumerate(pos.bits):
            level = [v.items[q] for v in values]
            for bit in bits:
                bitv = BaseV(b, bit)
                level = [level[2 * i] + (level[2 * i + 1] - level[2 * i]) * bitv for i in range(len(level) // 2)]
            out.append(level[0])
        return CLanes(out)

    def ext_column(self, rows, start: int) -> CLanes:
        return CLanes(ExtV.from_vars(self.b, [x.v() for x in row[start:start + 4]]) for row in rows)

    # -- sums of powers ----------------------------------------------------------------------
    def _pow(self, alpha: ExtV, e: int) -> ExtV:
        from shielded.proof.verifier import ext_pow
        return ext_pow(alpha, e) if e else ExtV.constant(self.b, 1)

    def reduce_powers(self, rows, columns, alpha: ExtV, e0: int) -> CLanes:
        """sum_k alpha^(e0 + k) rows[q][columns[k]] per lane, with reducing gates (Horner over
        the columns in reverse order) and one multiplication by alpha^e0."""
        b = self.b
        scale = self._pow(alpha, e0)
        out = []
        for row in rows:
            acc = ExtV.from_vars(b, b.reduce_horner(alpha.v(), [row[c].v() for c in reversed(columns)]))
            out.append(acc * scale)
        return CLanes(out)

    def combine_powers(self, values, alpha: ExtV, e0: int) -> ExtV:
        acc = None
        for v in reversed(values):
            acc = v if acc is None else acc.mul_add(alpha, v)
        return acc * self._pow(alpha, e0)

    def horner(self, coeffs, x: CLanes) -> CLanes:
        out = []
        for xq in x.items:
            acc = None
            for c in reversed(coeffs):
                acc = c if acc is None else acc.mul_add(ExtV.from_base(xq), c)
            out.append(acc)
        return CLanes(out)

    def inverse(self, a):
        if isinstance(a, CLanes):
            return CLanes(x.inverse() for x in a.items)
        return a.inverse()

    def combine_constraints(self, vk, inputs, alpha):
        from shielded.proof.verifier import combine_constraints_generic
        return combine_constraints_generic(vk, inputs, alpha)
