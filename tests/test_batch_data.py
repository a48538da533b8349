"""A batch's public data (shielded/protocol/batch.py): calldata encoding, fingerprint, challenge.

Calldata, as read from the module docstring and code:

    "SHBD" || version 1 || record count (2 bytes, big-endian)
    || header: 40 elements (4-byte big-endian words): count, 0 x 7, anchor_0..anchor_3 (unused = 0)
    || per record: flag byte (1: public amounts present), then 40 elements (flag 0) or 56 (flag 1):
       nf_0, nf_1, cm_0, cm_1, [anchor index, asset, fee limbs 0..3, 0, 0],
       [public_in limbs 0..3, public_out limbs 0..3], [public owner limbs 0..7]

The decoder accepts exactly the encoder's outputs: any other byte string raises EncodingError
(and no other exception).  The fingerprint packs the record elements four at a time into
coefficients c_j (their 16 big-endian calldata bytes as an integer) and is
F(rho) = rho^m + sum_j c_j rho^(m-1-j) mod q = 2^127 - 1 (checked against a naive sum of powers
written here); the challenge rho is keccak-derived
from both old roots, the records digest and the calldata (checked against a twin on
pycryptodome's Keccak).
"""

from __future__ import annotations

from Crypto.Hash import keccak as pycryptodome_keccak
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shielded.errors import EncodingError
from shielded.field.koalabear import P
from shielded.hash.sponge import Tag, hash_elements
from shielded.protocol.batch import (BATCH_MAGIC, BATCH_VERSION, MAX_ANCHORS, BatchPublicData, TxRecord,
                                     anchors_digest, anchors_values, batch_challenge, batch_fingerprint,
                                     fingerprint, header_elements, pack_coefficients)
from shielded.testing import field_elements

U64_MAX = (1 << 64) - 1
PREFIX = 7                      # magic, version, record count
HEADER_BYTES = 40 * 4
ZERO = (0,) * 8

# -- strategies --------------------------------------------------------------------------------

EDGE = st.sampled_from([0, 1, P - 1])
digests = st.tuples(*[EDGE | field_elements()] * 8)
u64s = st.sampled_from([0, 1, 0xFFFF, 1 << 16, U64_MAX]) | st.integers(0, U64_MAX)
addresses = st.sampled_from([0, 1, (1 << 160) - 1]) | st.integers(0, (1 << 160) - 1)


@st.composite
def records(draw, num_anchors: int):
    public = draw(st.booleans())
    return TxRecord(
        anchor_index=draw(st.integers(0, max(num_anchors, 1) - 1)),
        nullifiers=(draw(digests), draw(digests)),
        commitments=(draw(digests), draw(digests)),
        asset=draw(EDGE | field_elements()),
        fee=draw(u64s),
        public_value_in=draw(u64s) if public else 0,
        public_value_out=draw(u64s) if public else 0,
        public_owner=draw(addresses) if public else 0,
    )


@st.composite
def batches(draw, max_records: int = 5, min_records: int = 1):
    anchors = draw(st.lists(digests, min_size=1, max_size=MAX_ANCHORS))
    recs = draw(st.lists(records(len(anchors)), min_size=min_records, max_size=max_records))
    return BatchPublicData(anchors, recs)


def example_batch() -> BatchPublicData:
    """Two anchors, one record without public amounts and one with."""
    d = [tuple((1000 * k + i) % P for i in range(8)) for k in range(6)]
    return BatchPublicData([d[0], d[1]], [
        TxRecord(1, (d[2], d[3]), (d[4], d[5]), 7, 12345),
        TxRecord(0, (d[5], d[4]), (d[3], d[2]), P - 1, U64_MAX, 5, 1 << 40, (1 << 160) - 1),
    ])


# -- byte surgery on a valid encoding ----------------------------------------------------------


def record_starts(x: BatchPublicData) -> list[int]:
    """Byte offset of each record's flag byte."""
    out, pos = [], PREFIX + HEADER_BYTES
    for r in x.records:
        out.append(pos)
        pos += 1 + 4 * (56 if r.has_public_amounts else 40)
    return out


def element_offset(x: BatchPublicData, record: int | None, index: int) -> int:
    """Byte offset of header element ``index`` (record None) or of a record's element ``index``."""
    if record is None:
        return PREFIX + 4 * index
    return record_starts(x)[record] + 1 + 4 * index


def with_word(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + value.to_bytes(4, "big") + data[offset + 4:]


def with_byte(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + bytes([value]) + data[offset + 1:]


def decode_or_none(data: bytes):
    """The decoded batch, or None on EncodingError; any other exception propagates (fails)."""
    try:
        return BatchPublicData.from_calldata(data)
    except EncodingError:
        return None


def rejects(data: bytes, match: str | None = None) -> None:
    with pytest.raises(EncodingError, match=match):
        BatchPublicData.from_calldata(data)


# -- round trip --------------------------------------------------------------------------------


@given(batches())
def test_calldata_round_trip(x):
    data = x.to_calldata()
    y = BatchPublicData.from_calldata(data)
    assert y == x
    assert y.elements() == x.elements()
    assert y.to_calldata() == data
    assert len(data) == PREFIX + HEADER_BYTES + sum(1 + 4 * (56 if r.has_public_amounts else 40) for r in x.records)
    assert data[:4] == b"SHBD" and data[4] == 1 and int.from_bytes(data[5:7], "big") == len(x.records)


@given(batches())
def test_calldata_carries_the_elements_and_omits_only_zero_public_amount_words(x):
    """Stripping the prefix and flag bytes and restoring the omitted 16 zero elements gives
    elements() exactly (what the L1 contract fingerprints)."""
    data = x.to_calldata()
    words = [int.from_bytes(data[i:i + 4], "big") for i in range(PREFIX, PREFIX + HEADER_BYTES, 4)]
    for r, start in zip(x.records, record_starts(x)):
        assert data[start] == (1 if r.has_public_amounts else 0)
        n = 56 if data[start] else 40
        words += [int.from_bytes(data[start + 1 + 4 * i:start + 5 + 4 * i], "big") for i in range(n)]
        words += [0] * (56 - n)
    assert words == x.elements()
    assert len(words) == 40 + 56 * len(x.records)


@given(batches())
def test_elements_layout(x):
    els = x.elements()
    assert els[:40] == header_elements(x.anchors)
    for i, r in enumerate(x.records):
        e = els[40 + 56 * i:96 + 56 * i]
        assert e == r.elements()
        assert [tuple(e[8 * k:8 * k + 8]) for k in range(4)] == list(r.nullifiers + r.commitments)
        assert e[32:34] == [r.anchor_index, r.asset] and e[38:40] == [0, 0]
        assert sum(v << (16 * k) for k, v in enumerate(e[34:38])) == r.fee
        assert sum(v << (16 * k) for k, v in enumerate(e[40:44])) == r.public_value_in
        assert sum(v << (16 * k) for k, v in enumerate(e[44:48])) == r.public_value_out
        assert sum(v << (20 * k) for k, v in enumerate(e[48:56])) == r.public_owner


@given(st.lists(digests, max_size=MAX_ANCHORS))
def test_header_elements_layout(anchors):
    h = header_elements(anchors)
    padded = list(anchors) + [ZERO] * (MAX_ANCHORS - len(anchors))
    assert h == [len(anchors)] + [0] * 7 + [v for d in padded for v in d]


def test_more_than_max_anchors_is_refused_when_encoding():
    anchors = [tuple(range(k, k + 8)) for k in range(MAX_ANCHORS + 1)]
    with pytest.raises(EncodingError):
        header_elements(anchors)
    with pytest.raises(EncodingError):
        BatchPublicData(anchors, []).to_calldata()


# -- malformed bytes: EncodingError and nothing else ---------------------------------------------


@settings(max_examples=50)
@given(st.binary(max_size=1500))
def test_random_bytes_raise_encoding_error(data):
    rejects(data)


@settings(max_examples=50)
@given(st.integers(0, 3), st.binary(max_size=1200))
def test_random_bytes_after_a_valid_prefix_raise_encoding_error(count, tail):
    rejects(BATCH_MAGIC + bytes([BATCH_VERSION]) + count.to_bytes(2, "big") + tail)


@settings(max_examples=15)
@given(batches(max_records=2))
def test_every_truncation_raises_encoding_error(x):
    data = x.to_calldata()
    for n in range(len(data)):
        rejects(data[:n])


@settings(max_examples=50)
@given(batches(max_records=3), st.data())
def test_a_single_byte_flip_is_refused_or_decodes_to_different_data(x, data):
    """Some flips give valid, different data (an element or a limb changed within range): then
    the decoding is canonical (re-encodes to the flipped bytes) and differs from the original."""
    original = x.to_calldata()
    pos = data.draw(st.integers(0, len(original) - 1))
    mask = data.draw(st.integers(1, 255))
    flipped = with_byte(original, pos, original[pos] ^ mask)
    y = decode_or_none(flipped)
    if y is not None:
        assert y != x
        assert y.to_calldata() == flipped


@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF])
def test_every_single_byte_flip_of_an_example_is_refused_or_canonical(mask):
    x = example_batch()
    original = x.to_calldata()
    accepted = 0
    for pos in range(len(original)):
        flipped = with_byte(original, pos, original[pos] ^ mask)
        y = decode_or_none(flipped)
        if y is not None:
            accepted += 1
            assert y != x and y.to_calldata() == flipped
    assert accepted < len(original)


@given(batches(max_records=3), st.data())
def test_an_element_at_or_above_p_is_refused(x, data):
    bad = data.draw(st.sampled_from([P, P + 1, (1 << 32) - 1]) | st.integers(P, (1 << 32) - 1))
    record = data.draw(st.none() | st.integers(0, len(x.records) - 1))
    count = 40 if record is None else (56 if x.records[record].has_public_amounts else 40)
    index = data.draw(st.integers(0, count - 1))
    rejects(with_word(x.to_calldata(), element_offset(x, record, index), bad))


@pytest.mark.parametrize("magic", [b"SHBE", b"shbd", b"\x00\x00\x00\x00", b"DBHS"])
def test_bad_magic_is_refused(magic):
    rejects(magic + example_batch().to_calldata()[4:], "magic")


@pytest.mark.parametrize("version", [0, 2, 255])
def test_bad_version_is_refused(version):
    rejects(with_byte(example_batch().to_calldata(), 4, version), "version")


@pytest.mark.parametrize("flag", [2, 3, 0x80, 0xFF])
@pytest.mark.parametrize("record", [0, 1])
def test_bad_flag_byte_is_refused(record, flag):
    x = example_batch()
    rejects(with_byte(x.to_calldata(), record_starts(x)[record], flag), "flag")


def test_a_flag_that_disagrees_with_the_record_is_refused():
    """Flag 1 on a record whose public amounts are all zero (its last two words zero) is a second
    encoding of the same data, so it is refused."""
    x = example_batch()
    data = x.to_calldata()
    start, end = record_starts(x)
    assert data[start] == 0
    widened = data[:start] + b"\x01" + data[start + 1:end] + bytes(64) + data[end:]
    rejects(widened, "flag")
    # the same widening with a nonzero amount (public_in limb 0) is valid data with flag 1
    valid = with_word(widened, start + 1 + 4 * 40, 9)
    y = BatchPublicData.from_calldata(valid)
    assert y.records[0].public_value_in == 9 and y.records[1] == x.records[1]


@pytest.mark.parametrize("count", [MAX_ANCHORS + 1, 8, 1 << 16, P - 1])
def test_more_than_max_anchors_is_refused(count):
    rejects(with_word(example_batch().to_calldata(), element_offset(example_batch(), None, 0), count))


@pytest.mark.parametrize("index", range(1, 8))
def test_nonzero_header_padding_is_refused(index):
    rejects(with_word(example_batch().to_calldata(), element_offset(example_batch(), None, index), 1))


@given(st.lists(digests, min_size=1, max_size=MAX_ANCHORS - 1), st.data())
def test_a_nonzero_unused_anchor_slot_is_refused(anchors, data):
    d = tuple(range(1, 9))
    x = BatchPublicData(anchors, [TxRecord(0, (d, d), (d, d), 1, 2)])
    slot = data.draw(st.integers(len(anchors), MAX_ANCHORS - 1))
    element = data.draw(st.integers(0, 7))
    value = data.draw(field_elements(1, P - 1))
    rejects(with_word(x.to_calldata(), element_offset(x, None, 8 + 8 * slot + element), value), "unused")


@given(batches(max_records=3), st.data())
def test_an_anchor_index_out_of_range_is_refused(x, data):
    record = data.draw(st.integers(0, len(x.records) - 1))
    index = data.draw(st.integers(len(x.anchors), MAX_ANCHORS) | st.sampled_from([P - 1, 1 << 16]))
    rejects(with_word(x.to_calldata(), element_offset(x, record, 32), index), "anchor index")


def test_a_record_in_a_batch_without_anchors_is_refused():
    d = tuple(range(1, 9))
    data = BatchPublicData([], [TxRecord(0, (d, d), (d, d), 1, 2)]).to_calldata()
    rejects(data, "at least one transaction and one anchor")


def test_a_batch_without_records_is_refused():
    rejects(BatchPublicData([tuple(range(8))], []).to_calldata(), "at least one transaction")


@pytest.mark.parametrize("element,value", [(38, 1), (39, P - 1)], ids=["element 38", "element 39"])
def test_nonzero_record_padding_is_refused(element, value):
    x = example_batch()
    rejects(with_word(x.to_calldata(), element_offset(x, 0, element), value), "malformed")


@pytest.mark.parametrize("element,value", [(34, 1 << 16), (37, P - 1), (40, 1 << 16), (47, 1 << 20),
                                           (48, 1 << 20), (55, P - 1)],
                         ids=["fee limb 0", "fee limb 3", "in limb 0", "out limb 3", "owner limb 0",
                              "owner limb 7"])
def test_an_out_of_range_limb_is_refused(element, value):
    x = example_batch()
    record = 0 if element < 40 else 1
    rejects(with_word(x.to_calldata(), element_offset(x, record, element), value), "malformed")


@given(batches(max_records=3), st.binary(min_size=1, max_size=64))
def test_trailing_bytes_are_refused(x, tail):
    rejects(x.to_calldata() + tail)


@given(batches(max_records=3), st.sampled_from([-1, 1, 2, 1000]))
def test_a_wrong_record_count_is_refused(x, delta):
    data = x.to_calldata()
    n = len(x.records) + delta
    rejects(data[:5] + n.to_bytes(2, "big") + data[7:])


# -- fingerprint -------------------------------------------------------------------------------


Q = 2**127 - 1          # the fingerprint field (SPEC.md, section 28), written out here on purpose


def naive_fingerprint(elements, rho: int, start: int = 0) -> int:
    """start rho^m + sum_j c_j rho^(m-1-j) mod q, c_j the 16 big-endian bytes of e_4j..e_4j+3,
    with the powers computed directly (not by Horner)."""
    assert len(elements) % 4 == 0
    coeffs = [int.from_bytes(b"".join(int(e).to_bytes(4, "big") for e in elements[j:j + 4]), "big")
              for j in range(0, len(elements), 4)]
    m = len(coeffs)
    return (start * pow(rho, m, Q) + sum(c * pow(rho, m - 1 - j, Q) for j, c in enumerate(coeffs))) % Q


quads = st.lists(st.tuples(*[field_elements()] * 4), max_size=15).map(lambda qs: [x for q in qs for x in q])
rhos = st.sampled_from([0, 1, 2, Q - 1]) | st.integers(0, Q - 1)


def test_fingerprint_convention_on_small_cases():
    rho = 10**30
    assert fingerprint([], rho) == 0 and batch_fingerprint([], rho) == 1
    assert fingerprint([0, 0, 0, 9], rho) == 9
    assert fingerprint([1, 2, 3, 4], rho) == (1 << 96) + (2 << 64) + (3 << 32) + 4
    assert fingerprint([0, 0, 0, 1, 0, 0, 0, 0], rho) == rho
    assert fingerprint([0, 0, 0, 1] + [0] * 8, rho) == rho * rho % Q
    assert batch_fingerprint([0, 0, 0, 5], rho) == (rho + 5) % Q
    assert batch_fingerprint([P - 1] * 4, 0) == int.from_bytes((P - 1).to_bytes(4, "big") * 4, "big")
    assert pack_coefficients([P - 1] * 4)[0] < Q


@pytest.mark.parametrize("length", [1, 2, 3, 5, 55])
def test_fingerprint_refuses_a_length_that_is_not_a_multiple_of_four(length):
    with pytest.raises(EncodingError, match="multiple of 4"):
        fingerprint([1] * length, 3)
    with pytest.raises(EncodingError, match="multiple of 4"):
        batch_fingerprint([1] * length, 3)


@given(quads, rhos)
def test_fingerprint_is_the_naive_power_sum(elements, rho):
    assert fingerprint(elements, rho) == naive_fingerprint(elements, rho)
    assert batch_fingerprint(elements, rho) == naive_fingerprint(elements, rho, start=1)


@settings(max_examples=15)
@given(batches(max_records=3), rhos)
def test_fingerprint_of_a_batch_chains_and_merges(x, rho):
    """A chain continues Horner's rule record by record; a merge is F_left R_right + F_right with
    R = rho^(coefficients): the orders the aggregation circuits use.  The header is not
    fingerprinted (the anchors are a public input)."""
    els = x.record_elements()
    acc = 0
    for rec in x.records:
        acc = (acc * pow(rho, 14, Q) + fingerprint(rec.elements(), rho)) % Q
    assert acc == fingerprint(els, rho)
    cut = 56 * (len(x.records) // 2)
    left, right = els[:cut], els[cut:]
    assert (fingerprint(left, rho) * pow(rho, len(right) // 4, Q) + fingerprint(right, rho)) % Q == acc
    assert batch_fingerprint(els, rho) == (pow(rho, len(els) // 4, Q) + acc) % Q
    assert x.elements() == header_elements(x.anchors) + els


@given(quads, st.integers(1, 15))
def test_batch_fingerprint_sees_appended_zeros(elements, k):
    """Without the rho^m term, zero data in front would not change the fingerprint at any rho."""
    rho = 3141592653589793238462643383279
    assert fingerprint([0] * 4 * k + elements, rho) == fingerprint(elements, rho)
    assert batch_fingerprint([0] * 4 * k + elements, rho) != batch_fingerprint(elements, rho)
    assert batch_fingerprint(elements + [0] * 4 * k, rho) != batch_fingerprint(elements, rho)


@given(quads.filter(bool), st.data())
def test_fingerprint_sees_a_change_or_swap_of_elements(elements, data):
    rho = 3141592653589793238462643383279
    i = data.draw(st.integers(0, len(elements) - 1))
    changed = list(elements)
    changed[i] = (changed[i] + data.draw(field_elements(1, P - 1))) % P
    assert fingerprint(changed, rho) != fingerprint(elements, rho)
    j = data.draw(st.integers(0, len(elements) - 1))
    if elements[i] != elements[j]:
        swapped = list(elements)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        assert fingerprint(swapped, rho) != fingerprint(elements, rho)


@given(st.lists(digests, min_size=1, max_size=4))
def test_anchors_values_are_the_count_and_the_padded_anchors(anchors):
    vals = anchors_values(anchors)
    assert len(vals) == 33 and vals[0] == len(anchors)
    assert vals[1:1 + 8 * len(anchors)] == [x for a in anchors for x in a]
    assert not any(vals[1 + 8 * len(anchors):])
    assert hash_elements(Tag.ANCHORS, vals) == anchors_digest(anchors)


@pytest.mark.parametrize("count", [0, 5])
def test_anchors_values_refuse_a_bad_count(count):
    with pytest.raises(EncodingError):
        anchors_values([(1,) * 8] * count)


# -- challenge and anchors digest -------------------------------------------------------------


ZERO_DIGEST = (0,) * 8


def bumped_digest(d, data) -> tuple:
    k = data.draw(st.integers(0, 7))
    return d[:k] + ((d[k] + data.draw(field_elements(1, P - 1))) % P,) + d[k + 1:]


def naive_challenge(note_root, nf_root, calldata: bytes, records_digest=ZERO_DIGEST) -> int:
    roots = b"".join(int(v).to_bytes(4, "big") for v in list(note_root) + list(nf_root))
    roots += b"".join(int(v).to_bytes(4, "big") for v in records_digest)
    h = pycryptodome_keccak.new(digest_bits=256, data=b"shielded/batch" + roots + calldata).digest()
    return int.from_bytes(h, "big") % Q


@settings(max_examples=20)
@given(digests, digests, batches(max_records=2))
def test_batch_challenge_matches_the_twin(note_root, nf_root, x):
    data = x.to_calldata()
    r = batch_challenge(note_root, nf_root, data, ZERO_DIGEST)
    assert r == naive_challenge(note_root, nf_root, data)
    assert batch_challenge(note_root, nf_root, data, nf_root) == naive_challenge(note_root, nf_root, data, nf_root)
    assert 0 <= r < Q


@settings(max_examples=20)
@given(digests, digests, batches(max_records=2), st.data())
def test_batch_challenge_changes_with_either_root_or_any_calldata_byte(note_root, nf_root, x, data):
    calldata = x.to_calldata()
    r = batch_challenge(note_root, nf_root, calldata, ZERO_DIGEST)
    assert batch_challenge(note_root, nf_root, calldata, bumped_digest(ZERO_DIGEST, data)) != r
    k = data.draw(st.integers(0, 7))
    delta = data.draw(field_elements(1, P - 1))
    bumped = lambda d: d[:k] + ((d[k] + delta) % P,) + d[k + 1:]  # noqa: E731
    assert batch_challenge(bumped(note_root), nf_root, calldata, ZERO_DIGEST) != r
    assert batch_challenge(note_root, bumped(nf_root), calldata, ZERO_DIGEST) != r
    if note_root != nf_root:
        assert batch_challenge(nf_root, note_root, calldata, ZERO_DIGEST) != r
    pos = data.draw(st.integers(0, len(calldata) - 1))
    mask = data.draw(st.integers(1, 255))
    assert batch_challenge(note_root, nf_root, with_byte(calldata, pos, calldata[pos] ^ mask), ZERO_DIGEST) != r
    assert batch_challenge(note_root, nf_root, calldata + b"\x00", ZERO_DIGEST) != r


@given(st.lists(digests, min_size=0, max_size=MAX_ANCHORS))
def test_anchors_digest_is_the_count_and_the_padded_anchors(anchors):
    padded = list(anchors) + [ZERO] * (MAX_ANCHORS - len(anchors))
    assert anchors_digest(anchors) == hash_elements(Tag.ANCHORS, [len(anchors)] + [v for d in padded for v in d])


@given(st.lists(digests, min_size=2, max_size=MAX_ANCHORS, unique=True), st.data())
def test_anchors_digest_is_order_sensitive(anchors, data):
    i, j = data.draw(st.permutations(range(len(anchors))))[:2]
    swapped = list(anchors)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert anchors_digest(swapped) != anchors_digest(anchors)


@given(st.lists(digests, min_size=1, max_size=MAX_ANCHORS), st.data())
def test_anchors_digest_changes_with_any_anchor_element(anchors, data):
    a = data.draw(st.integers(0, len(anchors) - 1))
    k = data.draw(st.integers(0, 7))
    changed = [list(d) for d in anchors]
    changed[a][k] = (changed[a][k] + data.draw(field_elements(1, P - 1))) % P
    assert anchors_digest([tuple(d) for d in changed]) != anchors_digest(anchors)


@given(st.lists(digests, min_size=0, max_size=MAX_ANCHORS - 1))
def test_anchors_digest_counts_a_trailing_zero_anchor(anchors):
    """[a] and [a, 0^8] pad to the same four digests; the count tells them apart."""
    assert anchors_digest(list(anchors) + [ZERO]) != anchors_digest(anchors)
