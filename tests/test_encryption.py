"""Note encryption (SPEC.md section 21).

    plaintext (77) = 0x02 || asset u32 || value u64 || rcm (8 x u32) || memo_len u8 || memo (0-31)
                     || zero padding to 77 bytes
    epk   = X25519(esk, 9)
    k_enc = HKDF-SHA256(X25519(esk, pk_enc), salt = epk || pk_enc, info = "shielded/note")
    enc   = ChaCha20-Poly1305(k_enc, 0^12, aad = cm bytes)(plaintext)                   93 bytes
    ock   = HKDF-SHA256(ovk, salt = cm bytes || epk, info = "shielded/outgoing")
    out   = ChaCha20-Poly1305(ock, 0^12, aad = "")(owner || pk_enc || esk)            112 bytes
    ciphertext = epk || enc || out                                                     237 bytes

The key schedule and the plaintext layout are recomputed here with the ``cryptography`` package.
Integrity: epk and enc are authenticated towards the recipient (AEAD with cm as associated data);
``out`` is authenticated towards the sender only: SPEC section 21 gives the recipient no check on it
(in a transaction the proof binds all 237 bytes through ciphertext_hash, section 22).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

from shielded.errors import EncodingError
from shielded.field.koalabear import P
from shielded.protocol.encryption import (DecryptionError, decode_plaintext, encode_plaintext, encrypt_note,
                                          try_decrypt_incoming, try_recover_outgoing)
from shielded.protocol.keys import SpendingKey
from shielded.protocol.note import Note, note_commitment, random_rcm
from shielded.testing.protocol import note_values, spending_keys

CT_LEN, EPK, ENC_END = 237, 32, 32 + 93
NONCE = b"\x00" * 12
MEMO = st.binary(max_size=31)
MAX_MEMO = 31

SENDER = SpendingKey(bytes(range(32)))
RECIPIENT = SpendingKey(bytes(range(32, 64)))
THIRD = SpendingKey(bytes(range(64, 96)))


def words(d) -> bytes:
    return b"".join(int(x).to_bytes(4, "big") for x in d)


def spec_hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def spec_x25519(secret: bytes, public: bytes | None = None) -> bytes:
    sk = X25519PrivateKey.from_private_bytes(secret)
    if public is None:
        return sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sk.exchange(X25519PublicKey.from_public_bytes(public))


def spec_plaintext(note: Note, memo: bytes) -> bytes:
    return (b"\x02" + note.asset.to_bytes(4, "big") + note.value.to_bytes(8, "big") + words(note.rcm)
            + bytes([len(memo)]) + memo + b"\x00" * (31 - len(memo)))


def spec_k_enc(esk: bytes, pk_enc: bytes) -> bytes:
    epk = spec_x25519(esk)
    return spec_hkdf(spec_x25519(esk, pk_enc), epk + pk_enc, b"shielded/note")


def spec_ock(ovk: bytes, cm, epk: bytes) -> bytes:
    return spec_hkdf(ovk, words(cm) + epk, b"shielded/outgoing")


def make_note(key: SpendingKey, value: int = 1234, asset: int = 7, rcm=None) -> Note:
    return Note(asset, value, key.owner, rcm if rcm is not None else random_rcm())


@pytest.fixture(scope="module")
def sent():
    """One note from SENDER to RECIPIENT with a memo and a fixed esk."""
    note = make_note(RECIPIENT, value=(1 << 64) - 1, asset=(1 << 30) - 1, rcm=tuple(range(P - 8, P)))
    cm = note_commitment(note)
    esk = bytes(range(200, 232))
    ct = encrypt_note(note, RECIPIENT.address(), SENDER.ovk, b"lunch", esk=esk)
    return note, cm, ct, esk


# -- round trips -----------------------------------------------------------------------------

@given(spending_keys(), spending_keys(), note_values(), st.integers(0, (1 << 30) - 1), MEMO)
def test_round_trip_recipient_and_sender(sender, recipient, value, asset, memo):
    note = make_note(recipient, value, asset)
    cm = note_commitment(note)
    addr = recipient.address()
    ct = encrypt_note(note, addr, sender.ovk, memo)
    assert len(ct) == CT_LEN
    fvk = recipient.full_viewing_key()
    got = try_decrypt_incoming(fvk.ivk, fvk.owner, cm, ct)
    assert got.note == note
    assert got.memo == memo                     # exactly, trailing zero bytes included (section 21)
    assert got.recipient == addr
    back = try_recover_outgoing(sender.ovk, cm, ct)
    assert back.note == note and back.memo == got.memo and back.recipient == addr


def test_memo_round_trip_exact(sent):
    note, cm, ct, _ = sent
    got = try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, ct)
    assert got.memo == b"lunch"
    assert try_recover_outgoing(SENDER.ovk, cm, ct).memo == b"lunch"
    full = bytes(range(1, 32))
    ct2 = encrypt_note(note, RECIPIENT.address(), SENDER.ovk, full)
    assert try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, ct2).memo == full


@pytest.mark.parametrize("memo", [b"ab\x00\x00", b"\x00", b"\x00" * 31, b"x" + b"\x00" * 30, b"", b"\x00ab"],
                         ids=["trailing-zeros", "one-zero", "31-zeros", "x-then-zeros", "empty", "leading-zero"])
def test_memo_with_zero_bytes_round_trips(sent, memo):
    """Regression: version 1 stripped trailing zeros (b"ab\0\0" came back as b"ab")."""
    note, cm, _, _ = sent
    ct = encrypt_note(note, RECIPIENT.address(), SENDER.ovk, memo)
    assert try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, ct).memo == memo
    assert try_recover_outgoing(SENDER.ovk, cm, ct).memo == memo


def test_third_party_cannot_decrypt(sent):
    note, cm, ct, _ = sent
    with pytest.raises(DecryptionError, match="decrypt"):
        try_decrypt_incoming(THIRD.ivk, THIRD.owner, cm, ct)
    with pytest.raises(DecryptionError, match="outgoing"):
        try_recover_outgoing(THIRD.ovk, cm, ct)
    # the sender's ovk is not an incoming key, the recipient's ivk/ovk are not the sender's ovk
    with pytest.raises(DecryptionError):
        try_decrypt_incoming(SENDER.ivk, SENDER.owner, cm, ct)
    with pytest.raises(DecryptionError):
        try_recover_outgoing(RECIPIENT.ovk, cm, ct)


def test_recipient_ivk_with_wrong_owner_fails(sent):
    """The recipient recomputes cm with the owner it is given: someone else's owner does not open cm."""
    note, cm, ct, _ = sent
    with pytest.raises(DecryptionError, match="commitment"):
        try_decrypt_incoming(RECIPIENT.ivk, THIRD.owner, cm, ct)


@pytest.mark.parametrize("memo_len", [0, 1, 16, 30, 31])
@pytest.mark.parametrize("value", [0, 1, (1 << 64) - 1])
def test_ciphertext_length_constant(memo_len, value):
    note = make_note(RECIPIENT, value)
    ct = encrypt_note(note, RECIPIENT.address(), SENDER.ovk, b"m" * memo_len)
    assert len(ct) == CT_LEN


@pytest.mark.parametrize("length", [32, 33, 100])
def test_memo_too_long_rejected(length):
    note = make_note(RECIPIENT)
    with pytest.raises(EncodingError, match=f"memo is at most 31 bytes, got {length}"):
        encrypt_note(note, RECIPIENT.address(), SENDER.ovk, b"m" * length)


@pytest.mark.parametrize("memo", ["hi", None, 5, [1, 2]], ids=["str", "None", "int", "list"])
def test_memo_of_another_type_rejected(memo):
    with pytest.raises(EncodingError, match="memo must be bytes"):
        encrypt_note(make_note(RECIPIENT), RECIPIENT.address(), SENDER.ovk, memo)


def test_encrypt_refuses_a_recipient_that_is_not_an_address():
    with pytest.raises(EncodingError, match="recipient must be an Address, got str"):
        encrypt_note(make_note(RECIPIENT), str(RECIPIENT.address()), SENDER.ovk)


def test_fresh_esk_each_time():
    note = make_note(RECIPIENT)
    a = encrypt_note(note, RECIPIENT.address(), SENDER.ovk)
    b = encrypt_note(note, RECIPIENT.address(), SENDER.ovk)
    assert a[:EPK] != b[:EPK] and a != b


def test_encrypt_refuses_note_of_another_owner():
    note = make_note(THIRD)
    with pytest.raises(EncodingError, match="owner"):
        encrypt_note(note, RECIPIENT.address(), SENDER.ovk)


# -- integrity -------------------------------------------------------------------------------

def test_every_single_byte_change_detected(sent):
    """Every position of the 237 bytes, two different changes each.  The sender's recovery fails for
    every position; the recipient's decryption fails for every position of epk || enc (0..124), while
    a change confined to ``out`` (125..236) is invisible to the recipient by design (SPEC section 21:
    only the sender opens ``out``), who still gets the original note."""
    note, cm, ct, _ = sent
    for i in range(CT_LEN):
        for delta in (0x01, 0x80):
            bad = ct[:i] + bytes([ct[i] ^ delta]) + ct[i + 1:]
            with pytest.raises(DecryptionError):
                try_recover_outgoing(SENDER.ovk, cm, bad)
            if i < ENC_END:
                with pytest.raises(DecryptionError):
                    try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, bad)
            else:
                assert try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, bad).note == note


@pytest.mark.parametrize("length", [0, 1, 236, 238, 474])
def test_wrong_ciphertext_length(sent, length):
    _, cm, ct, _ = sent
    bad = (ct * 2)[:length]
    with pytest.raises(DecryptionError, match="237"):
        try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, bad)
    with pytest.raises(DecryptionError, match="237"):
        try_recover_outgoing(SENDER.ovk, cm, bad)


def test_low_order_ephemeral_key(sent):
    _, cm, ct, _ = sent
    bad = bytes(32) + ct[EPK:]           # u = 0: a low-order point, X25519 gives the all-zero secret
    with pytest.raises(DecryptionError):
        try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, bad)
    with pytest.raises(DecryptionError):
        try_recover_outgoing(SENDER.ovk, cm, bad)


def test_different_commitment_detected(sent):
    """The ciphertext presented with the commitment of another note."""
    note, cm, ct, _ = sent
    other = note_commitment(Note(note.asset, note.value, note.owner, random_rcm()))
    with pytest.raises(DecryptionError, match="commitment|decrypt"):
        try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, other, ct)
    with pytest.raises(DecryptionError, match="commitment|decrypt|outgoing"):
        try_recover_outgoing(SENDER.ovk, other, ct)


def test_ciphertext_of_other_rcm_with_original_commitment(sent):
    """A ciphertext made for the same note with another rcm, presented with the original cm."""
    note, cm, _, _ = sent
    twin = Note(note.asset, note.value, note.owner, random_rcm())
    ct = encrypt_note(twin, RECIPIENT.address(), SENDER.ovk, b"lunch")
    with pytest.raises(DecryptionError, match="commitment|decrypt"):
        try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, ct)
    with pytest.raises(DecryptionError, match="commitment|decrypt|outgoing"):
        try_recover_outgoing(SENDER.ovk, cm, ct)


def test_forged_ciphertext_that_authenticates_but_does_not_open_cm(sent):
    """The strongest form: an AEAD-valid ciphertext (built here with the SPEC key schedule, cm as
    associated data) whose plaintext is another note.  Only the recomputation of cm catches it."""
    note, cm, _, _ = sent
    twin = Note(note.asset, note.value + 1 if note.value < (1 << 64) - 1 else 0, note.owner, note.rcm)
    esk = bytes(range(1, 33))
    epk = spec_x25519(esk)
    pk_enc = RECIPIENT.address().pk_enc
    enc = ChaCha20Poly1305(spec_k_enc(esk, pk_enc)).encrypt(NONCE, spec_plaintext(twin, b""), words(cm))
    out = ChaCha20Poly1305(spec_ock(SENDER.ovk, cm, epk)).encrypt(NONCE, words(RECIPIENT.owner) + pk_enc + esk, b"")
    forged = epk + enc + out
    assert len(forged) == CT_LEN
    with pytest.raises(DecryptionError, match="commitment does not open"):
        try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, forged)
    with pytest.raises(DecryptionError, match="commitment does not open"):
        try_recover_outgoing(SENDER.ovk, cm, forged)
    # control: the same construction with the true note is accepted (so the rejection above is the cm check)
    enc_ok = ChaCha20Poly1305(spec_k_enc(esk, pk_enc)).encrypt(NONCE, spec_plaintext(note, b""), words(cm))
    assert try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, epk + enc_ok + out).note == note
    assert try_recover_outgoing(SENDER.ovk, cm, epk + enc_ok + out).note == note


def test_outgoing_record_with_wrong_esk_detected(sent):
    """``out`` must carry the esk of epk."""
    note, cm, ct, esk = sent
    epk = ct[:EPK]
    pk_enc = RECIPIENT.address().pk_enc
    other_esk = bytes(range(2, 34))
    out = ChaCha20Poly1305(spec_ock(SENDER.ovk, cm, epk)).encrypt(NONCE, words(RECIPIENT.owner) + pk_enc + other_esk,
                                                                  b"")
    with pytest.raises(DecryptionError, match="ephemeral"):
        try_recover_outgoing(SENDER.ovk, cm, ct[:ENC_END] + out)


# -- the key schedule and layout, recomputed --------------------------------------------------

def test_key_schedule_and_plaintext_layout(sent):
    note, cm, ct, esk = sent
    pk_enc = RECIPIENT.address().pk_enc
    epk = spec_x25519(esk)
    assert ct[:EPK] == epk
    # the recipient side of the agreement gives the same k_enc
    assert spec_hkdf(spec_x25519(RECIPIENT.ivk, epk), epk + pk_enc, b"shielded/note") == spec_k_enc(esk, pk_enc)
    pt = ChaCha20Poly1305(spec_k_enc(esk, pk_enc)).decrypt(NONCE, ct[EPK:ENC_END], words(cm))
    assert len(pt) == 77
    assert pt[0] == 0x02
    assert int.from_bytes(pt[1:5], "big") == note.asset
    assert int.from_bytes(pt[5:13], "big") == note.value
    assert tuple(int.from_bytes(pt[13 + 4 * i:17 + 4 * i], "big") for i in range(8)) == note.rcm
    assert pt[45] == 5 and pt[46:] == b"lunch" + b"\x00" * 26
    assert pt == spec_plaintext(note, b"lunch")
    rec = ChaCha20Poly1305(spec_ock(SENDER.ovk, cm, epk)).decrypt(NONCE, ct[ENC_END:], b"")
    assert rec == words(RECIPIENT.owner) + pk_enc + esk
    # with the same esk, encryption is a function: the whole ciphertext is reproduced
    assert encrypt_note(note, RECIPIENT.address(), SENDER.ovk, b"lunch", esk=esk) == ct
    expect = epk + ChaCha20Poly1305(spec_k_enc(esk, pk_enc)).encrypt(NONCE, pt, words(cm)) + \
        ChaCha20Poly1305(spec_ock(SENDER.ovk, cm, epk)).encrypt(NONCE, rec, b"")
    assert expect == ct


def test_aad_is_the_commitment(sent):
    """enc authenticates cm: decrypting with empty associated data fails."""
    from cryptography.exceptions import InvalidTag
    _, cm, ct, esk = sent
    with pytest.raises(InvalidTag):
        ChaCha20Poly1305(spec_k_enc(esk, RECIPIENT.address().pk_enc)).decrypt(NONCE, ct[EPK:ENC_END], b"")


# -- plaintext codec ---------------------------------------------------------------------------

@given(note_values(), st.integers(0, (1 << 30) - 1), MEMO)
def test_plaintext_codec(value, asset, memo):
    note = make_note(RECIPIENT, value, asset)
    pt = encode_plaintext(note, memo)
    assert pt == spec_plaintext(note, memo)
    back, memo_back = decode_plaintext(pt, RECIPIENT.owner)
    assert back == note and memo_back == memo


def with_memo_field(pt: bytes, length: int, body: bytes) -> bytes:
    """``pt`` with memo_len and the 31 bytes after it replaced."""
    assert len(body) == 31
    return pt[:45] + bytes([length]) + body


@pytest.mark.parametrize("mutate, what", [
    (lambda pt: b"\x01" + pt[1:], "version"),
    (lambda pt: b"\x03" + pt[1:], "version"),
    (lambda pt: b"\x00" + pt[1:], "version"),
    (lambda pt: pt[:-1], "length"),
    (lambda pt: pt + b"\x00", "length"),
    (lambda pt: pt[:1] + (1 << 30).to_bytes(4, "big") + pt[5:], "asset >= 2^30"),
    (lambda pt: pt[:13] + P.to_bytes(4, "big") + pt[17:], "rcm element = p"),
    (lambda pt: pt[:41] + b"\xff\xff\xff\xff" + pt[45:], "rcm element = 2^32 - 1"),
    (lambda pt: with_memo_field(pt, 32, b"m" * 31), "memo length 32 exceeds 31"),
    (lambda pt: with_memo_field(pt, 255, b"m" * 31), "memo length 255 exceeds 31"),
    (lambda pt: with_memo_field(pt, 2, b"ab" + b"\x00" * 28 + b"\x01"), "padding is not zero"),
    (lambda pt: with_memo_field(pt, 0, b"\x80" + b"\x00" * 30), "padding is not zero"),
    (lambda pt: with_memo_field(pt, 30, b"m" * 31), "padding is not zero"),
], ids=["version1", "version3", "version0", "short", "long", "asset", "rcm-p", "rcm-max", "memo-len-32",
        "memo-len-255", "padding-last", "padding-first", "padding-after-30"])
def test_decode_plaintext_rejects(mutate, what):
    pt = encode_plaintext(make_note(RECIPIENT), b"")
    decode_plaintext(pt, RECIPIENT.owner)                  # the unchanged plaintext decodes
    match = {"version": "expected version 2 and 77 bytes", "length": "expected version 2 and 77 bytes"}.get(what)
    with pytest.raises(DecryptionError, match=match or ("asset|rcm" if "=" in what else what)):
        decode_plaintext(mutate(pt), RECIPIENT.owner)


def test_decode_plaintext_accepts_the_longest_memo():
    pt = with_memo_field(encode_plaintext(make_note(RECIPIENT), b""), 31, b"\x00" * 30 + b"z")
    assert decode_plaintext(pt, RECIPIENT.owner)[1] == b"\x00" * 30 + b"z"


def test_plaintext_with_a_bad_memo_field_is_rejected_through_decryption(sent):
    """An AEAD-valid ciphertext (SPEC key schedule) whose plaintext claims memo_len 32: the
    recipient and the sender both refuse it."""
    note, cm, _, _ = sent
    esk = bytes(range(3, 35))
    epk = spec_x25519(esk)
    pk_enc = RECIPIENT.address().pk_enc
    bad_pt = with_memo_field(spec_plaintext(note, b""), 32, b"m" * 31)
    enc = ChaCha20Poly1305(spec_k_enc(esk, pk_enc)).encrypt(NONCE, bad_pt, words(cm))
    out = ChaCha20Poly1305(spec_ock(SENDER.ovk, cm, epk)).encrypt(NONCE, words(RECIPIENT.owner) + pk_enc + esk, b"")
    with pytest.raises(DecryptionError, match="memo length 32 exceeds 31"):
        try_decrypt_incoming(RECIPIENT.ivk, RECIPIENT.owner, cm, epk + enc + out)
    with pytest.raises(DecryptionError, match="memo length 32 exceeds 31"):
        try_recover_outgoing(SENDER.ovk, cm, epk + enc + out)
