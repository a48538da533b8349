"""``shielded demo``: two wallets, a deposit, a private payment, a withdrawal.

Everything runs in this process on the embedded ledger (the plain state transition of
SPEC.md, Part II); every transaction's proof is verified before it is applied.
"""

from __future__ import annotations

import os
import statistics
import time

from shielded.protocol.params import preset as get_preset
from shielded.protocol.transaction import joinsplit_system
from shielded.state.ledger import Ledger
from shielded.wallet.wallet import Wallet

GWEI = "gwei"


def run_demo(preset_name: str = "real", out=print) -> dict:
    preset = get_preset(preset_name)
    if preset.insecure:
        out(f"WARNING: preset '{preset.name}' is an insecure test setting")
    t0 = time.perf_counter()
    out(f"Setting up the join-split circuit (preset '{preset.name}': tree depth {preset.tree_depth}, "
        f"hiding on, {preset.proof.fri.num_queries} FRI queries)...")
    system = joinsplit_system(preset)
    stats = system.js.circuit.stats()
    out(f"  circuit: {stats['rows_used']} rows used of 2^{stats['log_n']}, "
        f"{stats['gate_rows'].get('poseidon2(width=16)', 0)} Poseidon2 rows; "
        f"setup {time.perf_counter() - t0:.2f} s")
    ledger = Ledger(system)
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
        t = time.perf_counter()
        positions = ledger.process_transaction(tx)
        verified = time.perf_counter() - t
        timings[label] = proved
        sizes.append(len(tx.to_bytes()))
        out(f"  built and proved in {proved:.2f} s; verified and applied in {verified * 1000:.1f} ms; "
            f"transaction {len(tx.to_bytes())} bytes (proof {len(tx.proof)}); new notes at {positions}")
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
    summary = {
        "preset": preset.name,
        "prove_s_median": round(statistics.median(timings.values()), 3),
        "verify_ms_median": round(statistics.median([v1, v2, v3]) * 1000, 1),
        "tx_bytes": max(sizes),
        "total_s": round(time.perf_counter() - t0, 2),
    }
    out(f"\nSummary: 3 transactions, each proof verified; median proving {summary['prove_s_median']} s, "
        f"median verification {summary['verify_ms_median']} ms, transactions {summary['tx_bytes']} bytes; "
        f"total {summary['total_s']} s (the first run in a fresh environment also compiles kernels).")
    return summary
