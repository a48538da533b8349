"""Note encryption (SPEC.md, Part II, "Note encryption").

To send note n with commitment cm to address (owner, pk_enc), the sender draws an ephemeral
X25519 key esk, epk = X25519(esk, base), and computes

    shared = X25519(esk, pk_enc)
    k_enc  = HKDF-SHA256(shared, salt = epk || pk_enc, info = "shielded/note", 32 bytes)
    enc    = ChaCha20-Poly1305(k_enc, nonce = 0^12, aad = cm, plaintext)        93 bytes
    ock    = HKDF-SHA256(ovk, salt = cm || epk, info = "shielded/outgoing", 32 bytes)
    out    = ChaCha20-Poly1305(ock, nonce = 0^12, aad = "", owner || pk_enc || esk)  112 bytes
    ciphertext = epk || enc || out                                              237 bytes

cm, owner and rcm are digests written as 8 x 4-byte big-endian words.  Plaintext, version 2:

    0x02 || asset (u32) || value (u64) || rcm (32) || memo_len (u8) || memo || zero padding
                                                                                = 77 bytes,

so a memo is 0 to 31 arbitrary bytes (trailing zero bytes included) and comes back exactly.
Decoding rejects any other version, memo_len > 31 and non-zero padding.  (Version 1 had a
32-byte zero-padded memo without a length, so trailing zeros were lost; it is not accepted.)
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

PLAINTEXT_VERSION = 2
MAX_MEMO_LEN = 31
_MEMO_AT = 1 + 4 + 8 + 32                           # offset of memo_len
PLAINTEXT_LEN = _MEMO_AT + 1 + MAX_MEMO_LEN         # 77
ENC_LEN = PLAINTEXT_LEN + 16                        # 93
OUT_LEN = 32 + 32 + 32 + 16                         # 112
CIPHERTEXT_LEN = 32 + ENC_LEN + OUT_LEN             # 237
_NONCE = b"\x00" * 12


class DecryptionError(ShieldedError):
    """A ciphertext is not for this key, is corrupted, or does not open its commitment."""


def _shared(secret: bytes, public: bytes, what: str) -> bytes:
    """X25519(secret, public); DecryptionError naming ``what`` (the public key) if it is a
    low-order point (the all-zero shared secret, RFC 7748 section 6.1)."""
    try:
        return X25519PrivateKey.from_private_bytes(secret).exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as e:
        raise DecryptionError(f"invalid {what}: {e}") from None


def check_memo(memo, what: str = "memo") -> bytes:
    """``memo`` as bytes of at most MAX_MEMO_LEN bytes, else EncodingError naming ``what``."""
    if not isinstance(memo, (bytes, bytearray)):
        raise EncodingError(f"{what} must be bytes (at most {MAX_MEMO_LEN}), got {type(memo).__name__}")
    if len(memo) > MAX_MEMO_LEN:
        raise EncodingError(f"{what} is at most {MAX_MEMO_LEN} bytes, got {len(memo)}")
    return bytes(memo)


def encode_plaintext(note: Note, memo: bytes) -> bytes:
    """The 77-byte version-2 plaintext; EncodingError if the memo is not bytes of <= 31 bytes."""
    memo = check_memo(memo)
    return (bytes([PLAINTEXT_VERSION]) + note.asset.to_bytes(4, "big") + note.value.to_bytes(8, "big")
            + digest_to_bytes(note.rcm) + bytes([len(memo)]) + memo.ljust(MAX_MEMO_LEN, b"\x00"))


def decode_plaintext(pt: bytes, owner: Digest) -> tuple[Note, bytes]:
    """(note, memo) from a plaintext; DecryptionError for a wrong version or length, an
    out-of-range asset or rcm element, memo_len > 31 or non-zero padding."""
    if len(pt) != PLAINTEXT_LEN or pt[0] != PLAINTEXT_VERSION:
        raise DecryptionError(f"note plaintext: expected version {PLAINTEXT_VERSION} and {PLAINTEXT_LEN} bytes")
    try:
        rcm = digest_from_bytes(pt[13:_MEMO_AT], "rcm")
        note = Note(int.from_bytes(pt[1:5], "big"), int.from_bytes(pt[5:13], "big"), owner, rcm)
    except EncodingError as e:
        raise DecryptionError(f"note plaintext is malformed: {e}") from None
    memo_len = pt[_MEMO_AT]
    if memo_len > MAX_MEMO_LEN:
        raise DecryptionError(f"note plaintext: memo length {memo_len} exceeds {MAX_MEMO_LEN}")
    memo, padding = pt[_MEMO_AT + 1:_MEMO_AT + 1 + memo_len], pt[_MEMO_AT + 1 + memo_len:]
    if any(padding):
        raise DecryptionError("note plaintext: the memo padding is not zero")
    return note, bytes(memo)


def encrypt_note(note: Note, recipient: Address, ovk: bytes, memo: bytes = b"",
                 esk: bytes | None = None) -> bytes:
    """The 237-byte ciphertext of ``note`` for ``recipient``, recoverable with ``ovk``; ``esk``
    (32 bytes) is drawn fresh unless given (fixed only for test vectors).  Raises EncodingError
    for a recipient that is not an Address, a note of another owner or a bad memo."""
    if not isinstance(recipient, Address):
        raise EncodingError(f"recipient must be an Address, got {type(recipient).__name__}")
    if tuple(note.owner) != tuple(recipient.owner):
        raise EncodingError("the note's owner is not the recipient address's owner")
    plaintext = encode_plaintext(note, memo)
    esk = esk if esk is not None else os.urandom(32)
    epk = x25519_public(esk)
    cm = digest_to_bytes(note_commitment(note))
    k_enc = hkdf(_shared(esk, recipient.pk_enc, "recipient encryption key pk_enc"), b"shielded/note",
                 salt=epk + recipient.pk_enc)
    enc = ChaCha20Poly1305(k_enc).encrypt(_NONCE, plaintext, cm)
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


def _open(k_enc: bytes, enc: bytes, cm: Digest, owner: Digest, pk_enc: bytes) -> DecryptedNote:
    try:
        pt = ChaCha20Poly1305(k_enc).decrypt(_NONCE, enc, digest_to_bytes(cm))
    except InvalidTag:
        raise DecryptionError("ciphertext does not decrypt under this key") from None
    note, memo = decode_plaintext(pt, owner)
    if note_commitment(note) != tuple(cm):
        raise DecryptionError("the output commitment does not open to the encrypted note")
    # the Address is built only for a ciphertext that opened (trial decryption stays cheap)
    return DecryptedNote(note, memo, Address(owner, pk_enc))


def try_decrypt_incoming(ivk: bytes, owner: Digest, cm: Digest, ct: bytes) -> DecryptedNote:
    """Trial decryption by a recipient; raises DecryptionError if the output is not theirs or
    does not open its commitment."""
    epk, enc, _ = _split(ct)
    pk_enc = x25519_public(ivk)
    k_enc = hkdf(_shared(ivk, epk, "ephemeral key epk"), b"shielded/note", salt=epk + pk_enc)
    return _open(k_enc, enc, cm, owner, pk_enc)


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
    k_enc = hkdf(_shared(esk, pk_enc, "recorded recipient key pk_enc"), b"shielded/note", salt=epk + pk_enc)
    return _open(k_enc, enc, cm, owner, pk_enc)
