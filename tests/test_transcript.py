"""Fiat-Shamir transcripts (SPEC.md section 2.4): the Poseidon2 duplex and the Keccak chain.

Both fast paths are compared with element-at-a-time references written here from the SPEC, on
random absorb/squeeze schedules.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shielded.errors import ParameterError
from shielded.field.ext import Ext
from shielded.field.koalabear import P
from shielded.hash.keccak import keccak256
from shielded.hash.poseidon2 import permute
from shielded.hash.sponge import Tag
from shielded.hash.transcript import (KECCAK_TRANSCRIPT_SEED, MAX_POW_BITS, KeccakTranscript, PoseidonTranscript,
                                      new_transcript)

KINDS = ["poseidon2", "keccak"]
elements = st.one_of(st.integers(0, P - 1), st.sampled_from([0, 1, P - 1]))
exts = st.builds(Ext, elements, elements, elements, elements)


class RefDuplex:
    """SPEC 2.4 Poseidon2 duplex, one element at a time, on the plain permutation."""

    def __init__(self):
        self.state = [0] * 8 + [int(Tag.TRANSCRIPT)] + [0] * 7
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    def _duplex(self):
        self.state = permute(self.inputs + [0] * (8 - len(self.inputs)) + self.state[8:])
        self.inputs = []
        self.outputs = self.state[:8]

    def absorb(self, x: int):
        self.outputs = []
        self.inputs.append(x)
        if len(self.inputs) == 8:
            self._duplex()

    def squeeze(self) -> int:
        if self.inputs or not self.outputs:
            self._duplex()
        return self.outputs.pop(0)


class RefKeccak:
    """SPEC 2.4 Keccak chain: d <- keccak(d || 0x00 || queue) if queued; d <- keccak(d || 0x01)."""

    def __init__(self):
        self.d = keccak256(b"shielded/transcript/keccak/v1")
        self.queue = b""

    def absorb(self, x: int):
        self.queue += x.to_bytes(4, "big")

    def absorb_bytes(self, b: bytes):
        self.queue += b

    def squeeze(self) -> int:
        if self.queue:
            self.d = keccak256(self.d + b"\x00" + self.queue)
            self.queue = b""
        self.d = keccak256(self.d + b"\x01")
        return int.from_bytes(self.d, "big") % P


# A schedule is a list of operations applied to the fast transcript and to the reference.
operations = st.one_of(
    st.tuples(st.just("absorb"), st.lists(elements, max_size=20)),
    st.tuples(st.just("ext"), st.lists(exts, max_size=3)),
    st.tuples(st.just("digest"), st.lists(elements, min_size=8, max_size=8)),
    st.tuples(st.just("squeeze"), st.integers(1, 10)),
    st.tuples(st.just("squeeze_ext"), st.integers(1, 2)),
)
schedules = st.lists(operations, max_size=8)


def run_schedule(t, ref, schedule, digest_as_bytes: bool) -> tuple[list[int], list[int]]:
    got, want = [], []
    for op, arg in schedule:
        if op == "absorb":
            t.absorb_elements(arg)
            for x in arg:
                ref.absorb(x)
        elif op == "ext":
            t.absorb_ext(arg)
            for e in arg:
                for c in e.c:
                    ref.absorb(c)
        elif op == "digest":
            if digest_as_bytes:
                d = b"".join(x.to_bytes(4, "big") for x in arg)
                t.absorb_digest(d)
                ref.absorb_bytes(d)
            else:
                t.absorb_digest(arg)
                for x in arg:
                    ref.absorb(x)
        elif op == "squeeze":
            for _ in range(arg):
                got.append(t.squeeze_base())
                want.append(ref.squeeze())
        else:
            for _ in range(arg):
                got.extend(t.squeeze_ext().c)
                want.extend(ref.squeeze() for _ in range(4))
    got.append(t.squeeze_base())
    want.append(ref.squeeze())
    return got, want


@given(schedules)
def test_poseidon_fast_path_matches_reference(schedule):
    """Block-batched absorption equals the element-at-a-time duplex on any schedule."""
    got, want = run_schedule(PoseidonTranscript(), RefDuplex(), schedule, digest_as_bytes=False)
    assert got == want


@pytest.mark.parametrize("lengths", [[8], [7, 1], [16, 3], [3, 5, 8, 1], [1] * 9, [25], [0, 8, 0]])
def test_poseidon_block_boundaries(lengths):
    """Absorbs that end exactly on, just before and just after block boundaries, then squeezes."""
    t, ref = PoseidonTranscript(), RefDuplex()
    x = 1
    for n in lengths:
        vals = list(range(x, x + n))
        x += n
        t.absorb_elements(vals)
        for v in vals:
            ref.absorb(v)
        assert [t.squeeze_base() for _ in range(10)] == [ref.squeeze() for _ in range(10)]


@given(schedules)
def test_keccak_matches_reference(schedule):
    """The Keccak transcript equals the SPEC chain on any schedule (digests as 32 bytes)."""
    got, want = run_schedule(KeccakTranscript(), RefKeccak(), schedule, digest_as_bytes=True)
    assert got == want


def test_keccak_seed():
    """The Keccak chain starts from keccak256 of the documented seed string."""
    assert KECCAK_TRANSCRIPT_SEED == b"shielded/transcript/keccak/v1"
    assert KeccakTranscript().d == keccak256(b"shielded/transcript/keccak/v1")


@pytest.mark.parametrize("kind", KINDS)
def test_copy_is_independent(kind):
    """A copy continues identically, and using one does not disturb the other."""
    t = new_transcript(kind)
    t.absorb_elements([1, 2, 3])
    t.squeeze_base()
    t.absorb_elements([4, 5])
    c = t.copy()
    a = [t.squeeze_base() for _ in range(5)]
    c2 = c.copy()
    c2.absorb_elements([9])  # diverge the copy of the copy
    c2.squeeze_base()
    assert [c.squeeze_base() for _ in range(5)] == a
    t.absorb_elements([7])
    c.absorb_elements([8])
    assert t.squeeze_base() != c.squeeze_base()


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_and_data_dependent(kind):
    """Same inputs give the same challenges; a changed or extra input changes them."""
    def challenges(data):
        t = new_transcript(kind)
        t.absorb_elements(data)
        return [t.squeeze_ext() for _ in range(2)]

    base = challenges([1, 2, 3])
    assert challenges([1, 2, 3]) == base
    assert challenges([1, 2, 4]) != base
    assert challenges([1, 2, 3, 9]) != base
    if kind == "keccak":
        # only the byte queue is injective; the Poseidon duplex zero-pads its rate, which is sound
        # because the absorb/squeeze schedule is fixed by the verifying key (SPEC 2.4)
        assert challenges([1, 2, 3, 0]) != base
    assert challenges([]) != base
    assert base[0] != base[1]


def test_keccak_digest_changes_challenges():
    """Absorbing a different 32-byte digest changes the Keccak challenges."""
    def challenge(d):
        t = KeccakTranscript()
        t.absorb_digest(d)
        return t.squeeze_base()

    assert challenge(bytes(32)) == challenge(bytes(32))
    assert challenge(bytes(32)) != challenge(bytes(31) + b"\x01")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bits", [0, 3, 8, 13])      # 13 bits: nonces past the first batch of the search
def test_grind_and_check_pow(kind, bits):
    """grind returns the smallest passing nonce, does not mutate the transcript, and is deterministic."""
    t = new_transcript(kind)
    t.absorb_elements([5, 6, 7])
    before = t.copy()
    nonce = t.grind(bits)
    assert nonce == t.grind(bits)
    assert t.copy().squeeze_base() == before.copy().squeeze_base()  # grind left no trace
    assert t.copy().check_pow(nonce, bits)
    for smaller in range(nonce):
        assert not t.copy().check_pow(smaller, bits)
    if bits == 0:
        assert nonce == 0
    # wrong nonces usually fail: about 2^-bits of them pass
    if bits == 8:
        passing = sum(t.copy().check_pow(nonce + k, bits) for k in range(1, 65))
        assert passing <= 4


@pytest.mark.parametrize("queued", [0, 3, 7])
def test_poseidon_pow_matches_reference(queued):
    """check_pow = absorb the nonce, squeeze, compare with 2^(31-bits): checked with RefDuplex."""
    bits = 6
    t, ref = PoseidonTranscript(), RefDuplex()
    t.absorb_elements(list(range(1, 9)))  # a full block, so outputs are pending
    for v in range(1, 9):
        ref.absorb(v)
    t.absorb_elements(list(range(queued)))
    for v in range(queued):
        ref.absorb(v)
    nonce = t.grind(bits)
    ref.absorb(nonce)
    assert ref.squeeze() < 1 << (31 - bits)
    assert t.check_pow(nonce, bits)
    assert t.squeeze_base() == ref.squeeze()  # check_pow left both in the same state


def test_keccak_pow_matches_reference():
    """Keccak check_pow = absorb the nonce as a 4-byte word, squeeze, compare."""
    bits = 6
    t, ref = KeccakTranscript(), RefKeccak()
    t.absorb_elements([11, 12])
    ref.absorb(11)
    ref.absorb(12)
    nonce = t.grind(bits)
    ref.absorb(nonce)
    assert ref.squeeze() < 1 << (31 - bits)
    assert t.check_pow(nonce, bits)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bits", [-1, MAX_POW_BITS + 1, 31, 64])
def test_pow_bits_out_of_range(kind, bits):
    """Proof-of-work bits outside [0, 30] raise ParameterError for grind and check_pow."""
    t = new_transcript(kind)
    with pytest.raises(ParameterError):
        t.grind(bits)
    with pytest.raises(ParameterError):
        t.check_pow(0, bits)


@pytest.mark.parametrize("bad", [b"", bytes(31), bytes(33), "00" * 32, [0] * 32, 7])
def test_keccak_bad_digest_raises(bad):
    """A Keccak digest must be exactly 32 bytes."""
    with pytest.raises(ParameterError):
        KeccakTranscript().absorb_digest(bad)


def test_poseidon_non_canonical_digest_raises():
    """Poseidon digest elements must be canonical field elements."""
    with pytest.raises(ParameterError):
        PoseidonTranscript().absorb_digest([0] * 7 + [P])


@pytest.mark.parametrize("length", [0, 7, 9, 16])
def test_poseidon_bad_digest_length_raises(length):
    """A Poseidon digest is 8 elements; any other length is a caller error."""
    with pytest.raises(ParameterError):
        PoseidonTranscript().absorb_digest([1] * length)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad", [[P], [1, -1], [1, 2, 2**32], [True], [1.0]])
def test_bad_elements_rejected_atomically(kind, bad):
    """Non-canonical input raises ParameterError and leaves the transcript untouched."""
    t = new_transcript(kind)
    t.absorb_elements([1, 2, 3, 4, 5, 6, 7])
    ref = t.copy()
    with pytest.raises(ParameterError):
        t.absorb_elements(bad)
    assert t.squeeze_base() == ref.squeeze_base()


def test_new_transcript_kinds():
    """new_transcript builds each kind and rejects unknown names."""
    assert isinstance(new_transcript("poseidon2"), PoseidonTranscript)
    assert isinstance(new_transcript("keccak"), KeccakTranscript)
    with pytest.raises(ParameterError):
        new_transcript("sha256")


def test_squeeze_ext_components_in_order():
    """squeeze_ext is four base squeezes c0..c3 (SPEC 2.4)."""
    for kind in KINDS:
        a, b = new_transcript(kind), new_transcript(kind)
        a.absorb_elements([3])
        b.absorb_elements([3])
        assert a.squeeze_ext().c == tuple(b.squeeze_base() for _ in range(4))
        assert np.all(np.array(a.squeeze_ext().c) < P)
