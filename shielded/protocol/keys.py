"""Keys (SPEC.md, Part II, "Keys").

    spending key sk (32 random bytes)
      ask = H(KEY_ASK, sk)       spend authorising key (private; proves ownership in the circuit)
      nk  = H(KEY_NK, sk)        nullifier key
      ak  = H(AK, ask)           its public commitment
      owner = H(OWNER, ak || nk) the owner digest a note names
      ivk = HKDF-SHA256(sk, "shielded/ivk")   X25519 secret: decrypts incoming notes
      ovk = HKDF-SHA256(sk, "shielded/ovk")   recovers what this key sent
    full viewing key (ak, nk, ivk, ovk): sees incoming and outgoing notes and detects spends
      (nk gives nullifiers) but cannot spend (that needs ask, a preimage of ak)
    incoming viewing key (owner, ivk): sees incoming notes only

H(tag, x) is the Poseidon2 sponge; sk enters it as 11 elements (3 bytes each).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shielded.errors import EncodingError
from shielded.hash.sponge import Tag, hash_elements
from shielded.protocol.encoding import Digest, bytes_to_elements


def hkdf(ikm: bytes, info: bytes, salt: bytes = b"", length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(ikm)


def x25519_public(secret: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization
    pk = X25519PrivateKey.from_private_bytes(secret).public_key()
    return pk.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def derive_ak(ask: Digest) -> Digest:
    return hash_elements(Tag.AK, ask)


def derive_owner(ak: Digest, nk: Digest) -> Digest:
    return hash_elements(Tag.OWNER, list(ak) + list(nk))


@dataclass(frozen=True)
class IncomingViewingKey:
    owner: Digest
    ivk: bytes

    @property
    def pk_enc(self) -> bytes:
        return x25519_public(self.ivk)


@dataclass(frozen=True)
class FullViewingKey:
    ak: Digest
    nk: Digest
    ivk: bytes
    ovk: bytes

    @property
    def owner(self) -> Digest:
        return derive_owner(self.ak, self.nk)

    def incoming(self) -> IncomingViewingKey:
        return IncomingViewingKey(self.owner, self.ivk)


@dataclass(frozen=True)
class SpendingKey:
    sk: bytes

    def __post_init__(self):
        if not isinstance(self.sk, (bytes, bytearray)) or len(self.sk) != 32:
            raise EncodingError("a spending key is 32 bytes")

    @classmethod
    def generate(cls) -> "SpendingKey":
        return cls(os.urandom(32))

    def _elements(self) -> list[int]:
        return bytes_to_elements(self.sk)

    @property
    def ask(self) -> Digest:
        return hash_elements(Tag.KEY_ASK, self._elements())

    @property
    def nk(self) -> Digest:
        return hash_elements(Tag.KEY_NK, self._elements())

    @property
    def ivk(self) -> bytes:
        return hkdf(self.sk, b"shielded/ivk")

    @property
    def ovk(self) -> bytes:
        return hkdf(self.sk, b"shielded/ovk")

    def full_viewing_key(self) -> FullViewingKey:
        return FullViewingKey(derive_ak(self.ask), self.nk, self.ivk, self.ovk)

    @property
    def owner(self) -> Digest:
        return self.full_viewing_key().owner

    def address(self):
        from shielded.protocol.address import Address
        fvk = self.full_viewing_key()
        return Address(fvk.owner, x25519_public(fvk.ivk))
