"""Verifying and proving keys (SPEC.md, "Keys").

The verifying key fixes everything the verifier relies on: the configuration, the trace size,
the gate types, the public-input count and the commitment to the preprocessed columns.  Its
digest (the circuit digest) is the first thing absorbed into every transcript, so a proof for
one circuit cannot verify under another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from shielded.commit.fri import CommittedBatch, FriConfig, commit_batch
from shielded.errors import EncodingError, ParameterError, ShieldedError
from shielded.hash.keccak import keccak256
from shielded.hash.sponge import Tag, hash_elements
from shielded.poly.ntt import coset_lde
from shielded.proof.config import NUM_QUOTIENT_CHUNKS, ProofConfig
from shielded.proof.constraints import count_terms
from shielded.proof.encoding_util import Reader, Writer
from shielded.proof.gates import Gate, check_gate_fits, gate_from_name

VK_MAGIC = b"SHVK"
VK_VERSION = 1
MAX_GATE_TYPES = 32
"""At most this many distinct gates in a circuit (the aggregation circuits use 13).  With
MAX_NUM_WIRES (each gate's constraints are bounded by its wires) and MAX_DECOMPOSE_BITS it keeps
the constraint system of any decodable key small (SPEC.md section 11)."""
_HASH_IDS = {"poseidon2": 0, "keccak": 1}


@dataclass(frozen=True)
class Layout:
    """Column counts of the four committed batches (SPEC.md, "Commitments")."""

    num_constants: int
    num_selectors: int
    num_routed: int
    num_wires: int
    num_perm_chunks: int
    zk: bool

    @property
    def num_preprocessed(self) -> int:
        return self.num_constants + self.num_selectors + self.num_routed + 1

    @property
    def num_perm(self) -> int:
        return 4 * self.num_perm_chunks

    @property
    def num_quotient(self) -> int:
        return 4 * NUM_QUOTIENT_CHUNKS + (4 if self.zk else 0)

    @property
    def batch_sizes(self) -> tuple[int, int, int, int]:
        return (self.num_preprocessed, self.num_wires, self.num_perm, self.num_quotient)

    @property
    def total_columns(self) -> int:
        return sum(self.batch_sizes)


@dataclass(frozen=True, eq=False)
class VerifyingKey:
    config: ProofConfig
    log_n: int
    num_active: int
    num_public_inputs: int
    gate_names: tuple[str, ...]
    preprocessed_cap: np.ndarray = field(compare=False)

    def __post_init__(self):
        if not 1 <= self.log_n <= 24 or self.log_n + self.config.fri.log_blowup > 24:
            raise ParameterError(f"log_n = {self.log_n} is out of range for this configuration")
        if not 0 < self.num_active < (1 << self.log_n):
            raise ParameterError("num_active must be in (0, n)")
        if self.num_public_inputs > self.num_active * self.config.num_routed:
            raise ParameterError("more public inputs than the active rows can hold")
        if len(set(self.gate_names)) != len(self.gate_names) or list(self.gate_names) != sorted(self.gate_names):
            raise ParameterError("gate names must be distinct and sorted")
        if len(self.gate_names) > MAX_GATE_TYPES:
            raise ParameterError(f"gate count = {len(self.gate_names)} exceeds the maximum {MAX_GATE_TYPES}")
        cfg = self.config
        for g in self.gates:
            check_gate_fits(g, cfg.num_wires, cfg.num_routed, cfg.num_constants)
        log_big = self.log_n + cfg.fri.log_blowup
        width = cfg.fri.hasher.digest_width
        expect = (1 << min(cfg.fri.cap_height, log_big), width)
        if self.preprocessed_cap.shape != expect:
            raise ParameterError(f"preprocessed cap has shape {self.preprocessed_cap.shape}, expected {expect}")

    def __eq__(self, other) -> bool:
        if not isinstance(other, VerifyingKey):
            return NotImplemented
        return self.to_bytes() == other.to_bytes()

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    @cached_property
    def gates(self) -> list[Gate]:
        return [gate_from_name(g) for g in self.gate_names]

    @property
    def n(self) -> int:
        return 1 << self.log_n

    @property
    def num_pi_rows(self) -> int:
        return -(-self.num_public_inputs // self.config.num_routed)

    @cached_property
    def layout(self) -> Layout:
        c = self.config
        return Layout(c.num_constants, len(self.gate_names), c.num_routed, c.num_wires,
                      c.num_perm_chunks, c.zk)

    @cached_property
    def num_terms(self) -> int:
        return count_terms(self.gates, self.config.num_routed, self.num_public_inputs)

    def to_bytes(self) -> bytes:
        c, f = self.config, self.config.fri
        w = Writer()
        w.raw(VK_MAGIC)
        w.u8(VK_VERSION)
        w.u16(c.num_wires)
        w.u16(c.num_routed)
        w.u8(c.num_constants)
        w.u8(1 if c.zk else 0)
        for x in (f.log_blowup, f.pow_bits, f.arity_bits, f.log_final_len, f.cap_height, _HASH_IDS[f.hash]):
            w.u8(x)
        w.u16(f.num_queries)
        w.u8(self.log_n)
        w.u32(self.num_active)
        w.u32(self.num_public_inputs)
        w.u16(len(self.gate_names))
        for g in self.gate_names:
            w.text(g)
        cap = self.preprocessed_cap
        w.u16(cap.shape[0])
        if f.hash == "keccak":
            w.raw(np.asarray(cap, np.uint8).tobytes())
        else:
            w.elements(cap.reshape(-1))
        return w.bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "VerifyingKey":
        r = Reader(data, "verifying key")
        if r.raw(4, "magic") != VK_MAGIC:
            raise EncodingError("verifying key: bad magic (not a shielded verifying key)")
        version = r.u8("version")
        if version != VK_VERSION:
            raise EncodingError(f"verifying key: unsupported version {version}")
        try:
            num_wires, num_routed, num_constants = r.u16("num_wires"), r.u16("num_routed"), r.u8("num_constants")
            zk = r.u8("zk")
            if zk > 1:
                raise EncodingError("verifying key: zk flag must be 0 or 1")
            lb, pw, ar, fl, ch, hid = (r.u8(n) for n in ("log_blowup", "pow_bits", "arity_bits",
                                                          "log_final_len", "cap_height", "hash"))
            hash_name = {v: k for k, v in _HASH_IDS.items()}.get(hid)
            if hash_name is None:
                raise EncodingError(f"verifying key: unknown hash id {hid}")
            nq = r.u16("num_queries")
            fri = FriConfig(lb, nq, pw, ar, fl, ch, hash_name)
            config = ProofConfig(num_wires, num_routed, num_constants, bool(zk), fri)
            log_n = r.u8("log_n")
            num_active = r.u32("num_active")
            num_pi = r.count("num_public_inputs", 1 << 20)
            ng = r.count("gate count", MAX_GATE_TYPES, 2)
            names = tuple(r.text("gate name") for _ in range(ng))
            for g in names:
                gate_from_name(g)
            ncap = r.count("cap size", 1 << 8, 2)
            if hash_name == "keccak":
                cap = np.frombuffer(r.raw(32 * ncap, "cap"), np.uint8).reshape(ncap, 32).copy()
            else:
                cap = r.elements(8 * ncap, "cap").reshape(ncap, 8)
            r.expect_end()
            return cls(config, log_n, num_active, num_pi, names, cap)
        except EncodingError:
            raise
        except ShieldedError as e:  # ParameterError / CircuitError from validation
            raise EncodingError(f"verifying key: {e}") from None

    def shape_bytes(self) -> bytes:
        """The key's bytes without the preprocessed cap: everything that fixes the verifier's
        computation (configuration, sizes, gates, public-input count)."""
        data = self.to_bytes()
        return data[:len(data) - len(self._cap_bytes())]

    def _cap_bytes(self) -> bytes:
        w = Writer()
        cap = self.preprocessed_cap
        w.u16(cap.shape[0])
        if self.config.fri.hash == "keccak":
            w.raw(np.asarray(cap, np.uint8).tobytes())
        else:
            w.elements(cap.reshape(-1))
        return w.bytes()

    @cached_property
    def shape_digest(self):
        """Poseidon2 sponge (tag CIRCUIT_SHAPE) of the shape bytes packed 3 per element."""
        data = self.shape_bytes()
        padded = data + b"\x00" * (-len(data) % 3)
        elems = [int.from_bytes(padded[i:i + 3], "big") for i in range(0, len(padded), 3)]
        return hash_elements(Tag.CIRCUIT_SHAPE, [len(data)] + elems)

    @cached_property
    def digest(self):
        """The circuit digest, absorbed first by every transcript (SPEC.md, section 11).
        Poseidon2: H(CIRCUIT_DIGEST, shape_digest || every cap element), so a circuit can
        recompute it from a cap it holds as witness (recursion over several circuits of one
        shape).  Keccak: keccak256 of the key's bytes."""
        if self.config.fri.hash == "keccak":
            return keccak256(self.to_bytes())
        return hash_elements(Tag.CIRCUIT_DIGEST,
                             list(self.shape_digest) + [int(x) for x in np.asarray(self.preprocessed_cap).reshape(-1)])


@dataclass
class ProvingKey:
    circuit: object
    vk: VerifyingKey
    preprocessed: np.ndarray          # (columns, n) values on H
    preprocessed_batch: CommittedBatch
    constraint_tape: object


def setup(circuit) -> tuple[ProvingKey, VerifyingKey]:
    """Commit to the preprocessed columns and compile the constraint tape."""
    from shielded.commit.security import security_report
    from shielded.proof.prover import build_constraint_tape
    cfg = circuit.config
    if cfg.min_security_bits:
        rep = security_report(cfg.fri, circuit.log_n, num_routed=cfg.num_routed)
        if rep["conjectured_bits"] < cfg.min_security_bits:
            raise ParameterError(f"conjectured security {rep['conjectured_bits']} bits at 2^{circuit.log_n} rows "
                                 f"is below the required {cfg.min_security_bits}: {rep['conjectured_terms']}")
    pre = circuit.preprocessed()
    lde = coset_lde(pre, 1 << cfg.fri.log_blowup)
    batch = commit_batch(cfg.fri, lde)
    vk = VerifyingKey(cfg, circuit.log_n, circuit.num_active, circuit.num_public_inputs,
                      tuple(g.name for g in circuit.gates), batch.cap)
    return ProvingKey(circuit, vk, pre, batch, build_constraint_tape(vk)), vk
