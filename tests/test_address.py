"""Addresses (SPEC.md section 17): 64-byte payload owner (8 x u32 BE) || pk_enc as Bech32m text with
prefix "shd" (BIP-350 charset, generator, constant 0x2bc830a3), 113 characters.

The Bech32m algorithm is written out again below from BIP-350 (``ref_*``) and the implementation
is compared with it.  Vectors (BIP-350 strings, BIP-173 strings that must fail the Bech32m
checksum, generated "shd" addresses and generated invalid cases with their derivation) are read from
tests/vectors/bech32m.json; ``test_vector_file_derivations`` re-derives every generated case from
its documented recipe, so the file's provenance notes are checked too.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shielded.errors import EncodingError
from shielded.field.koalabear import P
from shielded.protocol.address import Address, bech32m_decode, bech32m_encode, is_low_order_x25519
from shielded.protocol.keys import SpendingKey
from shielded.testing.protocol import addresses, encryption_keys, spending_keys

VECTORS = json.loads((Path(__file__).parent / "vectors" / "bech32m.json").read_text())

# -- reference Bech32m, written from BIP-173 / BIP-350 -----------------------------------------

REF_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
REF_GEN = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
BECH32_CONST, BECH32M_CONST = 1, 0x2BC830A3
ADDRESS_LEN = 113


def ref_polymod(values) -> int:
    chk = 1
    for v in values:
        b = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            chk ^= REF_GEN[i] if (b >> i) & 1 else 0
    return chk


def ref_hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def ref_checksum(hrp: str, data5: list[int], const: int = BECH32M_CONST) -> list[int]:
    polymod = ref_polymod(ref_hrp_expand(hrp) + data5 + [0] * 6) ^ const
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]


def ref_encode5(hrp: str, data5: list[int], const: int = BECH32M_CONST) -> str:
    return hrp + "1" + "".join(REF_CHARSET[d] for d in data5 + ref_checksum(hrp, data5, const))


def ref_bytes_to5(data: bytes) -> list[int]:
    bits = "".join(f"{b:08b}" for b in data)
    bits += "0" * (-len(bits) % 5)
    return [int(bits[i:i + 5], 2) for i in range(0, len(bits), 5)]


def ref_decode(text: str, const: int = BECH32M_CONST):
    """(hrp, data5) of a valid string, else None (BIP-350 rules minus the 90-character bound)."""
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        return None
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        return None
    if not all(c in REF_CHARSET for c in text[pos + 1:]):
        return None
    hrp, data = text[:pos], [REF_CHARSET.find(c) for c in text[pos + 1:]]
    if ref_polymod(ref_hrp_expand(hrp) + data) != const:
        return None
    return hrp, data[:-6]


def ref_address(payload: bytes) -> str:
    return ref_encode5("shd", ref_bytes_to5(payload))


def owner_words(owner) -> bytes:
    return b"".join(int(x).to_bytes(4, "big") for x in owner)


# -- vectors -----------------------------------------------------------------------------------

def derive(case: dict) -> str:
    """Rebuild a generated invalid string from its documented derivation."""
    d = case["derivation"]
    op = d["op"]
    if op == "encode5":
        return ref_encode5(d["hrp"], d["data5"], BECH32M_CONST if d.get("const", "bech32m") == "bech32m"
                           else BECH32_CONST)
    if op == "encode_payload":
        return ref_encode5(d["hrp"], ref_bytes_to5(bytes.fromhex(d["payload_hex"])))
    base = VECTORS["shd_addresses"][d["base"]]["address"]
    if op == "substitute":
        i = d["index"]
        return base[:i] + d["char"] + base[i + 1:]
    if op == "transpose":
        i = d["index"]
        return base[:i] + base[i + 1] + base[i] + base[i + 2:]
    if op == "toggle_case":
        i = d["index"]
        return base[:i] + base[i].swapcase() + base[i + 1:]
    if op == "truncate":
        return base[:d["length"]]
    if op == "drop":
        i = d["index"]
        return base[:i] + base[i + 1:]
    if op == "insert":
        i = d["index"]
        return base[:i] + d["char"] + base[i:]
    raise AssertionError(f"unknown derivation {op}")


def test_vector_file_derivations():
    """Every generated case in the JSON is what its documented recipe gives (provenance check)."""
    for v in VECTORS["shd_addresses"]:
        assert ref_address(bytes.fromhex(v["payload_hex"])) == v["address"]
    for case in VECTORS["shd_invalid"]:
        assert derive(case) == case["string"], case["reason"]


@pytest.mark.parametrize("s", VECTORS["bip350_valid"], ids=lambda s: s[:16])
def test_bip350_valid_strings(s):
    ref = ref_decode(s)
    assert ref is not None, "the reference decoder must accept a BIP-350 valid string"
    hrp, data = bech32m_decode(s)
    assert (hrp, list(data)) == (ref[0], ref[1])
    assert hrp == s.lower()[:s.rfind("1")]
    # and re-encoding the 5-bit data gives the string back (lowercase)
    assert ref_encode5(hrp, list(data)) == s.lower()


@pytest.mark.parametrize("case", VECTORS["bip350_invalid"], ids=lambda c: c["reason"][:30])
def test_bip350_invalid_strings(case):
    s = case["string"]
    if case["expected"] == "accepted":
        # BIP-350 rejects it only for its length (> 90); SPEC section 17 allows up to 200
        assert ref_decode(s) is not None
        assert bech32m_decode(s)[0] == ref_decode(s)[0]
        with pytest.raises(EncodingError, match="expected prefix 'shd1'"):
            Address.decode(s)
    else:
        assert ref_decode(s) is None
        with pytest.raises(EncodingError):
            bech32m_decode(s)
        with pytest.raises(EncodingError):
            Address.decode(s)


@pytest.mark.parametrize("s", VECTORS["bip173_bech32_valid"], ids=lambda s: s[:16])
def test_bech32_not_bech32m_checksum_rejected(s):
    """BIP-173 (Bech32, constant 1) strings have a valid Bech32 checksum, which is not Bech32m's."""
    assert ref_decode(s, BECH32_CONST) is not None
    with pytest.raises(EncodingError, match="checksum"):
        bech32m_decode(s)


@pytest.mark.parametrize("v", VECTORS["shd_addresses"], ids=lambda v: v["payload_hex"][:8])
def test_shd_address_vectors(v):
    payload = bytes.fromhex(v["payload_hex"])
    if is_low_order_x25519(payload[32:]):
        # "all zero": a valid Bech32m string of a 64-byte payload, but pk_enc = 0 is a low-order
        # point, which an address may not carry (SPEC section 17); the text layer still accepts it
        assert ref_address(payload) == v["address"] and len(v["address"]) == ADDRESS_LEN
        assert bech32m_decode(v["address"]) == ("shd", ref_bytes_to5(payload))
        with pytest.raises(EncodingError, match="pk_enc is a low-order X25519 point"):
            Address.decode(v["address"])
        return
    addr = Address.from_bytes(payload)
    assert addr.encode() == v["address"]
    assert str(addr) == v["address"]
    assert len(v["address"]) == ADDRESS_LEN
    assert Address.decode(v["address"]) == addr
    assert Address.decode(v["address"].upper()) == addr
    if "spending_key_hex" in v:
        assert SpendingKey(bytes.fromhex(v["spending_key_hex"])).address().encode() == v["address"]


@pytest.mark.parametrize("case", VECTORS["shd_invalid"], ids=lambda c: c["reason"][:40])
def test_shd_invalid_vectors(case):
    with pytest.raises(EncodingError, match=re.escape(case["error_contains"])):
        Address.decode(case["string"])


# -- round trips ---------------------------------------------------------------------------------

@given(spending_keys())
def test_key_address_round_trip(key):
    addr = key.address()
    text = addr.encode()
    assert len(text) == ADDRESS_LEN and text.startswith("shd1") and text == text.lower()
    assert text == ref_address(owner_words(key.owner) + addr.pk_enc)
    assert Address.decode(text) == addr
    assert Address.decode(text.upper()) == addr
    assert Address.from_bytes(addr.to_bytes()) == addr
    assert addr.to_bytes() == owner_words(key.owner) + addr.pk_enc


@given(st.lists(st.integers(0, P - 1), min_size=8, max_size=8), encryption_keys())
def test_raw_payload_round_trip(owner, pk_enc):
    addr = Address(tuple(owner), pk_enc)
    payload = owner_words(owner) + pk_enc
    assert addr.to_bytes() == payload
    text = addr.encode()
    assert text == ref_address(payload)
    back = Address.decode(text)
    assert back == addr and back.to_bytes() == payload


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126).filter(lambda c: c != "1"),
               min_size=1, max_size=20).map(str.lower),
       st.binary(max_size=60))
def test_bech32m_encode_matches_reference(hrp, data):
    s = bech32m_encode(hrp, data)
    assert s == ref_encode5(hrp, ref_bytes_to5(data))
    if len(s) <= 200:
        assert bech32m_decode(s) == (hrp, ref_bytes_to5(data))


# -- error detection ------------------------------------------------------------------------------

OTHER_CHARS = "1bio" + "QZ" + "-_" + "\u00e9"     # separator, excluded letters, upper case, symbols, non-ASCII


def substitutions(text: str, positions):
    for i in positions:
        for c in REF_CHARSET + OTHER_CHARS:
            if c != text[i]:
                yield i, text[:i] + c + text[i + 1:]


def test_every_single_substitution_rejected_fixed_address():
    """All 113 positions x every other character, for one address."""
    text = VECTORS["shd_addresses"][0]["address"]
    count = 0
    for i, bad in substitutions(text, range(len(text))):
        with pytest.raises(EncodingError):
            Address.decode(bad)
        count += 1
    assert count == ADDRESS_LEN * (len(REF_CHARSET) + len(OTHER_CHARS) - 1)


@given(addresses(), st.lists(st.integers(0, ADDRESS_LEN - 1), min_size=1, max_size=6, unique=True))
def test_single_substitution_rejected_sampled(addr, positions):
    text = addr.encode()
    for i, bad in substitutions(text, positions):
        with pytest.raises(EncodingError):
            Address.decode(bad)


def test_adjacent_transpositions_rejected():
    """Every swap of two different neighbouring characters, in every vector address."""
    swapped = {}
    for k, v in enumerate(VECTORS["shd_addresses"]):
        text = v["address"]
        swapped[k] = 0
        for i in range(len(text) - 1):
            if text[i] == text[i + 1]:
                continue
            bad = text[:i] + text[i + 1] + text[i] + text[i + 2:]
            with pytest.raises(EncodingError):
                Address.decode(bad)
            swapped[k] += 1
    assert swapped[0] > 100          # the bytes-0..63 address has few repeated neighbours


@given(addresses(), st.randoms(use_true_random=False))
def test_mixed_case_rejected(addr, rnd):
    text = addr.encode()
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    i = rnd.choice(letters)
    bad = text[:i] + text[i].upper() + text[i + 1:]
    with pytest.raises(EncodingError, match="mixed case"):
        Address.decode(bad)
    upper = text.upper()
    bad = upper[:i] + upper[i].lower() + upper[i + 1:]
    with pytest.raises(EncodingError, match="mixed case"):
        Address.decode(bad)


def test_uppercase_accepted():
    for v in VECTORS["shd_addresses"]:
        assert bech32m_decode(v["address"].upper()) == bech32m_decode(v["address"])
        if not is_low_order_x25519(bytes.fromhex(v["payload_hex"])[32:]):
            assert Address.decode(v["address"].upper()) == Address.decode(v["address"])


@pytest.mark.parametrize("hrp", ["sha", "sh", "shdx", "bc", "SHE"])
def test_wrong_prefix_names_expected(hrp):
    addr = SpendingKey(bytes(range(32))).address()
    text = ref_encode5(hrp.lower(), ref_bytes_to5(addr.to_bytes()))
    if hrp.isupper():
        text = text.upper()
    assert ref_decode(text) is not None          # a valid Bech32m string, only the prefix is wrong
    with pytest.raises(EncodingError, match=re.escape("expected prefix 'shd1'")) as e:
        Address.decode(text)
    assert hrp.lower() in str(e.value)


@pytest.mark.parametrize("word", [P, P + 1, 0xFFFFFFFF, 1 << 31])
@pytest.mark.parametrize("index", [0, 7])
def test_non_canonical_owner_rejected(word, index):
    owner = [1] * 8
    owner[index] = word
    payload = owner_words(owner) + GOOD_PK
    text = ref_address(payload)
    with pytest.raises(EncodingError, match="not a field element"):
        Address.decode(text)
    with pytest.raises(EncodingError, match="not a field element"):
        Address.from_bytes(payload)
    # p - 1 is fine
    owner[index] = P - 1
    assert Address.decode(ref_address(owner_words(owner) + GOOD_PK)).owner[index] == P - 1


def test_invalid_padding_rejected():
    data5 = ref_bytes_to5(bytes(64))
    assert len(data5) == 103                     # 512 bits + 3 padding bits
    for last in range(1, 8):                     # non-zero padding bits
        bad = data5[:-1] + [last]
        with pytest.raises(EncodingError, match="padding"):
            Address.decode(ref_encode5("shd", bad))
    # two extra groups: 525 bits = 65 bytes + 5 bits, a whole 5-bit group of padding
    with pytest.raises(EncodingError, match="padding"):
        Address.decode(ref_encode5("shd", data5 + [0, 0]))
    # one extra group: 520 bits = 65 whole bytes, no padding, but the wrong length
    with pytest.raises(EncodingError, match="expected 64 bytes, got 65"):
        Address.decode(ref_encode5("shd", data5 + [0]))


@pytest.mark.parametrize("nbytes", [0, 1, 32, 63, 65, 80])
def test_wrong_payload_length_rejected(nbytes):
    text = ref_encode5("shd", ref_bytes_to5(bytes(nbytes)))
    with pytest.raises(EncodingError, match=f"expected 64 bytes, got {nbytes}"):
        Address.decode(text)


def test_length_limit():
    """At most 200 characters: a valid 200-character Bech32m string decodes, 201 is rejected."""
    hrp = "shd"
    n200 = 200 - len(hrp) - 1 - 6
    s200 = ref_encode5(hrp, [3] * n200)
    assert len(s200) == 200
    assert bech32m_decode(s200) == (hrp, [3] * n200)
    s201 = ref_encode5(hrp, [3] * (n200 + 1))
    assert len(s201) == 201 and ref_decode(s201) is not None
    with pytest.raises(EncodingError, match="longer than 200"):
        bech32m_decode(s201)
    with pytest.raises(EncodingError, match="longer than 200"):
        Address.decode(s201)
    with pytest.raises(EncodingError, match="longer than 200"):
        Address.decode("shd1" + "q" * 10_000)


@pytest.mark.parametrize("bad", [None, b"shd1qqqq", 5, ["shd1"]])
def test_non_string_rejected(bad):
    with pytest.raises(EncodingError):
        Address.decode(bad)


@pytest.mark.parametrize("text", ["", "shd", "shd1", "1qqqqqq", "shd1qqqqq", "shd 1qqqqqqqq", "shd1\x00qqqqqqq"],
                         ids=["empty", "hrp-only", "sep-only", "empty-hrp", "short-checksum", "space", "nul"])
def test_malformed_strings_rejected(text):
    with pytest.raises(EncodingError):
        Address.decode(text)


# -- constructor ------------------------------------------------------------------------------

GOOD_OWNER = tuple(range(8))


@pytest.mark.parametrize("owner", [
    GOOD_OWNER[:7], GOOD_OWNER + (0,), (P,) + GOOD_OWNER[1:], (-1,) + GOOD_OWNER[1:],
    (True,) + GOOD_OWNER[1:], (1.0,) + GOOD_OWNER[1:], ("1",) + GOOD_OWNER[1:]],
    ids=["7", "9", "p", "negative", "bool", "float", "str"])
def test_address_rejects_bad_owner(owner):
    with pytest.raises(EncodingError, match="owner"):
        Address(owner, GOOD_PK)


@pytest.mark.parametrize("owner", [None, 5, 1.5], ids=["None", "int", "float"])
def test_address_rejects_an_owner_that_is_not_a_sequence(owner):
    with pytest.raises(EncodingError, match="address owner: expected 8 field elements"):
        Address(owner, GOOD_PK)


@pytest.mark.parametrize("make", [list, tuple, lambda o: iter(list(o))], ids=["list", "tuple", "iterator"])
def test_address_stores_the_owner_as_a_tuple_of_ints(make):
    """Regression: Address(list_owner, pk) used to keep the list (unequal to the tuple form and
    unhashable)."""
    key = SpendingKey(bytes(range(32)))
    a = Address(make(key.owner), bytearray(key.address().pk_enc))
    assert type(a.owner) is tuple and all(type(x) is int for x in a.owner)
    assert type(a.pk_enc) is bytes
    assert a == key.address() and hash(a) == hash(key.address())
    assert {a, key.address()} == {key.address()}


GOOD_PK = SpendingKey(bytes(32)).address().pk_enc


@pytest.mark.parametrize("pk", [bytes(31), bytes(33), b"", "a" * 32, None, list(range(32))],
                         ids=["31", "33", "empty", "str", "None", "list"])
def test_address_rejects_bad_encryption_key(pk):
    with pytest.raises(EncodingError, match="pk_enc is 32 bytes"):
        Address(GOOD_OWNER, pk)


# The points of order 1, 2, 4 and 8 on Curve25519 as u-coordinates (RFC 7748; the list libsodium
# and others block): 0, 1, p - 1 and the two of order 8; also non-canonical encodings of them
# (u + p, and the top bit set, which X25519 ignores).
P25519 = 2**255 - 19
ORDER_8 = [325606250916557431795983626356110631294008115727848805560023387167927233504,
           39382357235489614581723060781553021112529911719440698176882885853963445705823]
LOW_ORDER_U = [0, 1, P25519 - 1] + ORDER_8 + [P25519, P25519 + 1]
LOW_ORDER = ([u.to_bytes(32, "little") for u in LOW_ORDER_U]
             + [(u | 1 << 255).to_bytes(32, "little") for u in (0, 1) + tuple(ORDER_8)])


def test_low_order_points_have_the_stated_order():
    """The order-8 u-coordinates are recomputed: 8 * Q is the identity but 4 * Q is not (x-only
    doubling on the Montgomery curve y^2 = x^3 + 486662 x^2 + x)."""
    def double(x: int) -> int | None:          # u(2Q), None for the point at infinity
        num = (x * x - 1) ** 2 % P25519
        den = 4 * x * (x * x + 486662 * x + 1) % P25519
        return None if den == 0 else num * pow(den, -1, P25519) % P25519
    for u in ORDER_8:
        x2 = double(u)
        x4 = double(x2)
        assert x4 is not None and double(x4) is None


@pytest.mark.parametrize("pk", LOW_ORDER, ids=[f"lo{i}" for i in range(len(LOW_ORDER))])
def test_address_rejects_a_low_order_encryption_key(pk):
    """Paying such a key used to fail deep inside encrypt_note ("invalid ephemeral key")."""
    assert is_low_order_x25519(pk)
    with pytest.raises(EncodingError, match="pk_enc is a low-order X25519 point"):
        Address(GOOD_OWNER, pk)
    text = ref_address(owner_words(GOOD_OWNER) + pk)          # a well-formed string otherwise
    with pytest.raises(EncodingError, match="pk_enc is a low-order X25519 point"):
        Address.decode(text)
    with pytest.raises(EncodingError, match="pk_enc is a low-order X25519 point"):
        Address.from_bytes(owner_words(GOOD_OWNER) + pk)


@given(spending_keys())
def test_derived_encryption_keys_are_not_low_order(key):
    assert not is_low_order_x25519(key.address().pk_enc)


@given(st.binary(min_size=32, max_size=32))
def test_low_order_check_matches_the_list(pk):
    """Outside the listed encodings, no 32-byte string is a low-order point."""
    u = int.from_bytes(pk, "little") & ((1 << 255) - 1)
    assert is_low_order_x25519(pk) == (u % P25519 in {x % P25519 for x in LOW_ORDER_U})


@pytest.mark.parametrize("n", [0, 63, 65, 128])
def test_from_bytes_rejects_wrong_length(n):
    with pytest.raises(EncodingError, match=f"expected 64 bytes, got {n}"):
        Address.from_bytes(bytes(n))


def test_addresses_of_distinct_keys_differ_in_text():
    rnd = random.Random(7)
    texts = {SpendingKey(rnd.randbytes(32)).address().encode() for _ in range(20)}
    assert len(texts) == 20
