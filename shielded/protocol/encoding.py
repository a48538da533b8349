"""Byte helpers shared by the protocol encodings."""

from __future__ import annotations

from typing import Sequence

from shielded.errors import EncodingError
from shielded.field.koalabear import P

Digest = tuple[int, ...]


def digest_to_bytes(d: Sequence[int]) -> bytes:
    """8 elements -> 32 bytes (4-byte big-endian words)."""
    return b"".join(int(x).to_bytes(4, "big") for x in d)


def digest_from_bytes(data: bytes, what: str) -> Digest:
    if len(data) != 32:
        raise EncodingError(f"{what}: a digest is 32 bytes, got {len(data)}")
    out = tuple(int.from_bytes(data[i:i + 4], "big") for i in range(0, 32, 4))
    if any(x >= P for x in out):
        raise EncodingError(f"{what}: digest element is not a field element (>= p)")
    return out


def bytes_to_elements(data: bytes) -> list[int]:
    """Pack bytes 3 per element (big-endian, the last group zero-padded); each element < 2^24."""
    padded = bytes(data) + b"\x00" * (-len(data) % 3)
    return [int.from_bytes(padded[i:i + 3], "big") for i in range(0, len(padded), 3)]


def check_int(value, lo: int, hi: int, what: str) -> int:
    """An int in [lo, hi) (bool excluded), else EncodingError naming ``what``."""
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value < hi:
        raise EncodingError(f"{what} must be an integer in [{lo}, {hi}), got {value!r}")
    return value


def check_digest(d, what: str) -> Digest:
    """``d`` as a tuple of 8 ints in [0, p) (bool excluded), else EncodingError naming ``what``."""
    try:
        d = tuple(d)
    except TypeError:
        raise EncodingError(f"{what}: expected 8 field elements, got {type(d).__name__}") from None
    if len(d) != 8 or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < P for x in d):
        raise EncodingError(f"{what}: expected 8 field elements")
    return tuple(int(x) for x in d)
