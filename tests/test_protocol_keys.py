"""Key derivation (SPEC.md section 16), recomputed in the test from the SPEC text.

    sk_el = sk packed 3 bytes per element (big-endian, 11 elements, the last zero-padded)
    ask = H(16, sk_el)   nk = H(17, sk_el)   ak = H(18, ask)   owner = H(19, ak || nk)
    ivk = HKDF-SHA256(sk, salt none, info "shielded/ivk", 32)   pk_enc = X25519(ivk, 9)
    ovk = HKDF-SHA256(sk, salt none, info "shielded/ovk", 32)

H is the Poseidon2 sponge of section 2.2 (``hash_elements``); the packing, the tags, the order of
concatenation and the HKDF/X25519 calls are written out here independently of protocol/keys.py,
using the ``cryptography`` package directly.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import assume, given
from hypothesis import strategies as st

from shielded.errors import EncodingError
from shielded.field.koalabear import P
from shielded.hash.sponge import hash_elements
from shielded.protocol.keys import (FullViewingKey, IncomingViewingKey, SpendingKey, derive_ak, derive_owner, hkdf,
                                    x25519_public)

SK = st.binary(min_size=32, max_size=32)

# SPEC section 16 / section 2.2 tag numbers, written as numbers (not via Tag) on purpose
TAG_ASK, TAG_NK, TAG_AK, TAG_OWNER = 16, 17, 18, 19


def spec_sk_elements(sk: bytes) -> list[int]:
    """sk packed 3 bytes per element, big-endian, 11 elements, the last zero-padded."""
    assert len(sk) == 32
    padded = sk + b"\x00"          # 33 = 11 * 3
    out = []
    for i in range(11):
        b0, b1, b2 = padded[3 * i], padded[3 * i + 1], padded[3 * i + 2]
        out.append(b0 * 65536 + b1 * 256 + b2)
    return out


def spec_hkdf(ikm: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ikm)


def spec_x25519_base(secret: bytes) -> bytes:
    pub = X25519PrivateKey.from_private_bytes(secret).public_key()
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def spec_keys(sk: bytes) -> dict:
    el = spec_sk_elements(sk)
    ask = hash_elements(TAG_ASK, el)
    nk = hash_elements(TAG_NK, el)
    ak = hash_elements(TAG_AK, list(ask))
    owner = hash_elements(TAG_OWNER, list(ak) + list(nk))
    ivk = spec_hkdf(sk, b"shielded/ivk")
    ovk = spec_hkdf(sk, b"shielded/ovk")
    return dict(ask=tuple(ask), nk=tuple(nk), ak=tuple(ak), owner=tuple(owner), ivk=ivk, ovk=ovk,
                pk_enc=spec_x25519_base(ivk))


def test_packing_of_a_known_key():
    """The packing itself, on a key whose elements can be read off by eye."""
    sk = bytes(range(1, 33))
    el = spec_sk_elements(sk)
    assert el[0] == 0x010203 and el[9] == 0x1C1D1E and el[10] == 0x1F2000
    assert len(el) == 11 and all(0 <= x < 1 << 24 for x in el)


@given(SK)
def test_derivations_match_spec(sk):
    key = SpendingKey(sk)
    want = spec_keys(sk)
    assert key.ask == want["ask"]
    assert key.nk == want["nk"]
    assert key.ivk == want["ivk"]
    assert key.ovk == want["ovk"]
    assert key.owner == want["owner"]
    fvk = key.full_viewing_key()
    assert fvk.ak == want["ak"] and fvk.nk == want["nk"]
    assert fvk.ivk == want["ivk"] and fvk.ovk == want["ovk"]
    addr = key.address()
    assert tuple(addr.owner) == want["owner"]
    assert addr.pk_enc == want["pk_enc"]
    for d in (key.ask, key.nk, fvk.ak, key.owner):
        assert len(d) == 8 and all(isinstance(x, int) and 0 <= x < P for x in d)
    assert len(key.ivk) == 32 and len(key.ovk) == 32


def test_edge_keys_match_spec():
    for sk in (bytes(32), b"\xff" * 32, b"\x00" * 31 + b"\x01", b"\x01" + b"\x00" * 31):
        key = SpendingKey(sk)
        want = spec_keys(sk)
        assert (key.ask, key.nk, key.owner, key.ivk, key.ovk) == (want["ask"], want["nk"], want["owner"],
                                                                 want["ivk"], want["ovk"])


def test_last_two_bytes_enter_the_keys():
    """The 11th element holds sk[30], sk[31] (zero-padded): changing either changes ask and nk."""
    base = bytearray(32)
    k0 = SpendingKey(bytes(base))
    for i in (29, 30, 31):
        other = bytearray(base)
        other[i] = 1
        k1 = SpendingKey(bytes(other))
        assert k1.ask != k0.ask and k1.nk != k0.nk and k1.owner != k0.owner


def test_helpers_match_spec():
    sk = bytes(range(32))
    want = spec_keys(sk)
    assert derive_ak(want["ask"]) == want["ak"]
    assert derive_owner(want["ak"], want["nk"]) == want["owner"]
    assert hkdf(sk, b"shielded/ivk") == want["ivk"]
    # the salt argument: HKDF with a salt is a different function from HKDF without one
    assert hkdf(sk, b"x", salt=b"s" * 32) == HKDF(algorithm=hashes.SHA256(), length=32, salt=b"s" * 32,
                                                 info=b"x").derive(sk)
    assert hkdf(sk, b"x", salt=b"s" * 32) != hkdf(sk, b"x")
    assert x25519_public(want["ivk"]) == want["pk_enc"]


def test_x25519_key_agreement_with_address():
    """pk_enc = X25519(ivk, 9): a sender's X25519(esk, pk_enc) equals the recipient's X25519(ivk, epk)."""
    key = SpendingKey(bytes(range(100, 132)))
    esk = bytes(range(32))
    epk = spec_x25519_base(esk)
    a = X25519PrivateKey.from_private_bytes(esk).exchange(X25519PublicKey.from_public_bytes(key.address().pk_enc))
    b = X25519PrivateKey.from_private_bytes(key.ivk).exchange(X25519PublicKey.from_public_bytes(epk))
    assert a == b


def test_domain_separation_between_derived_keys():
    key = SpendingKey(bytes(range(32)))
    fvk = key.full_viewing_key()
    digests = {key.ask, key.nk, fvk.ak, key.owner}
    assert len(digests) == 4
    assert key.ivk != key.ovk


@given(SK, SK)
def test_different_keys_give_different_owners(a, b):
    assume(a != b)
    ka, kb = SpendingKey(a), SpendingKey(b)
    assert ka.owner != kb.owner
    assert ka.nk != kb.nk and ka.ask != kb.ask
    assert ka.ivk != kb.ivk and ka.ovk != kb.ovk
    assert ka.address() != kb.address()


@given(SK)
def test_full_viewing_key_owner_equals_spending_key_owner(sk):
    key = SpendingKey(sk)
    fvk = key.full_viewing_key()
    assert isinstance(fvk, FullViewingKey)
    assert fvk.owner == key.owner
    ivk = fvk.incoming()
    assert isinstance(ivk, IncomingViewingKey)
    assert ivk.owner == key.owner and ivk.ivk == key.ivk
    assert ivk.pk_enc == key.address().pk_enc
    # the viewing key holds no spend authorising key: ask appears nowhere in it
    assert key.ask not in (fvk.ak, fvk.nk)


def test_generate_gives_fresh_valid_keys():
    a, b = SpendingKey.generate(), SpendingKey.generate()
    assert len(a.sk) == 32 and len(b.sk) == 32
    assert a.sk != b.sk and a.owner != b.owner


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33, b"\x00" * 64, "0" * 32, None, 5, [0] * 32],
                         ids=["empty", "31", "33", "64", "str", "None", "int", "list"])
def test_spending_key_rejects_wrong_lengths_and_types(bad):
    with pytest.raises(EncodingError, match="32 bytes"):
        SpendingKey(bad)
