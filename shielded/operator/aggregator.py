"""Aggregating a batch of transactions into one L1-facing proof (SPEC.md, Part III).

    system = AggregationSystem(preset)                  # one-time setup (keys of 4 circuits)
    result = prove_batch(system, state, txs, ProcessScheduler(2))
    check_batch(system, state_roots, history, result.calldata, result.final_public, result.final_proof)
    state.commit()

Transactions in, final proof + public data + new state out, for any batch size >= 1.  The batch
is cut into one chain per worker (leaves of two transactions, each leaf continuing the previous
one); chains are proved in parallel, their tips merged pairwise, and the top node wrapped in the
Keccak-based final proof.  A leaf with one transaction leaves its second slot inactive; a chain's
first leaf continues the dummy proof.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from circuits.aggregation.final import build_final
from circuits.aggregation.layout import FINAL_PI_FIELDS, NODE_NUM_PUBLIC_INPUTS, NODE_PI_FIELDS, PACK
from circuits.aggregation.node import build_dummy, build_leaf, build_merge
from circuits.gadgets.fq import Q, limbs_value, narrow_limbs, wide_limbs
from circuits.recursion.proof_targets import assign_proof
from circuits.recursion.verifier import replay_query_indices
from shielded.commit.fri import FriConfig
from shielded.errors import ShieldedError, VerificationError
from shielded.field.koalabear import P
from shielded.proof.config import ProofConfig
from shielded.proof.encoding import decode_proof
from shielded.proof.keys import VerifyingKey, setup
from shielded.proof.prover import prove
from shielded.proof.verifier import verify
from shielded.proof.witness import generate_witness, schedule
from shielded.hash.sponge import compress
from shielded.protocol.batch import (RECORDS_START, BatchPublicData, anchors_digest, anchors_values,
                                     batch_challenge, batch_fingerprint, fingerprint, records_step)
from shielded.protocol.transaction import joinsplit_system
from shielded.state.rollup import BatchPlan

NODE_LOG_ROWS = 15


def node_config() -> ProofConfig:
    return ProofConfig(fri=FriConfig.for_security(log_blowup=3), min_security_bits=100)


def final_config() -> ProofConfig:
    # blowup 16: 21 queries instead of 28 keep the L1-facing proof under 100 KB (and cheaper to
    # verify on L1) at the price of a slower final proof (BENCHMARKS.md)
    return ProofConfig(fri=FriConfig.for_security(log_blowup=4, hash="keccak"), min_security_bits=100)


def _template(config: ProofConfig, gates, log_n: int) -> VerifyingKey:
    cap = np.zeros((1 << min(config.fri.cap_height, log_n + config.fri.log_blowup), 8), np.uint32)
    return VerifyingKey(config, log_n, (1 << log_n) - config.blinding_rows, NODE_NUM_PUBLIC_INPUTS,
                        tuple(sorted(gates)), cap)


def node_shape(js_vk, cfg: ProofConfig, depth: int, log_rows: int = NODE_LOG_ROWS) -> tuple[set, int]:
    """(gate names, log n) of the node shape: the leaf and merge circuits are built for a
    template shape, and the gate list and size grown until both fit it (SPEC.md, section 29)."""
    gates = set(js_vk.gate_names) | {"reducing(coeffs=24)", "ext_arithmetic(ops=2)"}
    log_n = log_rows
    for _ in range(4):
        t = _template(cfg, gates, log_n)
        leaf = build_leaf(js_vk, t, (0,) * 8, cfg, depth)
        merge = build_merge(t, cfg)
        used = leaf.builder.used_gate_names() | merge.builder.used_gate_names()
        rows = max(leaf.builder.build().rows_used, merge.builder.build().rows_used)
        need = max(log_n, (rows + cfg.blinding_rows - 1).bit_length())
        if used <= gates and need == log_n:
            return gates, log_n
        gates |= used
        log_n = need
    raise ShieldedError("aggregation node shape did not converge")


def aggregation_circuit_stats(preset) -> dict:
    """Statistics of the leaf, merge and final circuits of a preset, built without setup (key
    digests are placeholders: they are constants and do not change a circuit's shape)."""
    js = joinsplit_system(preset)
    cfg = node_config()
    gates, log_n = node_shape(js.vk, cfg, preset.tree_depth)
    t = _template(cfg, gates, log_n)
    leaf = build_leaf(js.vk, t, (0,) * 8, cfg, preset.tree_depth, gates, log_n).builder.build()
    merge = build_merge(t, cfg, gates, log_n).builder.build()
    final = build_final(t, (0,) * 8, (0,) * 8, final_config()).builder.build()
    return {"leaf": leaf.stats(), "merge": merge.stats(), "final": final.stats()}


@dataclass
class NodeProof:
    kind: str              # "dummy", "leaf" or "merge"
    public: list
    proof: object

    def field(self, name: str) -> list:
        from circuits.aggregation.node import node_field
        return node_field(self.public, name)


class AggregationSystem:
    """The join-split system plus the aggregation circuits and their keys."""

    def __init__(self, preset, node_cfg: ProofConfig | None = None, final_cfg: ProofConfig | None = None,
                 log_rows: int = NODE_LOG_ROWS, progress: Callable | None = None):
        say = progress or (lambda m: None)
        t0 = time.perf_counter()
        self.preset = preset
        self.js = joinsplit_system(preset)
        self.depth = preset.tree_depth
        cfg = node_cfg or node_config()
        self.node_cfg = cfg
        gates, log_n = node_shape(self.js.vk, cfg, self.depth, log_rows)
        self.template = _template(cfg, gates, log_n)
        say(f"node shape: 2^{log_n} rows, {len(gates)} gate types ({time.perf_counter() - t0:.1f} s)")
        dummy_b = build_dummy(cfg, log_n, gates)
        self.dummy_circuit = dummy_b.build()
        self.dummy_pk, self.dummy_vk = setup(self.dummy_circuit)
        self.leaf = build_leaf(self.js.vk, self.template, self.dummy_vk.digest, cfg, self.depth, gates, log_n)
        self.leaf_circuit = self.leaf.builder.build()
        self.leaf_pk, self.leaf_vk = setup(self.leaf_circuit)
        say(f"leaf circuit: {self.leaf_circuit.rows_used} rows used ({time.perf_counter() - t0:.1f} s)")
        self.merge = build_merge(self.template, cfg, gates, log_n)
        self.merge_circuit = self.merge.builder.build()
        self.merge_pk, self.merge_vk = setup(self.merge_circuit)
        say(f"merge circuit: {self.merge_circuit.rows_used} rows used ({time.perf_counter() - t0:.1f} s)")
        shapes = {vk.shape_bytes() for vk in (self.template, self.dummy_vk, self.leaf_vk, self.merge_vk)}
        if len(shapes) != 1:
            raise ShieldedError("aggregation circuits do not share one shape")
        self.final = build_final(self.template, self.leaf_vk.digest, self.merge_vk.digest, final_cfg or final_config())
        self.final_circuit = self.final.builder.build()
        self.final_pk, self.final_vk = setup(self.final_circuit)
        say(f"final circuit: {self.final_circuit.rows_used} rows used of 2^{self.final_circuit.log_n} "
            f"({time.perf_counter() - t0:.1f} s)")
        for circuit in (self.dummy_circuit, self.leaf_circuit, self.merge_circuit, self.final_circuit):
            schedule(circuit)          # computed once here, inherited by forked workers
        proof, public = self.prove_dummy()
        self.dummy_proof = NodeProof("dummy", public, proof)
        say(f"dummy proof ready; setup done ({time.perf_counter() - t0:.1f} s)")

    def prove_dummy(self):
        """A proof of the dummy circuit (the node shape, all-zero witness): the chains' start,
        and the warm-up of started workers (``start_workers``)."""
        witness = generate_witness(self.dummy_circuit, {v: 0 for v in self.dummy_circuit.inputs})
        return prove(self.dummy_pk, witness)

    def vk_of(self, kind: str) -> VerifyingKey:
        return {"dummy": self.dummy_vk, "leaf": self.leaf_vk, "merge": self.merge_vk}[kind]


# -- witness assembly ----------------------------------------------------------------------------

def chain_digest(plan: BatchPlan, indices) -> tuple:
    """The records digest of a leaf chain over plan.txs[indices] (its plain twin)."""
    d = RECORDS_START
    for i in indices:
        d = records_step(d, plan.txs[i].record.elements())
    return d


def bind_plan(plan: BatchPlan, chains: list[list[int]]) -> None:
    """Fix the records digest of the proving schedule (chains, then pairwise merges exactly as
    prove_batch does them), then derive rho from it and the calldata and the batch fingerprint F."""
    digests = [chain_digest(plan, c) for c in chains]
    while len(digests) > 1:
        merged = [compress(digests[i], digests[i + 1]) for i in range(0, len(digests) - 1, 2)]
        if len(digests) % 2:
            merged.append(digests[-1])
        digests = merged
    plan.records_digest = tuple(digests[0])
    plan.rho = batch_challenge(plan.old.note_root, plan.old.nf_root, plan.calldata, plan.records_digest)
    plan.F = batch_fingerprint(plan.data.record_elements(), plan.rho)


def _node_publics(plan: BatchPlan, start_state, end_state, elements: list[int], system,
                  records_digest) -> list[int]:
    if plan.rho is None:
        raise ShieldedError("the batch plan is not bound to a proving schedule: call bind_plan first")
    rho = plan.rho
    F = fingerprint(elements, rho)
    R = pow(rho, len(elements) // PACK, Q)
    values = {"note_root_old": list(start_state.note_root), "note_size_old": [start_state.note_size],
              "note_root_new": list(end_state.note_root), "note_size_new": [end_state.note_size],
              "nf_root_old": list(start_state.nf_root), "nf_size_old": [start_state.nf_size],
              "nf_root_new": list(end_state.nf_root), "nf_size_new": [end_state.nf_size],
              "anchors_digest": list(anchors_digest(plan.anchors)), "records_digest": list(records_digest),
              "rho": narrow_limbs(rho), "rho14": narrow_limbs(pow(rho, 14, Q)), "F": wide_limbs(F),
              "R": wide_limbs(R), "leaf_digest": list(system.leaf_vk.digest),
              "merge_digest": list(system.merge_vk.digest)}
    return [x for name, _ in NODE_PI_FIELDS for x in values[name]]


def _assign_child(out: dict, system, child, node: NodeProof) -> None:
    vk = system.vk_of(node.kind)
    out.update(zip(child.public, node.public))
    for t, d in zip(child.cap, vk.preprocessed_cap):
        out.update(zip((x.var for x in t), map(int, d)))
    out[child.is_merge] = 1 if node.kind == "merge" else 0
    indices, failures = replay_query_indices(vk, node.public, node.proof)
    if failures:
        raise VerificationError(f"a {node.kind} proof handed to aggregation is invalid: {failures[0]}")
    out.update(assign_proof(child.proof, vk, node.proof, indices))


def leaf_assignment(system, plan: BatchPlan, indices: list[int], chain_start: int, prev: NodeProof | None) -> tuple:
    """(assignment, public inputs) for a leaf holding plan.txs[i] for i in ``indices``."""
    leaf = system.leaf
    out: dict = {}
    start_state = plan.txs[chain_start].before
    end_state = plan.txs[indices[-1]].after
    covered = range(chain_start, indices[-1] + 1)
    elements = [e for i in covered for e in plan.txs[i].record.elements()]
    publics = _node_publics(plan, start_state, end_state, elements, system, chain_digest(plan, covered))
    flat = [v for name, _ in NODE_PI_FIELDS for v in leaf.pis[name]]
    out.update(zip(flat, publics))
    out.update(zip(leaf.anchors, anchors_values(plan.anchors)))
    prev_node = prev if prev is not None else system.dummy_proof
    _assign_child(out, system, leaf.prev, prev_node)
    out[leaf.prev.active] = 1 if prev is not None else 0
    js_vk = system.js.vk
    first = plan.txs[indices[0]]
    for s, slot in enumerate(leaf.slots):
        w = plan.txs[indices[s]] if s < len(indices) else None
        tx = (w or first).tx
        out[slot.active] = 1 if w is not None else 0
        pub = tx.public_inputs()
        out.update(zip(slot.public, pub))
        proof = decode_proof(tx.proof, js_vk)
        idx, failures = replay_query_indices(js_vk, pub, proof)
        if failures:
            raise VerificationError(f"transaction proof invalid: {failures[0]}")
        out.update(assign_proof(slot.proof, js_vk, proof, idx))
        out[slot.anchor_index] = w.anchor_index if w is not None else 0
        sibs = w.note_siblings if w is not None else [(0,) * 8] * (system.depth - 1)
        for t, d in zip(slot.note_siblings, sibs):
            out.update(zip(t, d))
        for k, handles in enumerate(slot.nf):
            if w is not None:
                iw = w.nf_witnesses[k]
                vals = dict(low_key=list(iw.low_leaf.key), low_next_index=iw.low_leaf.next_index,
                            low_next_key=list(iw.low_leaf.next_key), low_position=iw.low_index,
                            low_path=iw.low_path, new_path=iw.new_path)
            else:
                zero = [(0,) * 8] * system.depth
                vals = dict(low_key=[0] * 4, low_next_index=0, low_next_key=[0] * 4, low_position=0,
                            low_path=zero, new_path=zero)
            out.update(zip(handles["low_key"], vals["low_key"]))
            out[handles["low_next_index"]] = vals["low_next_index"]
            out.update(zip(handles["low_next_key"], vals["low_next_key"]))
            out[handles["low_position"]] = vals["low_position"]
            for t, d in zip(handles["low_path"], vals["low_path"]):
                out.update(zip(t, d))
            for t, d in zip(handles["new_path"], vals["new_path"]):
                out.update(zip(t, d))
    return out, publics


def merge_assignment(system, plan: BatchPlan, left: NodeProof, right: NodeProof | None) -> tuple:
    m = system.merge
    out: dict = {}
    active = right is not None
    right_node = right if active else left
    out[m.right_active] = 1 if active else 0
    _assign_child(out, system, m.children[0], left)
    _assign_child(out, system, m.children[1], right_node)
    values = {name: left.field(name) for name, _ in NODE_PI_FIELDS}
    if active:
        for name in ("note_root_new", "note_size_new", "nf_root_new", "nf_size_new"):
            values[name] = right.field(name)
        fl, rl = limbs_value(left.field("F"), 16), limbs_value(left.field("R"), 16)
        fr, rr = limbs_value(right.field("F"), 16), limbs_value(right.field("R"), 16)
        values["F"] = wide_limbs((fl * rr + fr) % Q)
        values["R"] = wide_limbs((rl * rr) % Q)
        values["records_digest"] = list(compress(left.field("records_digest"), right.field("records_digest")))
    publics = [x for name, _ in NODE_PI_FIELDS for x in values[name]]
    flat = [v for name, _ in NODE_PI_FIELDS for v in m.pis[name]]
    out.update(zip(flat, publics))
    return out, publics


def final_assignment(system, plan: BatchPlan, top: NodeProof) -> tuple:
    f = system.final
    out: dict = {}
    _assign_child(out, system, f.top, top)
    values = {name: top.field(name) for name in ("note_root_old", "note_size_old", "note_root_new",
                                                  "note_size_new", "nf_root_old", "nf_size_old",
                                                  "nf_root_new", "nf_size_new", "records_digest", "rho")}
    values["anchors"] = anchors_values(plan.anchors)
    values["F"] = wide_limbs(plan.F)
    publics = [x for name, _ in FINAL_PI_FIELDS for x in values[name]]
    flat = [v for name, _ in FINAL_PI_FIELDS for v in f.pis[name]]
    out.update(zip(flat, publics))
    return out, publics


# -- proving jobs (top-level functions so worker processes can run them) --------------------------

_SYSTEM: AggregationSystem | None = None


def _prove(pk, circuit, assignment):
    witness = generate_witness(circuit, assignment)
    proof, public = prove(pk, witness)
    return proof, public


def prove_chain(system, plan: BatchPlan, indices: list[int]) -> NodeProof:
    """Prove a chain of leaves over plan.txs[indices] (two per leaf, in order)."""
    prev = None
    start = indices[0]
    for k in range(0, len(indices), 2):
        assignment, _ = leaf_assignment(system, plan, indices[k:k + 2], start, prev)
        proof, public = _prove(system.leaf_pk, system.leaf_circuit, assignment)
        prev = NodeProof("leaf", public, proof)
    return prev


def prove_merge(system, plan: BatchPlan, left: NodeProof, right: NodeProof | None) -> NodeProof:
    assignment, _ = merge_assignment(system, plan, left, right)
    proof, public = _prove(system.merge_pk, system.merge_circuit, assignment)
    return NodeProof("merge", public, proof)


# Worker processes are forked and inherit the system (its proving keys are large) through this
# module global instead of receiving it pickled with every job.
def prove_chain_job(plan: BatchPlan, indices: list[int]) -> NodeProof:
    return prove_chain(_SYSTEM, plan, indices)


def prove_merge_job(plan: BatchPlan, left: NodeProof, right: NodeProof | None) -> NodeProof:
    return prove_merge(_SYSTEM, plan, left, right)


def prove_final_job(plan: BatchPlan, top: NodeProof) -> tuple:
    assignment, _ = final_assignment(_SYSTEM, plan, top)
    return _prove(_SYSTEM.final_pk, _SYSTEM.final_circuit, assignment)


def _warm_up_job() -> None:
    _SYSTEM.prove_dummy()


def start_workers(system: AggregationSystem, scheduler) -> float:
    """For an operator that proves batch after batch: fork the scheduler's workers now, holding
    ``system``, and have each prove the dummy circuit once.  The dummy has the shape of every
    leaf and merge, so a worker's memory is mapped before its first leaf (the first leaf of a
    fresh worker is otherwise 0.6-1 s slower, BENCHMARKS.md).  Returns the seconds it took.
    ``prove_batch`` then uses these workers and refuses them for another system.  Optional:
    without it, each batch forks fresh workers."""
    global _SYSTEM
    t0 = time.perf_counter()
    _SYSTEM = system
    scheduler.start(warmup=_warm_up_job, owner=system)
    return time.perf_counter() - t0


@dataclass
class BatchResult:
    plan: BatchPlan
    final_proof: object
    final_public: list
    calldata: bytes
    timings: dict


def split_chains(n: int, workers: int) -> list[list[int]]:
    """Contiguous ranges of transaction indices, one per chain; every chain but the last holds
    an even number of transactions (leaves take two)."""
    leaves = -(-n // 2)
    chains = max(1, min(workers, leaves))
    per = -(-leaves // chains)
    out = []
    for c in range(chains):
        lo, hi = 2 * per * c, min(n, 2 * per * (c + 1))
        if lo < hi:
            out.append(list(range(lo, hi)))
    return out


def prove_batch(system: AggregationSystem, state, txs, scheduler, progress: Callable | None = None) -> BatchResult:
    """Plan, prove and check a batch (the state is updated only by ``state.commit()``)."""
    global _SYSTEM
    if getattr(scheduler, "started", False) and getattr(scheduler, "owner", None) is not system:
        # started workers hold the system they were forked with (the module global)
        raise ShieldedError("the scheduler's workers were not started for this AggregationSystem "
                            "(call start_workers with this one, or close the scheduler)")
    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    plan = state.apply_batch(system.js, list(txs))
    timings = {"plan_s": time.perf_counter() - t0}
    say(f"batch of {len(txs)} planned: {len(plan.anchors)} anchor(s), {len(plan.calldata)} bytes of calldata")
    _SYSTEM = system
    chains = split_chains(len(txs), getattr(scheduler, "workers", 1))
    bind_plan(plan, chains)
    t1 = time.perf_counter()
    nodes = scheduler.map(prove_chain_job, [(plan, c) for c in chains])
    timings["leaves_s"] = time.perf_counter() - t1
    say(f"{len(chains)} chain(s) of leaves proved ({timings['leaves_s']:.1f} s)")
    t1 = time.perf_counter()
    while len(nodes) > 1:
        pairs = [(plan, nodes[i], nodes[i + 1]) for i in range(0, len(nodes) - 1, 2)]
        merged = scheduler.map(prove_merge_job, pairs)
        if len(nodes) % 2:
            merged.append(nodes[-1])
        nodes = merged
    timings["merges_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    proof, public = scheduler.map(prove_final_job, [(plan, nodes[0])])[0]
    timings["final_s"] = time.perf_counter() - t1
    say(f"final proof ({timings['final_s']:.1f} s)")
    # self-check: exactly what L1 will check, before anything is submitted
    t1 = time.perf_counter()
    check_batch(system, plan.old, state.history, plan.calldata, public, proof)
    timings["check_s"] = time.perf_counter() - t1
    timings["total_s"] = time.perf_counter() - t0
    return BatchResult(plan, proof, public, plan.calldata, timings)


def check_batch(system: AggregationSystem, old_state, history, calldata: bytes, final_public: list, proof) -> None:
    """What the L1 contract checks (SPEC.md, Part III, "L1 checks"): the old roots are its state,
    every anchor is a recent root and the proof's anchor list is the calldata's, rho recomputed
    from the calldata and the proof's records digest and F recomputed from the calldata's
    records match the proof's public inputs, and the final proof verifies.  ``proof`` is the proof object or its encoded bytes.
    Raises VerificationError (EncodingError for malformed calldata or proof bytes)."""
    data = BatchPublicData.from_calldata(calldata)
    if isinstance(proof, (bytes, bytearray)):
        proof = decode_proof(bytes(proof), system.final_vk)
    if len(final_public) != sum(n for _, n in FINAL_PI_FIELDS):
        raise VerificationError(f"expected {sum(n for _, n in FINAL_PI_FIELDS)} public inputs, "
                                f"got {len(final_public)}")
    if not all(isinstance(x, (int, np.integer)) and 0 <= x < P for x in final_public):
        raise VerificationError("a public input is not a field element")
    pis = {}
    pos = 0
    for name, n in FINAL_PI_FIELDS:
        pis[name] = list(final_public[pos:pos + n])
        pos += n
    if pis["note_root_old"] != list(old_state.note_root) or pis["note_size_old"] != [old_state.note_size] \
            or pis["nf_root_old"] != list(old_state.nf_root) or pis["nf_size_old"] != [old_state.nf_size]:
        raise VerificationError("the proof does not start from the current state")
    for a in data.anchors:
        if tuple(a) not in history:
            raise VerificationError("an anchor root is not among the recent batch roots")
    if pis["anchors"] != anchors_values(data.anchors):
        raise VerificationError("the proof's anchor list is not the calldata's")
    rho = batch_challenge(old_state.note_root, old_state.nf_root, calldata, pis["records_digest"])
    if pis["rho"] != narrow_limbs(rho):
        raise VerificationError("the challenge does not match the calldata and records digest")
    if pis["F"] != wide_limbs(batch_fingerprint(data.record_elements(), rho)):
        raise VerificationError("the fingerprint does not match the calldata")
    verify(system.final_vk, final_public, proof)
