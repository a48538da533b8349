"""Note encryption (SPEC.md, Part II, "Note encryption").

To send note n with commitment cm to address (owner, pk_enc), the sender draws an ephemeral
X25519 key esk, epk = X25519(esk, base), and computes

    shared = X25519(esk, pk_enc)
    k_enc  = HKDF-SHA256(shared, salt = epk || pk_enc, info = "shielded/note")
    enc    = ChaCha20-Poly1305(k_enc, nonce = 0^12, aad = cm, plaintext)        93 bytes
    ock    = HKDF-SHA256(ovk, salt = cm || epk, info = "shielded/outgoing")
    out    = ChaCha20-Poly1305(ock, nonce = 0^12, aad = "", owner || pk_enc || esk)  112 bytes
    ciphertext = epk || enc || out                                              237 bytes

plaintext = 0x01 || asset (4) || value (8) || rcm (8 x 4) || memo (32) = 77 bytes.
Each key is used for one message, so the fixed nonce is safe.  The recipient trial-decrypts every
output with its ivk; the sender recovers what it sent with its ovk.  Both recompute cm from the
decrypted note and the owner and reject a mismatch: a commitment that does not open to the
encrypted note is detected.  Every ciphertext has the same size (dummy outputs included).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from shielded.errors import EncodingError, ShieldedError
from shielded.protocol.address import Address
from shielded.protocol.encoding import Digest, digest_from_bytes, digest_to_bytes
from shielded.protocol.keys import hkdf, x25519_public
from shielded.protocol.note import Note, note_commitment

PLAINTEXT_VERSION = 1
MEMO_LEN = 32
PLAINTEXT_LEN = 1 + 4 + 8 + 32 + MEMO_LEN          # 77
ENC_LEN = PLAINTEXT_LEN + 16                        # 93
OUT_LEN = 32 + 32 + 32 + 16                         # 112
CIPHERTEXT_LEN = 32 + ENC_LEN + OUT_LEN             # 237
_NONCE = b"\x00" * 12


class DecryptionError(ShieldedError):
    """A ciphertext is not for this key, is corrupted, or does not open its commitment."""


def _shared(secret: bytes, public: bytes) -> bytes:
    try:
        return X25519PrivateKey.from_private_bytes(secret).exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as e:  # low-order point
        raise DecryptionError(f"invalid ephemeral key: {e}") from None


def encode_plaintext(note: Note, memo: bytes) -> bytes:
    if len(memo) > MEMO_LEN:
        raise EncodingError(f"memo is at most {MEMO_LEN} bytes")
    return (bytes([PLAINTEXT_VERSION]) + note.asset.to_bytes(4, "big") + note.value.to_bytes(8, "big")
            + digest_to_bytes(note.rcm) + memo.ljust(MEMO_LEN, b"\x00"))


def decode_plaintext(pt: bytes, owner: Digest) -> tuple[Note, bytes]:
    if len(pt) != PLAINTEXT_LEN or pt[0] != PLAINTEXT_VERSION:
        raise DecryptionError("note plaintext has the wrong version or length")
    try:
        rcm = digest_from_bytes(pt[13:45], "rcm")
        note = Note(int.from_bytes(pt[1:5], "big"), int.from_bytes(pt[5:13], "big"), owner, rcm)
    except EncodingError as e:
        raise DecryptionError(f"note plaintext is malformed: {e}") from None
    return note, pt[45:]


def encrypt_note(note: Note, recipient: Address, ovk: bytes, memo: bytes = b"",
                 esk: bytes | None = None) -> bytes:
    if tuple(note.owner) != tuple(recipient.owner):
        raise EncodingError("the note's owner is not the recipient address's owner")
    esk = esk if esk is not None else os.urandom(32)
    epk = x25519_public(esk)
    cm = digest_to_bytes(note_commitment(note))
    k_enc = hkdf(_shared(esk, recipient.pk_enc), b"shielded/note", salt=epk + recipient.pk_enc)
    enc = ChaCha20Poly1305(k_enc).encrypt(_NONCE, encode_plaintext(note, memo), cm)
    ock = hkdf(ovk, b"shielded/outgoing", salt=cm + epk)
    out = ChaCha20Poly1305(ock).encrypt(_NONCE, digest_to_bytes(recipient.owner) + recipient.pk_enc + esk, b"")
    ct = epk + enc + out
    assert len(ct) == CIPHERTEXT_LEN
    return ct


@dataclass(frozen=True)
class DecryptedNote:
    note: Note
    memo: bytes
    recipient: Address


def _split(ct: bytes):
    if not isinstance(ct, (bytes, bytearray)) or len(ct) != CIPHERTEXT_LEN:
        raise DecryptionError(f"a note ciphertext is {CIPHERTEXT_LEN} bytes")
    return ct[:32], ct[32:32 + ENC_LEN], ct[32 + ENC_LEN:]


def _open(k_enc: bytes, enc: bytes, cm: Digest, owner: Digest, recipient: Address) -> DecryptedNote:
    try:
        pt = ChaCha20Poly1305(k_enc).decrypt(_NONCE, enc, digest_to_bytes(cm))
    except InvalidTag:
        raise DecryptionError("ciphertext does not decrypt under this key") from None
    note, memo = decode_plaintext(pt, owner)
    if note_commitment(note) != tuple(cm):
        raise DecryptionError("the output commitment does not open to the encrypted note")
    return DecryptedNote(note, memo.rstrip(b"\x00"), recipient)


def try_decrypt_incoming(ivk: bytes, owner: Digest, cm: Digest, ct: bytes) -> DecryptedNote:
    """Trial decryption by a recipient; raises DecryptionError if the output is not theirs or
    does not open its commitment."""
    epk, enc, _ = _split(ct)
    pk_enc = x25519_public(ivk)
    k_enc = hkdf(_shared(ivk, epk), b"shielded/note", salt=epk + pk_enc)
    return _open(k_enc, enc, cm, owner, Address(owner, pk_enc))


def try_recover_outgoing(ovk: bytes, cm: Digest, ct: bytes) -> DecryptedNote:
    """Recovery by the sender with its outgoing viewing key."""
    epk, enc, out = _split(ct)
    ock = hkdf(ovk, b"shielded/outgoing", salt=digest_to_bytes(cm) + epk)
    try:
        pt = ChaCha20Poly1305(ock).decrypt(_NONCE, out, b"")
    except InvalidTag:
        raise DecryptionError("ciphertext was not sent with this outgoing key") from None
    try:
        owner = digest_from_bytes(pt[:32], "recipient owner")
    except EncodingError as e:
        raise DecryptionError(str(e)) from None
    pk_enc, esk = pt[32:64], pt[64:96]
    if x25519_public(esk) != epk:
        raise DecryptionError("outgoing record does not match the ephemeral key")
    k_enc = hkdf(_shared(esk, pk_enc), b"shielded/note", salt=epk + pk_enc)
    return _open(k_enc, enc, cm, owner, Address(owner, pk_enc))
