"""A batch's public data and its fingerprint (SPEC.md, Part III, "Public data").

The data is a sequence of field elements in 32-byte words (8 elements of 4 bytes each):

    header (5 words): [number of anchors, 0 x 7], anchor_0, anchor_1, anchor_2, anchor_3
                      (unused anchors are zero)
    per transaction (7 words):
        nf_0, nf_1, cm_0, cm_1,
        [anchor index, asset, fee limbs 0..3, 0, 0],
        [public_in limbs 0..3, public_out limbs 0..3],
        [public owner limbs 0..7]

Calldata carries the same words, except that a transaction whose last two words are zero (no
deposit or withdrawal) omits them; one flag byte per transaction says which.

Binding (SPEC.md, Part III, "Public data"): the aggregation circuits hash the records they
process into a chain/tree digest D (``records_step`` in leaves, a 2-to-1 compression in merges)
and compute the batch fingerprint

    F(r) = sum_i e_i r^i + r^n        over the n elements e_i in order, r in E = F_p^4

(the trailing r^n fixes the length: appending zero elements changes F).  The final proof exposes
D, r and F.  The L1 contract derives r = keccak-challenge(old roots || calldata || D) and
recomputes F from calldata.  D commits the processed data before r exists, so if the calldata
differs from it, F(r) agrees with probability at most (number of elements + 1) / |E| per attempt;
without D in the challenge the operator would know r before choosing its own transactions and
could solve for a colliding fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from circuits.gadgets.arith import address_limbs, u64_limbs
from shielded.errors import EncodingError
from shielded.field.ext import Ext
from shielded.field.koalabear import P
from shielded.hash.keccak import keccak256
from shielded.hash.sponge import Tag, hash_elements
from shielded.protocol.encoding import Digest, check_digest, digest_from_bytes, digest_to_bytes

from circuits.aggregation.layout import (HEADER_ELEMENTS, HEADER_WORDS, MAX_ANCHORS, RECORD_ELEMENTS,  # noqa: F401
                                         RECORD_WORDS, WORD)
BATCH_MAGIC = b"SHBD"
BATCH_VERSION = 1


@dataclass(frozen=True)
class TxRecord:
    anchor_index: int
    nullifiers: tuple
    commitments: tuple
    asset: int
    fee: int
    public_value_in: int = 0
    public_value_out: int = 0
    public_owner: int = 0

    def elements(self) -> list[int]:
        out = []
        for d in self.nullifiers + self.commitments:
            out += list(d)
        out += [self.anchor_index, self.asset] + u64_limbs(self.fee) + [0, 0]
        out += u64_limbs(self.public_value_in) + u64_limbs(self.public_value_out)
        out += address_limbs(self.public_owner)
        assert len(out) == RECORD_ELEMENTS
        return out

    @property
    def has_public_amounts(self) -> bool:
        return bool(self.public_value_in or self.public_value_out or self.public_owner)


def anchors_digest(anchors: Sequence[Digest]) -> Digest:
    """H(ANCHORS, count || anchors padded to 4 with zero digests)."""
    padded = list(anchors) + [(0,) * 8] * (MAX_ANCHORS - len(anchors))
    return hash_elements(Tag.ANCHORS, [len(anchors)] + [x for d in padded for x in d])


def header_elements(anchors: Sequence[Digest]) -> list[int]:
    if len(anchors) > MAX_ANCHORS:
        raise EncodingError(f"a batch uses at most {MAX_ANCHORS} distinct anchor roots")
    padded = list(anchors) + [(0,) * 8] * (MAX_ANCHORS - len(anchors))
    return [len(anchors)] + [0] * 7 + [x for d in padded for x in d]


@dataclass
class BatchPublicData:
    anchors: list
    records: list = field(default_factory=list)

    def elements(self) -> list[int]:
        out = header_elements(self.anchors)
        for r in self.records:
            out += r.elements()
        return out

    def to_calldata(self) -> bytes:
        """Header words, then per transaction a flag byte and its 5 or 7 words."""
        out = bytearray(BATCH_MAGIC + bytes([BATCH_VERSION]) + len(self.records).to_bytes(2, "big"))
        h = header_elements(self.anchors)
        out += b"".join(x.to_bytes(4, "big") for x in h)
        for r in self.records:
            els = r.elements()
            full = r.has_public_amounts
            out.append(1 if full else 0)
            words = RECORD_WORDS if full else RECORD_WORDS - 2
            out += b"".join(x.to_bytes(4, "big") for x in els[:words * WORD])
        return bytes(out)

    @classmethod
    def from_calldata(cls, data: bytes) -> "BatchPublicData":
        from shielded.protocol.transaction import U64
        if len(data) < 7 or data[:4] != BATCH_MAGIC or data[4] != BATCH_VERSION:
            raise EncodingError("batch data: bad magic or version")
        n = int.from_bytes(data[5:7], "big")
        pos = 7

        def take_elements(count):
            nonlocal pos
            if pos + 4 * count > len(data):
                raise EncodingError("batch data: truncated")
            els = [int.from_bytes(data[pos + 4 * i:pos + 4 * i + 4], "big") for i in range(count)]
            pos += 4 * count
            if any(e >= P for e in els):
                raise EncodingError("batch data: element >= p")
            return els

        h = take_elements(HEADER_ELEMENTS)
        k = h[0]
        if k > MAX_ANCHORS or any(h[1:8]):
            raise EncodingError("batch data: bad header")
        if n == 0 or k == 0:
            raise EncodingError("batch data: a batch has at least one transaction and one anchor")
        anchors = [tuple(h[8 + 8 * i:16 + 8 * i]) for i in range(k)]
        if any(h[8 + 8 * k:]):
            raise EncodingError("batch data: unused anchors must be zero")
        records = []
        for _ in range(n):
            if pos >= len(data):
                raise EncodingError("batch data: truncated")
            flag = data[pos]
            pos += 1
            if flag > 1:
                raise EncodingError("batch data: bad record flag")
            els = take_elements((RECORD_WORDS if flag else RECORD_WORDS - 2) * WORD)
            els += [0] * (RECORD_ELEMENTS - len(els))
            digests = [tuple(els[8 * i:8 * i + 8]) for i in range(4)]
            meta, amounts, owner = els[32:40], els[40:48], els[48:56]
            if any(meta[6:]) or any(x >> 16 for x in meta[2:6] + amounts) or any(x >> 20 for x in owner):
                raise EncodingError("batch data: malformed record")
            if meta[0] >= k:
                raise EncodingError("batch data: anchor index out of range")
            limbs = lambda xs, bits: sum(x << (bits * i) for i, x in enumerate(xs))  # noqa: E731
            rec = TxRecord(meta[0], (digests[0], digests[1]), (digests[2], digests[3]), meta[1],
                           limbs(meta[2:6], 16), limbs(amounts[:4], 16), limbs(amounts[4:], 16), limbs(owner, 20))
            if flag != rec.has_public_amounts:
                raise EncodingError("batch data: record flag does not match its contents")
            records.append(rec)
        if pos != len(data):
            raise EncodingError("batch data: trailing bytes")
        return cls(anchors, records)


def fingerprint(elements: Sequence[int], r: Ext) -> Ext:
    """sum_i e_i r^i: the partial fingerprint a node carries for its share of the records."""
    acc = Ext()
    for e in reversed(elements):
        acc = acc * r + e
    return acc


def batch_fingerprint(elements: Sequence[int], r: Ext) -> Ext:
    """sum_i e_i r^i + r^n for a whole batch of n elements (what L1 recomputes from calldata)."""
    acc = Ext(1)
    for e in reversed(elements):
        acc = acc * r + e
    return acc


RECORDS_START: Digest = (0,) * 8


def records_step(digest: Digest, record_elements: Sequence[int]) -> Digest:
    """One step of a leaf chain's records digest: H(BATCH_RECORDS, digest || record)."""
    return hash_elements(Tag.BATCH_RECORDS, list(digest) + list(record_elements))


def batch_challenge(old_note_root, old_nf_root, calldata: bytes, records_digest: Digest) -> Ext:
    """r: h = keccak256("shielded/batch" || roots || records digest || calldata), then component i
    = keccak256(h || i) mod p as a 256-bit big-endian value, i < 4 (what the L1 contract computes)."""
    seed = (b"shielded/batch" + digest_to_bytes(old_note_root) + digest_to_bytes(old_nf_root)
            + digest_to_bytes(records_digest) + calldata)
    h = keccak256(seed)
    return Ext(*(int.from_bytes(keccak256(h + bytes([i])), "big") % P for i in range(4)))
