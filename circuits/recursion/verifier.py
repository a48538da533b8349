"""Verifying a proof inside a circuit: the generic verifier with the circuit context."""

from __future__ import annotations

from circuits.recursion.context import CircuitContext
from circuits.recursion.proof_targets import allocate_proof_targets, assign_proof
from circuits.recursion.values import BaseV
from shielded.commit.context import IndexLanes
from shielded.errors import VerificationError
from shielded.hash.transcript import new_transcript
from shielded.proof.verifier import NativeProofContext, _check_shapes, verify_with_context


def verify_in_circuit(b, vk, public_inputs) -> "ProofTargets":
    """Add the constraints of verifying a proof for ``vk`` with these public inputs (vars or
    BaseV); returns the proof's targets, to be assigned with ``assign_proof``."""
    targets = allocate_proof_targets(b, vk)
    pis = [x if isinstance(x, BaseV) else BaseV(b, x) for x in public_inputs]
    verify_with_context(CircuitContext(b), vk, pis, targets)
    return targets


class _RecordingContext(NativeProofContext):
    def query_indices(self, t, count, log_size):
        idx = super().query_indices(t, count, log_size)
        self.indices = idx.values()
        return idx


def native_query_indices(vk, public_inputs, proof) -> list[int]:
    """Verify natively and return the query indices (raises VerificationError if invalid)."""
    _check_shapes(vk, public_inputs, proof)
    ctx = _RecordingContext(new_transcript(vk.config.fri.hash))
    verify_with_context(ctx, vk, [int(x) for x in public_inputs], proof)
    return ctx.indices


class _LenientContext(_RecordingContext):
    """Replays the verifier recording failed checks instead of raising, so that the query
    indices of an invalid proof can be derived (to build the in-circuit witness for it)."""

    def __init__(self, transcript):
        super().__init__(transcript)
        self.failures: list[str] = []

    def assert_eq(self, a, b, what):
        try:
            super().assert_eq(a, b, what)
        except VerificationError as e:
            self.failures.append(str(e))

    def assert_true(self, ok, what):
        if not ok:
            self.failures.append(what)

    def assert_nonzero(self, x, what):
        if x == 0:
            self.failures.append(what)

    def check_pow(self, t, nonce, bits):
        if not t.check_pow(int(nonce), bits):
            self.failures.append("FRI: proof of work")

    def open_rows(self, config, cap, log_leaves, idx, opening, width, what):
        try:
            return super().open_rows(config, cap, log_leaves, idx, opening, width, what)
        except VerificationError as e:      # openings that do not fit the replayed queries
            import numpy as np
            self.failures.append(str(e))
            return np.zeros((len(idx.values()), width), np.uint32)


def replay_query_indices(vk, public_inputs, proof) -> tuple[list[int], list[str]]:
    """(query indices, failed checks) for any well-shaped proof, valid or not."""
    _check_shapes(vk, public_inputs, proof)
    ctx = _LenientContext(new_transcript(vk.config.fri.hash))
    verify_with_context(ctx, vk, [int(x) for x in public_inputs], proof)
    return ctx.indices, ctx.failures


def proof_assignment(targets, vk, public_inputs, proof) -> dict:
    """Witness values for the proof targets (valid or invalid proof: the in-circuit verifier
    then reports the same verdict through check mode)."""
    indices, _ = replay_query_indices(vk, public_inputs, proof)
    return assign_proof(targets, vk, proof, indices)
