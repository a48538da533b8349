"""Proof-system configuration: trace layout, zero knowledge, FRI (SPEC.md, "Parameters")."""

from __future__ import annotations

from dataclasses import dataclass, field

from shielded.commit.fri import FriConfig
from shielded.errors import ParameterError
from shielded.proof.gates import P2_ROUTED, P2_WIRES

SALT_SIZE = 4
"""Random elements appended to every leaf of a hiding commitment (4 x 31 bits)."""

MAX_NUM_WIRES = 256
"""Upper bound on W, the wire columns (the Poseidon2 gate needs 181).  With MAX_GATE_TYPES and
MAX_DECOMPOSE_BITS it bounds the constraint system a verifying key can describe: a decoded key
never makes the verifier build a constraint tape of more than about 32 x 256 terms."""

NUM_QUOTIENT_CHUNKS = 4
"""The quotient (degree < 3n) is committed as 4 extension polynomials of degree < n, split with
step m = 3n/4 so that the randomised split of SPEC.md (zero knowledge) fits."""


@dataclass(frozen=True)
class ProofConfig:
    num_wires: int = P2_WIRES
    num_routed: int = 36
    num_constants: int = 4
    zk: bool = False
    fri: FriConfig = field(default_factory=FriConfig)
    min_security_bits: int = 0
    """Policy, not part of the proof format: setup() refuses a circuit whose conjectured security
    (SPEC.md, "Security") is below this.  Every preset used to claim a result sets 100; test
    configurations with fewer queries leave it at 0."""

    def __post_init__(self):
        if not P2_ROUTED <= self.num_routed <= self.num_wires:
            raise ParameterError(f"num_routed must be in [{P2_ROUTED}, num_wires], got {self.num_routed}")
        if not P2_WIRES <= self.num_wires <= MAX_NUM_WIRES:
            raise ParameterError(f"num_wires must be in [{P2_WIRES}, {MAX_NUM_WIRES}] (at least the Poseidon2 "
                                 f"gate's width), got {self.num_wires}")
        if not 1 <= self.num_constants <= 8:
            raise ParameterError("num_constants must be in [1, 8]")
        if self.fri.log_blowup < 2:
            raise ParameterError("the constraint quotient needs a blowup of at least 4 (log_blowup >= 2)")
        if self.num_routed > 127:
            raise ParameterError("num_routed must be below 127 (distinct cosets k_c H)")

    @property
    def salt_size(self) -> int:
        return SALT_SIZE if self.zk else 0

    @property
    def num_perm_chunks(self) -> int:
        """Permutation-argument chunks of 2 routed columns each: Z and the helpers."""
        return (self.num_routed + 1) // 2

    @property
    def blinding_rows(self) -> int:
        """Rows at the end of the trace outside every constraint (SPEC.md, "Zero knowledge").

        Z is opened at zeta and omega*zeta (4 base-field functionals each) and, in the simulation
        argument, at the queries x_q and omega*x_q (2 Q more); Z is free on all blinding rows but
        the first, so 2Q + 8 + 1 rows make its openings uniform.  Without ZK one inactive row."""
        if not self.zk:
            return 1
        return 2 * self.fri.num_queries + 9

    def min_log_rows(self) -> int:
        """Smallest trace: n/4 >= Q + 4 for the quotient randomisers in ZK mode, else 8 rows."""
        if not self.zk:
            return 3
        need = 4 * (self.fri.num_queries + 4)
        return max(3, (need - 1).bit_length())
