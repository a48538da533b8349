"""Fiat-Shamir transcripts: a Poseidon2 duplex and a Keccak-256 chain (SPEC.md, "Transcripts").

Both offer the same operations: absorb base elements, extension elements and digests; squeeze
base and extension challenges; grind and check a proof-of-work nonce.  The absorb/squeeze schedule
of every proof is fixed by its verifying key, so the zero padding below is unambiguous.

Poseidon2 duplex: state of 16 elements, capacity initialised to (Tag.TRANSCRIPT, 0, ...).  Absorbed
elements queue up; when 8 are queued, or when a squeeze finds any queued, the rate is overwritten
with the queue (zero-padded) and the state permuted; the new rate becomes the output queue, from
which squeezes take elements in order.  A squeeze with an empty output queue permutes again.

Keccak chain: a 32-byte state d, initially keccak256("shielded/transcript/keccak/v1").  Absorbed
data queue up as bytes (elements as 4-byte big-endian words, digests as their 32 bytes); a squeeze
first folds the queue in, d = keccak256(d || 0x00 || queue) if the queue is non-empty, then sets
d = keccak256(d || 0x01) and returns int(d) mod p.  Cheap on the EVM: one KECCAK256 and one MOD.

Proof of work: absorb the nonce (one base element); the next squeezed element must be below
2^(31 - bits).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from shielded.errors import ParameterError, ProvingError
from shielded.field.ext import Ext
from shielded.field.koalabear import P, check_elements
from shielded.hash.keccak import keccak256
from shielded.hash.keccak_batch import keccak256_rows
from shielded.hash.poseidon2 import absorb_blocks, permute_batch
from shielded.hash.sponge import RATE, WIDTH, Tag

KECCAK_TRANSCRIPT_SEED = b"shielded/transcript/keccak/v1"
MAX_POW_BITS = 30


def pow_threshold(bits: int) -> int:
    if not 0 <= bits <= MAX_POW_BITS:
        raise ParameterError(f"proof-of-work bits must be in [0, {MAX_POW_BITS}], got {bits}")
    return 1 << (31 - bits)


class PoseidonTranscript:
    kind = "poseidon2"

    def __init__(self) -> None:
        self.state = np.zeros(WIDTH, np.uint32)
        self.state[RATE] = int(Tag.TRANSCRIPT)
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    def copy(self) -> "PoseidonTranscript":
        t = PoseidonTranscript.__new__(PoseidonTranscript)
        t.state, t.inputs, t.outputs = self.state.copy(), list(self.inputs), list(self.outputs)
        return t

    def _duplex(self) -> None:
        block = np.zeros((1, RATE), np.uint32)
        block[0, :len(self.inputs)] = self.inputs
        self.state = absorb_blocks(self.state, block)
        self.inputs = []
        self.outputs = [int(x) for x in self.state[:RATE]]

    def absorb_elements(self, values: Sequence[int]) -> None:
        """Queue elements; every full block of 8 is absorbed (runs of blocks in one kernel call,
        equivalent to absorbing them one element at a time)."""
        vals = check_elements(values, "transcript input")
        if not vals:
            return
        self.outputs = []
        take = min(len(vals), RATE - len(self.inputs))
        self.inputs += vals[:take]
        rest = vals[take:]
        if len(self.inputs) == RATE:
            self._duplex()
            full = len(rest) // RATE * RATE
            if full:
                self.state = absorb_blocks(self.state, np.array(rest[:full], np.uint32).reshape(-1, RATE))
                self.outputs = [int(x) for x in self.state[:RATE]]
            self.inputs = list(rest[full:])
            if self.inputs:
                self.outputs = []

    def absorb_ext(self, values: Sequence[Ext]) -> None:
        self.absorb_elements([c for v in values for c in v.c])

    def absorb_digest(self, digest: Sequence[int]) -> None:
        digest = list(digest)
        if len(digest) != 8:
            raise ParameterError(f"a Poseidon2 digest is 8 elements, got {len(digest)}")
        self.absorb_elements(digest)

    def squeeze_base(self) -> int:
        if self.inputs or not self.outputs:
            self._duplex()
        return self.outputs.pop(0)

    def squeeze_ext(self) -> Ext:
        return Ext(*(self.squeeze_base() for _ in range(4)))

    def grind(self, bits: int) -> int:
        """Find the smallest nonce meeting ``bits`` of proof of work (batched search)."""
        threshold = pow_threshold(bits)
        if self.inputs and len(self.inputs) >= RATE:
            raise AssertionError("input queue is never full between calls")
        base = self.state.copy()
        base[:RATE] = 0
        base[:len(self.inputs)] = self.inputs
        pos = len(self.inputs)
        batch = 1 << 14
        for start in range(0, P, batch):
            count = min(batch, P - start)
            states = np.tile(base, (count, 1))
            states[:, pos] = np.arange(start, start + count, dtype=np.uint32)
            first = permute_batch(states)[:, 0]
            hits = np.nonzero(first < threshold)[0]
            if hits.size:
                return start + int(hits[0])
        raise ProvingError("no proof-of-work nonce exists")  # pragma: no cover

    def check_pow(self, nonce: int, bits: int) -> bool:
        """Absorb ``nonce`` and test the next squeezed element (mutates the transcript)."""
        threshold = pow_threshold(bits)
        self.absorb_elements([nonce])
        return self.squeeze_base() < threshold


class KeccakTranscript:
    kind = "keccak"

    def __init__(self) -> None:
        self.d = keccak256(KECCAK_TRANSCRIPT_SEED)
        self.queue = bytearray()

    def copy(self) -> "KeccakTranscript":
        t = KeccakTranscript.__new__(KeccakTranscript)
        t.d, t.queue = self.d, bytearray(self.queue)
        return t

    def absorb_elements(self, values: Sequence[int]) -> None:
        for v in check_elements(values, "transcript input"):
            self.queue += v.to_bytes(4, "big")

    def absorb_ext(self, values: Sequence[Ext]) -> None:
        self.absorb_elements([c for v in values for c in v.c])

    def absorb_digest(self, digest: bytes) -> None:
        if not isinstance(digest, (bytes, bytearray)) or len(digest) != 32:
            raise ParameterError("a Keccak digest is 32 bytes")
        self.queue += digest

    def squeeze_base(self) -> int:
        if self.queue:
            self.d = keccak256(self.d + b"\x00" + bytes(self.queue))
            self.queue = bytearray()
        self.d = keccak256(self.d + b"\x01")
        return int.from_bytes(self.d, "big") % P

    def squeeze_ext(self) -> Ext:
        return Ext(*(self.squeeze_base() for _ in range(4)))

    def grind(self, bits: int) -> int:
        """Find the smallest nonce meeting ``bits`` of proof of work: for each candidate,
        d = keccak256(prefix || nonce) and keccak256(d || 0x01) mod p < threshold, exactly what
        check_pow computes, evaluated for batches of nonces with the numba Keccak kernel."""
        threshold = pow_threshold(bits)
        prefix = np.frombuffer(self.d + b"\x00" + bytes(self.queue), np.uint8)
        batch = 1 << 13
        for start in range(0, P, batch):
            count = min(batch, P - start)
            nonces = np.arange(start, start + count, dtype=np.uint64)
            msgs = np.empty((count, prefix.size + 4), np.uint8)
            msgs[:, :prefix.size] = prefix
            msgs[:, prefix.size:] = nonces.astype(">u4").view(np.uint8).reshape(count, 4)
            d = keccak256_rows(msgs)
            second = np.empty((count, 33), np.uint8)
            second[:, :32] = d
            second[:, 32] = 1
            words = keccak256_rows(second).view(">u4").astype(np.uint64)      # (count, 8)
            acc = np.zeros(count, np.uint64)
            for k in range(8):                  # the 256-bit big-endian value mod p
                acc = ((acc << np.uint64(32)) + words[:, k]) % np.uint64(P)
            hits = np.nonzero(acc < threshold)[0]
            if hits.size:
                return start + int(hits[0])
        raise ProvingError("no proof-of-work nonce exists")  # pragma: no cover

    def check_pow(self, nonce: int, bits: int) -> bool:
        threshold = pow_threshold(bits)
        self.absorb_elements([nonce])
        return self.squeeze_base() < threshold


def new_transcript(kind: str):
    if kind == "poseidon2":
        return PoseidonTranscript()
    if kind == "keccak":
        return KeccakTranscript()
    raise ParameterError(f"transcript kind must be 'poseidon2' or 'keccak', got {kind!r}")
