"""``shielded demo``: two wallets, a deposit, a private payment, a withdrawal.

Everything runs on this machine, with no service to start.  By default each transaction goes to
the embedded operator, which plans a batch, aggregates the client proof recursively into one
Keccak-based batch proof (worker processes), and hands calldata and proof to the L1 checks of
SPEC.md, Part III; the state advances only when those pass, and the trees are finally rebuilt from
the published data alone.  ``aggregate=False`` (``--ledger-only``) uses the plain ledger of
Part II instead: every client proof verified, nothing aggregated.
"""

from __future__ import annotations

import os
import statistics
import time

from shielded.operator.aggregator import AggregationSystem, check_batch, prove_batch
from shielded.operator.scheduler import ProcessScheduler
from shielded.protocol.batch import BatchPublicData
from shielded.protocol.params import preset as get_preset
from shielded.protocol.transaction import joinsplit_system
from shielded.state.ledger import Ledger
from shielded.state.rollup import RollupState, replay_public_data
from shielded.wallet.wallet import Wallet

GWEI = "gwei"


class _Operator:
    """The embedded operator and L1: one batch per transaction, proved, checked, committed."""

    def __init__(self, preset, out, workers: int):
        self.out = out
        self.agg = AggregationSystem(preset, progress=lambda m: out(f"  {m}"))
        self.state = RollupState.for_preset(preset)
        self.scheduler = ProcessScheduler(workers)
        self.transactions: list = []
        self.published: list[BatchPublicData] = []
        self.batch_s: list[float] = []
        self.check_s: list[float] = []
        self.final_bytes = 0

    def process_transaction(self, tx) -> tuple[int, int]:
        from shielded.proof.encoding import encode_proof
        old, history = self.state.tree_state(), list(self.state.history)    # what L1 holds
        t = time.perf_counter()
        result = prove_batch(self.agg, self.state, [tx], self.scheduler,
                             progress=lambda m: self.out(f"  operator: {m}"))
        self.batch_s.append(time.perf_counter() - t)
        proof = encode_proof(result.final_proof, self.agg.final_vk)
        t = time.perf_counter()
        check_batch(self.agg, old, history, result.calldata, result.final_public, proof)
        self.check_s.append(time.perf_counter() - t)
        self.state.commit()
        self.final_bytes = max(self.final_bytes, len(proof))
        self.published.append(BatchPublicData.from_calldata(result.calldata))
        self.transactions.append(tx)
        self.out(f"  L1: batch proof ({len(proof)} bytes) and {len(result.calldata)} bytes of calldata "
                 f"accepted in {self.check_s[-1] * 1000:.1f} ms; the batch took {self.batch_s[-1]:.1f} s to prove")
        size = result.plan.old.note_size
        return size, size + 1


def run_demo(preset_name: str = "real", out=print, aggregate: bool = True, workers: int | None = None) -> dict:
    preset = get_preset(preset_name)
    if preset.insecure:
        out(f"WARNING: preset '{preset.name}' is an insecure test setting")
    t0 = time.perf_counter()
    if aggregate:
        out(f"Setting up the join-split and aggregation circuits (preset '{preset.name}': tree depth "
            f"{preset.tree_depth}, hiding client proofs with {preset.proof.fri.num_queries} FRI queries)...")
        ledger = _Operator(preset, out, workers or os.cpu_count() or 1)
        system = ledger.agg.js
    else:
        out(f"Setting up the join-split circuit (preset '{preset.name}': tree depth {preset.tree_depth}, "
            f"hiding on, {preset.proof.fri.num_queries} FRI queries)...")
        system = joinsplit_system(preset)
        ledger = Ledger(system)
    stats = system.js.circuit.stats()
    out(f"  join-split circuit: {stats['rows_used']} rows used of 2^{stats['log_n']}, "
        f"{stats['gate_rows'].get('poseidon2(width=16)', 0)} Poseidon2 rows; "
        f"setup {time.perf_counter() - t0:.2f} s")
    alice, bob = Wallet("Alice", system), Wallet("Bob", system)
    out(f"Alice's address: {alice.address}")
    out(f"Bob's address:   {bob.address}")
    alice_l1 = int.from_bytes(os.urandom(20), "big")
    bob_l1 = int.from_bytes(os.urandom(20), "big")
    timings: dict[str, float] = {}
    sizes = []

    def step(label: str, make_tx):
        out(f"\n{label}")
        t = time.perf_counter()
        tx = make_tx(lambda msg: out(f"  proving: {msg}"))
        proved = time.perf_counter() - t
        timings[label] = proved
        sizes.append(len(tx.to_bytes()))
        out(f"  client: built and proved in {proved:.2f} s; transaction {len(tx.to_bytes())} bytes "
            f"(proof {len(tx.proof)})")
        t = time.perf_counter()
        positions = ledger.process_transaction(tx)
        if aggregate:
            verified = ledger.check_s[-1]
            out(f"  new notes at {positions}")
        else:
            verified = time.perf_counter() - t
            out(f"  ledger: verified and applied in {verified * 1000:.1f} ms; new notes at {positions}")
        for w in (alice, bob):
            w.sync(ledger.transactions)
        return tx, verified

    _, v1 = step(f"1. Alice deposits 1000 {GWEI} from her L1 address 0x{alice_l1:040x}",
                 lambda p: alice.deposit(1000, alice_l1, progress=p))
    out(f"  Alice's shielded balance: {alice.balance()}")
    _, v2 = step(f"2. Alice pays Bob 600 {GWEI} privately (fee 2)",
                 lambda p: alice.pay(bob.address, 600, fee=2, memo=b"thanks for lunch", progress=p))
    found = [n for n in bob.notes if not n.spent]
    for n in found:
        out(f"  Bob found a note by trial decryption: {n.note.value} {GWEI}, memo {n.memo.decode(errors='replace')!r}, "
            f"position {n.position}")
    out(f"  balances: Alice {alice.balance()}, Bob {bob.balance()}")
    _, v3 = step(f"3. Bob withdraws 598 {GWEI} to his L1 address 0x{bob_l1:040x} (fee 2)",
                 lambda p: bob.pay(None, 598, fee=2, withdraw_to=bob_l1, progress=p))
    out(f"  balances: Alice {alice.balance()}, Bob {bob.balance()}")
    if alice.balance() != 398 or bob.balance() != 0:
        raise AssertionError("demo balances are wrong")
    if aggregate:
        replayed = replay_public_data(preset.tree_depth, ledger.published)
        if replayed != ledger.state.tree_state():
            raise AssertionError("the published data does not rebuild the state")
        out("\nRebuilt both trees from the published batch data alone: same roots as the operator's.")
    summary = {
        "preset": preset.name,
        "prove_s_median": round(statistics.median(timings.values()), 3),
        "verify_ms_median": round(statistics.median([v1, v2, v3]) * 1000, 1),
        "tx_bytes": max(sizes),
        "total_s": round(time.perf_counter() - t0, 2),
    }
    if aggregate:
        summary["batch_s_median"] = round(statistics.median(ledger.batch_s), 2)
        summary["final_proof_bytes"] = ledger.final_bytes
    if aggregate:
        out(f"\nSummary: 3 transactions, each aggregated into a batch proof that passed the L1 checks; "
            f"median client proving {summary['prove_s_median']} s, median batch {summary['batch_s_median']} s, "
            f"median L1 check {summary['verify_ms_median']} ms, "
            f"batch proofs {summary['final_proof_bytes']} bytes, transactions {summary['tx_bytes']} bytes; "
            f"total {summary['total_s']} s (the first run in a fresh environment also compiles kernels).")
    else:
        out(f"\nSummary: 3 transactions, each proof verified; median proving {summary['prove_s_median']} s, "
            f"median verification {summary['verify_ms_median']} ms, transactions {summary['tx_bytes']} bytes; "
            f"total {summary['total_s']} s (the first run in a fresh environment also compiles kernels).")
    return summary
