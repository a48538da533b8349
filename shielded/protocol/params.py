"""Presets (SPEC.md, Part II, "Presets").

``REAL`` is what the system runs and what every result is claimed for: tree depth 32, hiding on,
FRI at 100 conjectured bits (setup() enforces it).  ``SMALL`` keeps the real proof parameters but a
depth-8 tree, for tests that prove.  ``INSECURE_TEST`` (depth 8, 8 FRI queries, 4-bit proof of
work, about 28 bits) exists only to make property tests fast; it is never used for acceptance.
"""

from __future__ import annotations

from dataclasses import dataclass

from shielded.commit.fri import FriConfig
from shielded.errors import ParameterError
from shielded.proof.config import ProofConfig


@dataclass(frozen=True)
class Preset:
    name: str
    tree_depth: int
    root_window: int
    proof: ProofConfig
    max_batch: int          # transactions per batch (the operator refuses more; SPEC.md, Part III)

    @property
    def insecure(self) -> bool:
        return self.proof.min_security_bits < 100


# Client proofs use blowup 16 (21 queries, 100 bits conjectured): a 256-row circuit proves in a
# fraction of a second either way, and 21 queries instead of 28 make each proof about a quarter
# cheaper to verify inside the aggregation leaf, which holds two of them (the node shape is 2^15
# rows; SPEC.md, Part III).
CLIENT_FRI = FriConfig.for_security(log_blowup=4)
REAL = Preset("real", 32, 100, ProofConfig(zk=True, fri=CLIENT_FRI, min_security_bits=100), 1024)
SMALL = Preset("small", 8, 16, ProofConfig(zk=True, fri=CLIENT_FRI, min_security_bits=100), 32)
INSECURE_TEST = Preset("insecure-test", 8, 16,
                       ProofConfig(zk=True, fri=FriConfig(log_blowup=3, num_queries=8, pow_bits=4)), 32)

PRESETS = {p.name: p for p in (REAL, SMALL, INSECURE_TEST)}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ParameterError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None
