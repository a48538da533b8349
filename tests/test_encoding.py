"""Proof bytes (SPEC.md, "Proof encoding"): exact round trips, and every malformed input rejected
with EncodingError (or, when it still parses, VerificationError) and never another exception.

Decoding is cheap, so every truncation and every single-byte change goes through ``decode_proof``;
the verifier runs on a seeded sample of changed positions plus every byte of the header, of the
first structure (the wires cap count and first digest), of the proof-of-work nonce and of the last
digest."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shielded.commit.fri import FriConfig
from shielded.errors import EncodingError, VerificationError
from shielded.proof.config import ProofConfig
from shielded.proof.encoding import PROOF_MAGIC, PROOF_VERSION, decode_proof, encode_proof
from shielded.proof.keys import setup
from shielded.proof.prover import prove
from shielded.proof.verifier import verify

from helpers_circuits import mixed_circuit, square_circuit

CONFIGS = {
    "poseidon2": ProofConfig(fri=FriConfig(pow_bits=4)),
    "poseidon2-zk": ProofConfig(zk=True, fri=FriConfig(pow_bits=4)),
    "keccak": ProofConfig(fri=FriConfig(pow_bits=4, hash="keccak")),
}
VERIFY_SAMPLE = 300
HEADER = len(PROOF_MAGIC) + 2      # magic, version, hash id


class Encoded:
    def __init__(self, name: str):
        cfg = CONFIGS[name]
        self.name = name
        self.instance = mixed_circuit(cfg, seed=21)
        self.pk, self.vk = setup(self.instance.circuit)
        self.proof, self.public = prove(self.pk, self.instance.witness(), rng=np.random.default_rng(5))
        self.data = encode_proof(self.proof, self.vk)
        # where the proof-of-work nonce sits: encode once with another nonce and compare
        fri = self.proof.pcs.fri
        other = replace(self.proof, pcs=replace(self.proof.pcs, fri=replace(fri, pow_nonce=fri.pow_nonce ^ 0xFFFFFFFF)))
        other_data = encode_proof(other, self.vk)
        self.nonce_positions = [i for i, (a, b) in enumerate(zip(self.data, other_data)) if a != b]


@pytest.fixture(scope="module", params=list(CONFIGS))
def enc(request) -> Encoded:
    return Encoded(request.param)


def decode_or_none(data: bytes, vk):
    """The decoded proof, or None on EncodingError; any other exception propagates (a failure)."""
    try:
        return decode_proof(data, vk)
    except EncodingError:
        return None


def changed(data: bytes, pos: int, mask: int) -> bytes:
    d = bytearray(data)
    d[pos] ^= mask
    return bytes(d)


# -- round trip --------------------------------------------------------------------------------------

@pytest.mark.prove
def test_round_trip_is_byte_identical_and_verifies(enc):
    decoded = decode_proof(enc.data, enc.vk)
    assert encode_proof(decoded, enc.vk) == enc.data
    verify(enc.vk, enc.public, decoded)
    for other in (bytearray(enc.data), memoryview(enc.data)):
        assert encode_proof(decode_proof(other, enc.vk), enc.vk) == enc.data
    assert enc.data[:4] == PROOF_MAGIC and enc.data[4] == PROOF_VERSION
    assert 30_000 < len(enc.data) < 100_000
    assert len(enc.nonce_positions) == 4


@pytest.mark.prove
def test_decoded_proof_fields_equal_the_original(enc):
    d = decode_proof(enc.data, enc.vk)
    p = enc.proof
    for name in ("wires_cap", "perm_cap", "quotient_cap", "openings", "openings_next"):
        assert np.array_equal(getattr(d, name), getattr(p, name)), name
    assert d.pcs.fri.pow_nonce == p.pcs.fri.pow_nonce
    assert d.pcs.fri.final_poly == p.pcs.fri.final_poly
    for a, b in zip(d.pcs.batches + d.pcs.fri.layers, p.pcs.batches + p.pcs.fri.layers):
        assert np.array_equal(a.rows, b.rows)
        assert np.array_equal(a.opening.siblings, b.opening.siblings)


# -- truncation and trailing bytes ------------------------------------------------------------------

@pytest.mark.prove
def test_every_truncation_raises_encoding_error(enc):
    accepted = []
    for n in range(len(enc.data)):
        try:
            decode_proof(enc.data[:n], enc.vk)
            accepted.append(n)
        except EncodingError:
            pass
    assert accepted == []


@pytest.mark.prove
def test_truncation_messages_name_the_field(enc):
    with pytest.raises(EncodingError, match="truncated while reading magic"):
        decode_proof(b"SH", enc.vk)
    with pytest.raises(EncodingError, match="truncated while reading version"):
        decode_proof(PROOF_MAGIC, enc.vk)
    with pytest.raises(EncodingError, match="truncated"):
        decode_proof(enc.data[:-1], enc.vk)


@pytest.mark.prove
@pytest.mark.parametrize("tail", [b"\x00", b"\x00" * 4, b"\xff" * 33, None])
def test_trailing_bytes_raise(enc, tail):
    with pytest.raises(EncodingError, match="trailing bytes"):
        decode_proof(enc.data + (enc.data if tail is None else tail), enc.vk)


# -- single-byte changes --------------------------------------------------------------------------

@pytest.mark.prove
def test_every_single_byte_change_is_rejected_by_decode_or_verify(enc):
    rnd = random.Random(f"flip-{enc.name}")
    masks = [rnd.randrange(1, 256) for _ in range(len(enc.data))]
    decoded_positions = []
    for pos, mask in enumerate(masks):
        proof = decode_or_none(changed(enc.data, pos, mask), enc.vk)
        if proof is not None:
            decoded_positions.append(pos)
    # elements must be canonical, so a part of the changes already fail to decode
    assert 0 < len(decoded_positions) < len(enc.data)

    last_digest = list(range(len(enc.data) - 32, len(enc.data)))
    first_structure = list(range(HEADER, HEADER + 2 + 32))
    must = set(range(HEADER)) | set(first_structure) | set(enc.nonce_positions) | set(last_digest)
    sample = set(rnd.sample(range(len(enc.data)), VERIFY_SAMPLE)) | must
    outcomes = {"encoding": 0, "verification": 0}
    for pos in sorted(sample):
        proof = decode_or_none(changed(enc.data, pos, masks[pos]), enc.vk)
        if proof is None:
            outcomes["encoding"] += 1
            continue
        with pytest.raises(VerificationError):
            verify(enc.vk, enc.public, proof)
        outcomes["verification"] += 1
    assert outcomes["verification"] > 0


@pytest.mark.prove
@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF])
def test_header_and_nonce_changes_with_fixed_masks(enc, mask):
    for pos in list(range(HEADER)) + enc.nonce_positions:
        proof = decode_or_none(changed(enc.data, pos, mask), enc.vk)
        if pos < HEADER:
            assert proof is None, pos
        elif proof is not None:       # a nonce >= p is refused by decode (SPEC.md, 5.3)
            with pytest.raises(VerificationError):
                verify(enc.vk, enc.public, proof)


@pytest.mark.prove
def test_wrong_magic_and_version_have_clear_messages(enc):
    with pytest.raises(EncodingError, match="magic"):
        decode_proof(b"SHVK" + enc.data[4:], enc.vk)
    with pytest.raises(EncodingError, match="magic"):
        decode_proof(b"\x00" * len(enc.data), enc.vk)
    for version in (0, PROOF_VERSION + 1, 255):
        with pytest.raises(EncodingError, match="version"):
            decode_proof(enc.data[:4] + bytes([version]) + enc.data[5:], enc.vk)
    with pytest.raises(EncodingError, match="hash id"):
        decode_proof(enc.data[:5] + bytes([enc.data[5] ^ 1]) + enc.data[6:], enc.vk)


@pytest.mark.prove
@pytest.mark.parametrize("value", ["proof", None, 12, [1, 2, 3], np.zeros(10, np.uint8)])
def test_non_bytes_input_raises_encoding_error(enc, value):
    with pytest.raises(EncodingError, match="expected bytes"):
        decode_proof(value, enc.vk)


# -- garbage --------------------------------------------------------------------------------------

_garbage_cache: dict = {}


def small_vk(name: str):
    if name not in _garbage_cache:
        _garbage_cache[name] = setup(square_circuit(CONFIGS[name]).circuit)[1]
    return _garbage_cache[name]


@settings(max_examples=60)
@given(st.sampled_from(list(CONFIGS)), st.binary(max_size=4096))
def test_random_garbage_raises_encoding_error(name, garbage):
    with pytest.raises(EncodingError):
        decode_proof(garbage, small_vk(name))


@settings(max_examples=60)
@given(st.sampled_from(list(CONFIGS)), st.binary(max_size=4096))
def test_garbage_after_a_valid_header_raises_encoding_error(name, garbage):
    vk = small_vk(name)
    header = PROOF_MAGIC + bytes([PROOF_VERSION, 1 if vk.config.fri.hash == "keccak" else 0])
    with pytest.raises(EncodingError):
        decode_proof(header + garbage, vk)


@pytest.mark.prove
@settings(max_examples=40)
@given(st.data())
def test_garbage_spliced_into_a_valid_proof_is_rejected(data):
    """A run of random bytes overwriting part of a valid proof: EncodingError or VerificationError."""
    enc = _spliced_source()
    start = data.draw(st.integers(0, len(enc.data) - 1))
    junk = data.draw(st.binary(min_size=1, max_size=64))
    bad = enc.data[:start] + junk + enc.data[start + len(junk):]
    if bad == enc.data:
        return
    proof = decode_or_none(bad, enc.vk)
    if proof is not None:
        with pytest.raises(VerificationError):
            verify(enc.vk, enc.public, proof)


_spliced: list = []


def _spliced_source() -> Encoded:
    if not _spliced:
        _spliced.append(Encoded("poseidon2"))
    return _spliced[0]


# -- keys of other circuits ----------------------------------------------------------------------

@pytest.mark.prove
def test_proof_decoded_with_another_circuits_key_is_rejected(enc):
    cfg = CONFIGS[enc.name]
    others = {
        "different shape": setup(square_circuit(cfg).circuit)[1],
        "different config": setup(mixed_circuit(replace(cfg, fri=replace(cfg.fri, num_queries=20)),
                                                seed=21).circuit)[1],
        "other hash or zk": setup(mixed_circuit(CONFIGS["poseidon2-zk" if enc.name != "poseidon2-zk"
                                                        else "poseidon2"], seed=21).circuit)[1],
    }
    for what, vk in others.items():
        proof = decode_or_none(enc.data, vk)
        if proof is not None:
            with pytest.raises(VerificationError):
                verify(vk, enc.public, proof)


@pytest.mark.prove
def test_proof_decoded_with_a_same_shape_key_fails_verification(enc):
    """Same gates, size and layout, one constant different: decoding succeeds, verifying must not
    (while a key rebuilt from the same circuit decodes and verifies)."""
    _, vk_again = setup(mixed_circuit(CONFIGS[enc.name], seed=21).circuit)
    assert vk_again.digest == enc.vk.digest
    verify(vk_again, enc.public, decode_proof(enc.data, vk_again))
    sq = square_circuit(CONFIGS[enc.name])
    pk_a, vk_a = setup(sq.circuit)
    _, vk_b = setup(square_circuit(CONFIGS[enc.name], offset=7).circuit)
    assert vk_a.layout == vk_b.layout and vk_a.digest != vk_b.digest
    proof_a, public_a = prove(pk_a, sq.witness(), rng=np.random.default_rng(6))
    decoded = decode_proof(encode_proof(proof_a, vk_a), vk_b)
    with pytest.raises(VerificationError):
        verify(vk_b, public_a, decoded)
