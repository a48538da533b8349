"""Bounded byte readers and writers for the project's binary formats.

Every read checks the remaining length first and every count is checked against a caller-given
maximum before anything is allocated, so malformed or truncated input raises EncodingError
instead of crashing, hanging or allocating without bound.
"""

from __future__ import annotations

import numpy as np

from shielded.errors import EncodingError
from shielded.field.koalabear import P


class Writer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def u8(self, x: int) -> None:
        self.parts.append(int(x).to_bytes(1, "big"))

    def u16(self, x: int) -> None:
        self.parts.append(int(x).to_bytes(2, "big"))

    def u32(self, x: int) -> None:
        self.parts.append(int(x).to_bytes(4, "big"))

    def raw(self, b: bytes) -> None:
        self.parts.append(bytes(b))

    def elements(self, arr) -> None:
        """Field elements as 4-byte big-endian words."""
        self.parts.append(np.asarray(arr, np.uint32).astype(">u4").tobytes())

    def text(self, s: str) -> None:
        b = s.encode("utf-8")
        self.u16(len(b))
        self.raw(b)

    def bytes(self) -> bytes:
        return b"".join(self.parts)


class Reader:
    def __init__(self, data: bytes, what: str):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise EncodingError(f"{what}: expected bytes, got {type(data).__name__}")
        self.data = bytes(data)
        self.pos = 0
        self.what = what

    def _take(self, n: int, field: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise EncodingError(f"{self.what}: truncated while reading {field} "
                                f"(need {n} bytes at offset {self.pos}, have {len(self.data) - self.pos})")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self, field: str) -> int:
        return self._take(1, field)[0]

    def u16(self, field: str) -> int:
        return int.from_bytes(self._take(2, field), "big")

    def u32(self, field: str) -> int:
        return int.from_bytes(self._take(4, field), "big")

    def count(self, field: str, maximum: int, width: int = 4) -> int:
        n = {1: self.u8, 2: self.u16, 4: self.u32}[width](field)
        if n > maximum:
            raise EncodingError(f"{self.what}: {field} = {n} exceeds the maximum {maximum}")
        return n

    def raw(self, n: int, field: str) -> bytes:
        return self._take(n, field)

    def elements(self, count: int, field: str) -> np.ndarray:
        b = self._take(4 * count, field)
        arr = np.frombuffer(b, ">u4").astype(np.uint32)
        if arr.size and int(arr.max()) >= P:
            raise EncodingError(f"{self.what}: {field} holds a value >= p (non-canonical field element)")
        return arr

    def text(self, field: str, maximum: int = 256) -> str:
        n = self.count(field + " length", maximum, 2)
        try:
            return self._take(n, field).decode("utf-8")
        except UnicodeDecodeError:
            raise EncodingError(f"{self.what}: {field} is not UTF-8") from None

    def expect_end(self) -> None:
        if self.pos != len(self.data):
            raise EncodingError(f"{self.what}: {len(self.data) - self.pos} trailing bytes")
