"""Golden proofs of format version 2 (tests/vectors/README.md; generator: tools/gen_golden.py).

A golden file of a released format version must keep verifying.  For every case the generator
defines, these tests read the stored file (never regenerate it) and check that

* it parses, its verifying key and proof decode, and the proof verifies against the stored
  public inputs; re-encoding the decoded key and proof gives the stored bytes back;
* rebuilding the circuit with the generator's builder function and running setup() gives a
  verifying key byte-identical to the stored one, and the witness gives the stored public
  inputs (an unnoticed change to a circuit, the key derivation or the gates fails here);
* changing one byte of the stored proof, key or public inputs makes it fail (EncodingError or
  VerificationError);
* the files present are exactly the generator's cases (no silently missing or stray files).

No test here proves anything (verification and setup only), so none carries the ``prove`` marker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shielded.errors import EncodingError, VerificationError
from shielded.field.koalabear import P
from shielded.proof.encoding import PROOF_MAGIC, decode_proof, encode_proof
from shielded.proof.keys import VK_MAGIC, VK_VERSION, VerifyingKey, setup
from shielded.proof.verifier import verify
from shielded.proof.witness import generate_witness
from tools.gen_golden import (CASES, CONTAINER_VERSION, FORMAT_VERSION, GOLDEN_MAGIC, GoldenFile,
                              decode_golden, encode_golden)

VECTORS = Path(__file__).resolve().parent / "vectors"
FLIPS_PER_PROOF = 32
"""Single-byte changes tried per stored proof: evenly spread positions (plus first and last byte)."""

CASE_NAMES = sorted(CASES)


def load(name: str) -> GoldenFile:
    path = VECTORS / CASES[name].filename
    assert path.is_file(), f"missing golden file {path} (regenerating it is a format change; see README.md)"
    return decode_golden(path.read_bytes())


def decoded(name: str):
    g = load(name)
    vk = VerifyingKey.from_bytes(g.vk_bytes)
    return g, vk, decode_proof(g.proof_bytes, vk)


def rejected(vk_bytes: bytes, public, proof_bytes: bytes) -> bool:
    """True if decoding or verification fails with the project's errors; anything else raises."""
    try:
        vk = VerifyingKey.from_bytes(vk_bytes)
        verify(vk, list(public), decode_proof(proof_bytes, vk))
    except (EncodingError, VerificationError):
        return True
    return False


def test_golden_files_are_exactly_the_generator_cases():
    found = {p.name for p in VECTORS.glob("golden_*.bin")}
    expected = {c.filename for c in CASES.values()}
    assert found == expected, f"missing: {sorted(expected - found)}, unexpected: {sorted(found - expected)}"
    assert all(f.startswith(f"golden_v{FORMAT_VERSION}_") for f in expected)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden_proof_verifies(name):
    g, vk, proof = decoded(name)
    assert g.vk_bytes[:4] == VK_MAGIC and g.vk_bytes[4] == VK_VERSION
    assert g.proof_bytes[:4] == PROOF_MAGIC and g.proof_bytes[4] == FORMAT_VERSION
    assert vk.config == CASES[name].config
    verify(vk, list(g.public_inputs), proof)
    assert vk.to_bytes() == g.vk_bytes
    assert encode_proof(proof, vk) == g.proof_bytes


@pytest.mark.parametrize("name", CASE_NAMES)
def test_rebuilt_circuit_gives_the_stored_verifying_key(name):
    g = load(name)
    circuit, inputs = CASES[name].circuit_and_inputs()
    _, vk = setup(circuit)
    assert vk.to_bytes() == g.vk_bytes, (
        f"{name}: the circuit or the key derivation changed; stored golden proofs no longer match it")
    assert tuple(generate_witness(circuit, inputs).public_values()) == g.public_inputs


@pytest.mark.parametrize("name", CASE_NAMES)
def test_one_changed_proof_byte_is_rejected(name):
    g = load(name)
    n = len(g.proof_bytes)
    positions = sorted({0, n - 1} | {k * n // FLIPS_PER_PROOF for k in range(FLIPS_PER_PROOF)})
    accepted = []
    for k, pos in enumerate(positions):
        mask = (0x01, 0x80, 0x10, 0x04)[k % 4]   # low bits change values; high bits also hit range checks
        bad = bytearray(g.proof_bytes)
        bad[pos] ^= mask
        if not rejected(g.vk_bytes, g.public_inputs, bytes(bad)):
            accepted.append((pos, mask))
    assert not accepted, f"{name}: proof accepted after changing byte (position, xor mask) {accepted}"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_changed_public_input_or_key_byte_is_rejected(name):
    g = load(name)
    for i in range(len(g.public_inputs)):
        public = list(g.public_inputs)
        public[i] = (public[i] + 1) % P
        assert rejected(g.vk_bytes, public, g.proof_bytes), f"{name}: public input {i} + 1 accepted"
    # key bytes (VerifyingKey.to_bytes layout): cap_height, low byte of num_queries, last cap byte
    for field, pos in (("cap_height", 15), ("num_queries", 18), ("preprocessed cap", len(g.vk_bytes) - 1)):
        bad = bytearray(g.vk_bytes)
        bad[pos] ^= 0x01
        assert rejected(bytes(bad), g.public_inputs, g.proof_bytes), f"{name}: changed key {field} accepted"


def test_container_parser_is_strict():
    g = GoldenFile(b"vk", (1, P - 1), b"proof")
    data = encode_golden(g)
    assert decode_golden(data) == g
    assert data[:5] == GOLDEN_MAGIC + bytes([CONTAINER_VERSION])
    bad_inputs = [data + b"\x00",                                    # trailing byte
                  data[:-1],                                         # truncated
                  b"SHGX" + data[4:],                                # magic
                  data[:4] + bytes([CONTAINER_VERSION + 1]) + data[5:],
                  encode_golden(GoldenFile(b"vk", (P,), b"proof"))]  # public input not canonical
    for bad in bad_inputs:
        with pytest.raises(EncodingError):
            decode_golden(bad)
