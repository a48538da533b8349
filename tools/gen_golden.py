"""Generator of the golden proofs in tests/vectors (format version 2; see tests/vectors/README.md).

    python -m tools.gen_golden [--out tests/vectors] [--check]

Each case is a small fixed circuit with a fixed witness, proved with a seeded rng, so the
generator is deterministic: running it twice writes the same bytes.  --check regenerates every
case in memory and exits 1 if a stored file differs (or is missing) instead of writing.

A golden file of a released format version must keep verifying with every later build; the
tests (tests/test_golden.py) also rebuild each circuit with the builder functions below and
require the verifying key to be byte-identical to the stored one.  Regenerating a file is
therefore a format change, not a routine update.

Container (all integers big-endian):

    "SHGD"  version:u8 (= 1)
    u32 vk_len,    vk_len bytes      VerifyingKey.to_bytes()
    u16 count,     count x u32       public inputs (canonical field elements, < p)
    u32 proof_len, proof_len bytes   encode_proof(proof, vk)
    (end of file)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from shielded.commit.fri import FriConfig
from shielded.errors import EncodingError
from shielded.field.koalabear import P
from shielded.proof.builder import CircuitBuilder
from shielded.proof.config import ProofConfig
from shielded.proof.encoding import PROOF_VERSION, encode_proof
from shielded.proof.encoding_util import Reader, Writer
from shielded.proof.keys import setup
from shielded.proof.prover import prove
from shielded.proof.witness import generate_witness

GOLDEN_MAGIC = b"SHGD"
CONTAINER_VERSION = 1
FORMAT_VERSION = 2
"""The proof-format version these cases are stored under (the ``v2`` in the file names)."""

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors"


# -- container ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class GoldenFile:
    vk_bytes: bytes
    public_inputs: tuple[int, ...]
    proof_bytes: bytes


def encode_golden(g: GoldenFile) -> bytes:
    w = Writer()
    w.raw(GOLDEN_MAGIC)
    w.u8(CONTAINER_VERSION)
    w.u32(len(g.vk_bytes))
    w.raw(g.vk_bytes)
    w.u16(len(g.public_inputs))
    w.elements(g.public_inputs)
    w.u32(len(g.proof_bytes))
    w.raw(g.proof_bytes)
    return w.bytes()


def decode_golden(data: bytes) -> GoldenFile:
    """Parse a golden container; raises EncodingError on a bad magic, version or length, a
    non-canonical public input, or trailing bytes."""
    r = Reader(data, "golden file")
    if r.raw(4, "magic") != GOLDEN_MAGIC:
        raise EncodingError("golden file: bad magic (expected b'SHGD')")
    version = r.u8("container version")
    if version != CONTAINER_VERSION:
        raise EncodingError(f"golden file: unsupported container version {version}, expected {CONTAINER_VERSION}")
    vk_bytes = r.raw(r.u32("verifying key length"), "verifying key")
    count = r.u16("public input count")
    public = tuple(int(x) for x in r.elements(count, "public inputs"))
    proof_bytes = r.raw(r.u32("proof length"), "proof")
    r.expect_end()
    return GoldenFile(vk_bytes, public, proof_bytes)


# -- cases -------------------------------------------------------------------------------------

def _fixed_values(count: int, bits: int, salt: int) -> list[int]:
    """Deterministic witness values below 2^bits (a multiplicative sequence; no rng involved)."""
    return [(salt + 0x9E3779B1 * (i + 1)) % (1 << bits) for i in range(count)]


def build_poseidon2_arith(config: ProofConfig):
    """Poseidon2 permutation, base-field arithmetic, a 30-bit range check, two public inputs
    (one set by the prover and tied by a copy constraint, one exposed computed value).
    Returns (circuit, {input var: value})."""
    b = CircuitBuilder(config, "golden_poseidon2_arith")
    xs = b.add_inputs(16)
    y = b.public_input()
    state = b.poseidon2(xs)
    s = b.mul(b.add(state[0], state[1]), xs[3])
    b.range_check(xs[5], 30)
    b.assert_equal(b.mul(xs[0], xs[1]), y)
    b.make_public(s)
    circuit = b.build()
    vals = _fixed_values(16, 30, 0x5EED)
    inputs = dict(zip(xs, vals))
    inputs[y] = vals[0] * vals[1] % P
    return circuit, inputs


def build_ext_bits(config: ProofConfig):
    """Extension-field multiply-add, a routed 31-bit split, a boolean select and an inverse, a
    feed-forward Poseidon2 with a swap bit, three public inputs.  Returns (circuit, inputs)."""
    b = CircuitBuilder(config, "golden_ext_bits")
    xs = b.add_inputs(16)
    swap = b.add_input()
    e = b.ext_mul_add(tuple(xs[0:4]), tuple(xs[4:8]), tuple(xs[8:12]))
    bits = b.split_bits(xs[12], 31)
    chosen = b.select(bits[0], e[0], e[1])
    inv = b.inverse(xs[13])
    state = b.poseidon2(xs, swap=swap, feed_forward=True)
    b.make_public(chosen)
    b.make_public(b.mul(inv, state[7]))
    z = b.public_input()
    b.assert_equal(b.add(bits[1], bits[2]), z)
    circuit = b.build()
    vals = _fixed_values(16, 31, 0xC0FFEE)
    vals[13] = vals[13] or 1                                 # the inverse needs a non-zero input
    inputs = dict(zip(xs, vals))
    inputs[swap] = 1
    inputs[z] = ((vals[12] >> 1) & 1) + ((vals[12] >> 2) & 1)
    return circuit, inputs


# Deliberately tiny FRI parameters (few queries, small blowup): golden files test the format
# and the verifier, not security, and must stay small.  ZK with Q queries needs n >= 4(Q + 4)
# rows and 2Q + 9 blinding rows (ProofConfig.min_log_rows / blinding_rows): n = 64 here.
_FRI_P2 = FriConfig(log_blowup=2, num_queries=8, pow_bits=4, arity_bits=2, log_final_len=2, cap_height=2,
                    hash="poseidon2")
_FRI_KECCAK = FriConfig(log_blowup=3, num_queries=6, pow_bits=4, arity_bits=3, log_final_len=0, cap_height=0,
                        hash="keccak")


@dataclass(frozen=True)
class GoldenCase:
    name: str
    description: str
    build: Callable[[ProofConfig], tuple]
    config: ProofConfig
    seed: int

    @property
    def filename(self) -> str:
        return f"golden_v{FORMAT_VERSION}_{self.name}.bin"

    def circuit_and_inputs(self):
        return self.build(self.config)


CASES: dict[str, GoldenCase] = {c.name: c for c in [
    GoldenCase("poseidon2", "Poseidon2 + arithmetic + range check + 2 public inputs; Poseidon2 transcript "
               "and Merkle hash, no ZK", build_poseidon2_arith, ProofConfig(zk=False, fri=_FRI_P2), 1001),
    GoldenCase("poseidon2_zk", "the same circuit in hiding mode (random inactive rows, salted leaves, "
               "randomised quotient split, FRI mask)", build_poseidon2_arith, ProofConfig(zk=True, fri=_FRI_P2),
               1002),
    GoldenCase("keccak", "extension arithmetic + routed bit split + select + inverse + feed-forward Poseidon2 "
               "with swap, 3 public inputs; Keccak transcript and Merkle hash, arity 8, cap height 0, "
               "final length 1, no ZK", build_ext_bits, ProofConfig(zk=False, fri=_FRI_KECCAK), 1003),
    GoldenCase("keccak_zk", "the Keccak circuit in hiding mode", build_ext_bits,
               ProofConfig(zk=True, fri=_FRI_KECCAK), 1004),
]}


def generate_case(case: GoldenCase) -> bytes:
    """Build, set up and prove one case (rng seeded with ``case.seed``); return the container."""
    circuit, inputs = case.circuit_and_inputs()
    witness = generate_witness(circuit, inputs)
    pk, vk = setup(circuit)
    proof, public = prove(pk, witness, rng=np.random.default_rng(case.seed))
    return encode_golden(GoldenFile(vk.to_bytes(), tuple(int(x) for x in public), encode_proof(proof, vk)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory of the golden files")
    ap.add_argument("--check", action="store_true", help="compare with the stored files instead of writing")
    args = ap.parse_args(argv)
    if PROOF_VERSION != FORMAT_VERSION:
        raise SystemExit(f"this build writes proof format {PROOF_VERSION}; the v{FORMAT_VERSION} golden files "
                         "must not be regenerated with it (add new cases under a new version instead)")
    status = 0
    if not args.check:
        args.out.mkdir(parents=True, exist_ok=True)
    for case in CASES.values():
        data = generate_case(case)
        path = args.out / case.filename
        if args.check:
            ok = path.is_file() and path.read_bytes() == data
            print(f"{path}: {'ok' if ok else 'DIFFERS' if path.is_file() else 'MISSING'}")
            status |= 0 if ok else 1
        else:
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)                                    # never leave a half-written file
            print(f"wrote {path} ({len(data)} bytes)")
    return status


if __name__ == "__main__":
    sys.exit(main())
