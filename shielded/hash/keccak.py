"""Keccak-256 (the Ethereum variant, pre-NIST padding) via pycryptodome."""

from __future__ import annotations

from Crypto.Hash import keccak as _keccak


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest used by the EVM's KECCAK256 opcode."""
    h = _keccak.new(digest_bits=256)
    h.update(data)
    return h.digest()
