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

Binding (SPEC.md, Part III, "Public data"): the anchor list is a public input of the final
proof, taken by the L1 from the calldata header.  The records are bound by a fingerprint over
F_q, q = 2^127 - 1 (the EVM evaluates it with one MULMOD per 16 bytes): the record elements, in
order, are packed four at a time into coefficients c_j = the 16 bytes of e_4j .. e_4j+3 as
calldata carries them, read as a big-endian integer (e_4j 2^96 + e_4j+1 2^64 + e_4j+2 2^32 +
e_4j+3 < q), and

    F(rho) = rho^m + sum_j c_j rho^(m-1-j)      over the m = 14 n coefficients of n records

which is Horner's rule from 1 over the coefficients in calldata order (the rho^m term fixes the
length: appending zero records changes F).  The aggregation circuits hash the records they
process into a chain/tree digest D (``records_step`` in leaves, a 2-to-1 compression in merges);
the final proof exposes D, rho and F.  The L1 contract derives rho = keccak256(seed) mod q from
the old roots, D and the calldata, and recomputes F from calldata.  D commits the processed
records before rho exists, so if the calldata's records differ from them, F(rho) agrees with
probability at most m / q per attempt; without D in the challenge the operator would know rho
before choosing its own transactions and could solve for a colliding fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from circuits.gadgets.arith import address_limbs, u64_limbs
from circuits.gadgets.fq import Q as FINGERPRINT_MODULUS
from shielded.errors import EncodingError
from shielded.field.koalabear import P
from shielded.hash.keccak import keccak256
from shielded.hash.sponge import Tag, hash_elements
from shielded.protocol.encoding import Digest, check_digest, digest_from_bytes, digest_to_bytes

from circuits.aggregation.layout import (ANCHORS_LEN, HEADER_ELEMENTS, HEADER_WORDS, MAX_ANCHORS,  # noqa: F401
                                         PACK, RECORD_COEFFS, RECORD_ELEMENTS, RECORD_WORDS, WORD)
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


def _padded_anchors(anchors: Sequence[Digest]) -> list[int]:
    """The elements of the anchors padded to MAX_ANCHORS with zero digests (32 elements)."""
    if len(anchors) > MAX_ANCHORS:
        raise EncodingError(f"a batch uses at most {MAX_ANCHORS} distinct anchor roots")
    padded = list(anchors) + [(0,) * 8] * (MAX_ANCHORS - len(anchors))
    return [int(x) for d in padded for x in d]


def anchors_digest(anchors: Sequence[Digest]) -> Digest:
    """H(ANCHORS, count || anchors padded to 4 with zero digests)."""
    return hash_elements(Tag.ANCHORS, [len(anchors)] + _padded_anchors(anchors))


def anchors_values(anchors: Sequence[Digest]) -> list[int]:
    """count || anchors padded to MAX_ANCHORS with zero digests (ANCHORS_LEN elements): the
    anchors public input of the final proof, and what ``anchors_digest`` hashes."""
    if not 1 <= len(anchors) <= MAX_ANCHORS:
        raise EncodingError(f"a batch uses 1 to {MAX_ANCHORS} distinct anchor roots, got {len(anchors)}")
    return [len(anchors)] + _padded_anchors(anchors)


def header_elements(anchors: Sequence[Digest]) -> list[int]:
    """Header word 0 (count, then seven zeros) and the four padded anchor words."""
    return [len(anchors)] + [0] * 7 + _padded_anchors(anchors)


@dataclass
class BatchPublicData:
    anchors: list
    records: list = field(default_factory=list)

    def elements(self) -> list[int]:
        """Header then records: every element the calldata carries, in calldata order."""
        return header_elements(self.anchors) + self.record_elements()

    def record_elements(self) -> list[int]:
        """The records' elements in batch order: what the fingerprint covers."""
        return [e for r in self.records for e in r.elements()]

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


def pack_coefficients(elements: Sequence[int]) -> list[int]:
    """Consecutive groups of four elements as integers c_j = e_4j 2^96 + e_4j+1 2^64 + e_4j+2 2^32
    + e_4j+3: their 16 calldata bytes read big-endian (each < 2^127 - 1 = q, since e < p < 2^31,
    so distinct groups give distinct residues).  The length must be a multiple of 4."""
    if len(elements) % PACK:
        raise EncodingError(f"fingerprinted data is a multiple of {PACK} elements, got {len(elements)}")
    return [(int(elements[i]) << 96) | (int(elements[i + 1]) << 64) | (int(elements[i + 2]) << 32)
            | int(elements[i + 3]) for i in range(0, len(elements), PACK)]


def _horner(start: int, elements: Sequence[int], rho: int) -> int:
    acc = start
    for c in pack_coefficients(elements):
        acc = (acc * rho + c) % FINGERPRINT_MODULUS
    return acc


def fingerprint(elements: Sequence[int], rho: int) -> int:
    """sum_j c_j rho^(k-1-j) mod q over the k packed coefficients (Horner from 0): the partial
    fingerprint a node carries for its share of the records."""
    return _horner(0, elements, rho)


def batch_fingerprint(record_elements: Sequence[int], rho: int) -> int:
    """rho^m + sum_j c_j rho^(m-1-j) mod q over the m packed coefficients of a whole batch's
    records (Horner from 1, in calldata order: what the L1 recomputes)."""
    return _horner(1, record_elements, rho)


RECORDS_START: Digest = (0,) * 8


def records_step(digest: Digest, record_elements: Sequence[int]) -> Digest:
    """One step of a leaf chain's records digest: H(BATCH_RECORDS, digest || record)."""
    return hash_elements(Tag.BATCH_RECORDS, list(digest) + list(record_elements))


def batch_challenge(old_note_root, old_nf_root, calldata: bytes, records_digest: Digest) -> int:
    """rho = keccak256("shielded/batch" || roots || records digest || calldata) as a 256-bit
    big-endian integer, mod q = 2^127 - 1 (bias below 2^-128; what the L1 contract computes)."""
    seed = (b"shielded/batch" + digest_to_bytes(old_note_root) + digest_to_bytes(old_nf_root)
            + digest_to_bytes(records_digest) + calldata)
    return int.from_bytes(keccak256(seed), "big") % FINGERPRINT_MODULUS
