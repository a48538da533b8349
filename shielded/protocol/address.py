"""Addresses: owner digest and encryption key, as Bech32m text (SPEC.md, Part II, "Addresses").

Text form: Bech32m (BIP-350) with human-readable part "shd" over the 64-byte payload
owner (8 x 4-byte big-endian words) || pk_enc (32-byte X25519 key).  The string is 113
characters, longer than BIP-350's 90-character limit, so the guarantee that up to four errors are
always detected does not formally apply; any error pattern still goes undetected with
probability about 2^-30 (the checksum is 30 bits), and the checksum is BCH, designed to catch
substitutions and short bursts first.  Decoding accepts all-lowercase or all-uppercase only.

An Address is validated wherever it is made (constructor, from_bytes, decode): the owner is 8
canonical field elements (stored as a tuple of ints) and pk_enc is 32 bytes that are not a
low-order X25519 point (paying such a key would give the all-zero shared secret, which X25519
refuses).  The owner digest does not commit to pk_enc: an address is an (owner, pk_enc) pair
whose integrity comes from the channel that delivers it (SPEC.md, Part II, "Addresses").
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from shielded.errors import EncodingError
from shielded.protocol.encoding import Digest, check_digest, digest_from_bytes, digest_to_bytes

HRP = "shd"
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
MAX_LEN = 200


def _polymod(values) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GEN[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data, from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = bits = 0
    out = []
    maxv = (1 << to_bits) - 1
    for v in data:
        if v < 0 or v >> from_bits:
            raise EncodingError("bech32m: value out of range")
        acc = (acc << from_bits) | v
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or (acc << (to_bits - bits)) & maxv:
        raise EncodingError("bech32m: invalid padding")
    return out


def bech32m_encode(hrp: str, data: bytes) -> str:
    five = _convert_bits(data, 8, 5, True)
    values = _hrp_expand(hrp) + five
    poly = _polymod(values + [0] * 6) ^ BECH32M_CONST
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in five + checksum)


def bech32m_decode(text: str) -> tuple[str, list[int]]:
    """(hrp, 5-bit data without checksum); raises EncodingError on any defect."""
    if not isinstance(text, str):
        raise EncodingError("bech32m: expected a string")
    if len(text) > MAX_LEN:
        raise EncodingError(f"bech32m: longer than {MAX_LEN} characters")
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise EncodingError("bech32m: invalid character")
    if text.lower() != text and text.upper() != text:
        raise EncodingError("bech32m: mixed case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise EncodingError("bech32m: missing separator or checksum")
    hrp, rest = text[:pos], text[pos + 1:]
    try:
        data = [CHARSET.index(c) for c in rest]
    except ValueError:
        raise EncodingError("bech32m: invalid data character") from None
    if _polymod(_hrp_expand(hrp) + data) != BECH32M_CONST:
        raise EncodingError("bech32m: checksum mismatch (typo?)")
    return hrp, data[:-6]


# Any fixed scalar detects a low-order point: X25519 clamps every scalar to a multiple of the
# cofactor 8, so a point of order dividing 8 always gives the all-zero output, which
# ``exchange`` refuses (RFC 7748, section 6.1).  Points of any other order never give zero.
_PROBE = X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def is_low_order_x25519(pk: bytes) -> bool:
    """True if the 32-byte X25519 public key ``pk`` (any encoding, canonical or not) is a point
    of order 1, 2, 4 or 8, whose shared secret with every private key is zero."""
    try:
        _PROBE.exchange(X25519PublicKey.from_public_bytes(bytes(pk)))
    except ValueError:
        return True
    return False


@dataclass(frozen=True)
class Address:
    """(owner, pk_enc); raises EncodingError naming the field for a malformed owner, a pk_enc
    that is not 32 bytes, or a pk_enc that is a low-order X25519 point."""

    owner: Digest
    pk_enc: bytes

    def __post_init__(self):
        object.__setattr__(self, "owner", check_digest(self.owner, "address owner"))
        if not isinstance(self.pk_enc, (bytes, bytearray)) or len(self.pk_enc) != 32:
            raise EncodingError("address: the encryption key pk_enc is 32 bytes")
        object.__setattr__(self, "pk_enc", bytes(self.pk_enc))
        if is_low_order_x25519(self.pk_enc):
            raise EncodingError("address: the encryption key pk_enc is a low-order X25519 point "
                                "(no shared secret can be agreed with it)")

    def to_bytes(self) -> bytes:
        return digest_to_bytes(self.owner) + bytes(self.pk_enc)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Address":
        if len(data) != 64:
            raise EncodingError(f"address: expected 64 bytes, got {len(data)}")
        return cls(digest_from_bytes(data[:32], "address owner"), bytes(data[32:]))

    def encode(self) -> str:
        return bech32m_encode(HRP, self.to_bytes())

    @classmethod
    def decode(cls, text: str) -> "Address":
        hrp, data = bech32m_decode(text)
        if hrp != HRP:
            raise EncodingError(f"address: expected prefix '{HRP}1', got '{hrp}1'")
        return cls.from_bytes(bytes(_convert_bits(data, 5, 8, False)))

    def __str__(self) -> str:
        return self.encode()
