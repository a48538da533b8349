"""The Poseidon2 duplex transcript as a circuit (twin: shielded.hash.transcript.PoseidonTranscript).

Same schedule and padding as the native transcript: absorbed elements queue; a full queue of 8
overwrites the rate and permutes (one Poseidon2 row whose capacity inputs are the previous row's
capacity outputs); a squeeze duplexes first if inputs are queued or no outputs remain.
"""

from __future__ import annotations

from circuits.recursion.values import BaseV, ExtV
from shielded.hash.sponge import RATE, WIDTH, Tag


class CircuitTranscript:
    kind = "poseidon2"

    def __init__(self, b):
        self.b = b
        zero = b.zero()
        self.capacity = [b.constant(int(Tag.TRANSCRIPT))] + [zero] * (WIDTH - RATE - 1)
        self.inputs: list = []
        self.outputs: list = []
        self.permutations = 0

    def _duplex(self) -> None:
        b = self.b
        rate = [x.v() for x in self.inputs] + [b.zero()] * (RATE - len(self.inputs))
        out = b.poseidon2(rate + list(self.capacity))
        self.permutations += 1
        self.capacity = out[RATE:]
        self.inputs = []
        self.outputs = [BaseV(b, v) for v in out[:RATE]]

    def _as_base(self, x) -> BaseV:
        if isinstance(x, BaseV):
            return x
        if isinstance(x, int):
            return BaseV.constant(self.b, x)
        return BaseV(self.b, x)          # a raw Var

    def absorb_elements(self, values) -> None:
        for x in values:
            self.outputs = []
            self.inputs.append(self._as_base(x))
            if len(self.inputs) == RATE:
                self._duplex()

    def absorb_ext(self, values) -> None:
        for e in values:
            e = e if isinstance(e, ExtV) else ExtV.constant(self.b, e)
            self.absorb_elements(e.components())

    def absorb_digest(self, digest) -> None:
        digest = list(digest)
        assert len(digest) == 8
        self.absorb_elements(digest)

    def squeeze_base(self) -> BaseV:
        if self.inputs or not self.outputs:
            self._duplex()
        return self.outputs.pop(0)

    def squeeze_ext(self) -> ExtV:
        comps = [self.squeeze_base() for _ in range(4)]
        return ExtV.from_vars(self.b, [c.v() for c in comps])

    def check_pow(self, nonce, bits: int) -> None:
        """Absorb the nonce; the next squeezed element must be below 2^(31 - bits)."""
        self.absorb_elements([nonce])
        e = self.squeeze_base()
        if bits:
            self.b.range_check(e.v(), 31 - bits)
