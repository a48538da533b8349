"""Benchmark of recursive aggregation: N client transfers in, one L1-facing batch proof out.

    python -m tools.bench_aggregate --txs N [--preset real] [--workers W] [--cold-workers] [--json]
                                    [--proof-out FILE] [--verify FILE]

What runs, in order (progress goes to stderr):
  1. setup: the join-split keys and the aggregation keys (dummy, leaf, merge, final) for the preset;
  2. funding: N wallets each prove a deposit; these enter the state through the plain transition
     (apply_batch + commit) without an aggregation proof, like a genesis batch;
  3. clients: wallet i proves a transfer to wallet i+1, spending its deposit (timed per proof);
  4. aggregation: ``prove_batch`` over the N transfers with a forking scheduler of W workers
     (default: the machine's cores), which includes the operator's own L1 check of the result.
     The workers are started before the clock starts (``start_workers``: forked once, each
     proving the dummy circuit), as an operator node keeps them from batch to batch; that
     start-up is timed as workers_start_s.  --cold-workers forks them inside prove_batch
     instead, as a one-off batch would;
  5. one recursion step timed alone: a leaf holding two transfers, proved in this process;
  6. the L1 check (``check_batch``: calldata, challenge, fingerprint, final proof) timed.

--json prints one object with keys txs, client_prove_s (median per transfer), aggregate_s (the
whole prove_batch), aggregate_s_per_tx, final_proof_bytes, final_verify_s (median of 5 L1 checks
after a warm-up), recursion_step_s (median of --repeat single-leaf proofs), plus setup_s,
leaves_s, merges_s, final_s, calldata_bytes, node_log_rows, workers, workers_start_s (null with
--cold-workers), preset and the FRI security of the node and final proofs.
--proof-out FILE writes the batch (old state, root window, calldata, public inputs, proof) as
JSON.  --verify FILE re-runs the L1 checks on such a file and exits 0 if it passes, 1 if not; it
rebuilds the keys from the preset named in the file (setup is deterministic) rather than trusting
any key material in the file, so it costs one setup.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from shielded.commit.security import security_report
from shielded.errors import ShieldedError
from shielded.proof.encoding import encode_proof
from shielded.protocol.params import PRESETS
from shielded.state.rollup import RollupState, TreeState
from shielded.operator.aggregator import (AggregationSystem, check_batch, prove_batch, prove_chain,
                                         start_workers)
from shielded.operator.scheduler import ProcessScheduler
from shielded.wallet.wallet import Wallet
from tools.report import print_result

FILE_FORMAT = "shielded-batch-proof"
FILE_VERSION = 1


def _state_json(s: TreeState) -> dict:
    return {"note_root": list(s.note_root), "note_size": s.note_size, "nf_root": list(s.nf_root),
            "nf_size": s.nf_size}


def _state_from_json(d: dict) -> TreeState:
    def digest(x):
        if not (isinstance(x, list) and len(x) == 8 and all(isinstance(v, int) for v in x)):
            raise ValueError("a root is a list of 8 integers")
        return tuple(x)
    return TreeState(digest(d["note_root"]), int(d["note_size"]), digest(d["nf_root"]), int(d["nf_size"]))


def verify_file(path: str, log) -> int:
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if doc.get("format") != FILE_FORMAT or doc.get("version") != FILE_VERSION:
            raise ValueError(f"not a {FILE_FORMAT} file of version {FILE_VERSION}")
        preset = PRESETS[doc["preset"]]
        old = _state_from_json(doc["old_state"])
        history = [_state_from_json({"note_root": r, "note_size": 0, "nf_root": r, "nf_size": 0}).note_root
                   for r in doc["history"]]
        calldata = bytes.fromhex(doc["calldata"])
        public = [int(x) for x in doc["final_public"]]
        proof = bytes.fromhex(doc["proof"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        log(f"invalid: cannot read {path}: {type(e).__name__}: {str(e)[:200]}")
        return 1
    log(f"rebuilding the {preset.name} aggregation keys ...")
    system = AggregationSystem(preset, progress=log)
    t0 = time.perf_counter()
    try:
        check_batch(system, old, history, calldata, public, proof)
    except ShieldedError as e:
        log(f"invalid: {e}")
        return 1
    log(f"valid batch proof ({time.perf_counter() - t0:.3f} s for the L1 checks)")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_aggregate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--txs", type=int, default=8, help="transfers in the batch (default 8)")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="real")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="proving processes")
    ap.add_argument("--cold-workers", action="store_true",
                    help="fork the workers inside prove_batch instead of starting them before the clock")
    ap.add_argument("--repeat", type=int, default=3, help="single-leaf proofs to time (median reported)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--proof-out", metavar="FILE", help="write the batch and its proof to FILE")
    ap.add_argument("--verify", metavar="FILE", help="run the L1 checks on a batch file; exit 0 if valid, 1 if not")
    args = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if args.verify:
        return verify_file(args.verify, log)
    preset = PRESETS[args.preset]
    if not 1 <= args.txs <= preset.max_batch:
        ap.error(f"--txs must be in [1, {preset.max_batch}] for the {preset.name} preset")
    if args.workers < 1 or args.repeat < 1:
        ap.error("--workers and --repeat must be at least 1")

    t0 = time.perf_counter()
    system = AggregationSystem(preset, progress=log)
    setup_s = time.perf_counter() - t0

    n = args.txs
    wallets = [Wallet(f"w{i}", system.js) for i in range(n)]
    state = RollupState.for_preset(preset)
    log(f"funding: {n} deposit proof(s) ...")
    deposits = [w.deposit(100 + i, 0x1000 + i) for i, w in enumerate(wallets)]
    state.apply_batch(system.js, deposits)
    state.commit()
    for w in wallets:
        w.sync(deposits)
    log(f"clients: {n} transfer proof(s) ...")
    client_times, transfers = [], []
    for i, w in enumerate(wallets):
        t = time.perf_counter()
        transfers.append(w.pay(wallets[(i + 1) % n].address, 10 + i, fee=1))
        client_times.append(time.perf_counter() - t)

    old, history = state.tree_state(), list(state.history)
    scheduler = ProcessScheduler(args.workers)
    workers_start_s = None
    if not args.cold_workers:
        log(f"starting {args.workers} worker(s) ...")
        workers_start_s = start_workers(system, scheduler)
    log(f"aggregating {n} transfer(s) with {args.workers} worker(s) ...")
    t = time.perf_counter()
    try:
        result = prove_batch(system, state, transfers, scheduler, progress=log)
        aggregate_s = time.perf_counter() - t
    finally:
        scheduler.close()

    log(f"timing single recursion steps (a leaf of {min(2, n)} transfer(s)) x{args.repeat} ...")
    steps = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        prove_chain(system, result.plan, list(range(min(2, n))))
        steps.append(time.perf_counter() - t)

    proof_bytes = encode_proof(result.final_proof, system.final_vk)
    check_batch(system, old, history, result.calldata, result.final_public, proof_bytes)     # warm-up
    checks = []
    for _ in range(5):
        t = time.perf_counter()
        check_batch(system, old, history, result.calldata, result.final_public, proof_bytes)
        checks.append(time.perf_counter() - t)

    if args.proof_out:
        doc = {"format": FILE_FORMAT, "version": FILE_VERSION, "preset": preset.name,
               "old_state": _state_json(old), "history": [list(r) for r in history],
               "calldata": result.calldata.hex(), "final_public": [int(x) for x in result.final_public],
               "proof": proof_bytes.hex()}
        with open(args.proof_out, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        log(f"batch proof written to {args.proof_out}")

    node_sec = security_report(system.node_cfg.fri, system.template.log_n)
    final_sec = security_report(system.final_vk.config.fri, system.final_vk.log_n)
    out = {
        "txs": n, "preset": preset.name, "workers": args.workers,
        "workers_start_s": None if workers_start_s is None else round(workers_start_s, 2),
        "client_prove_s": round(statistics.median(client_times), 4),
        "aggregate_s": round(aggregate_s, 3),
        "aggregate_s_per_tx": round(aggregate_s / n, 3),
        "final_proof_bytes": len(proof_bytes),
        "final_verify_s": round(statistics.median(checks), 4),
        "recursion_step_s": round(statistics.median(steps), 3),
        "setup_s": round(setup_s, 1),
        "leaves_s": round(result.timings["leaves_s"], 3),
        "merges_s": round(result.timings["merges_s"], 3),
        "final_s": round(result.timings["final_s"], 3),
        "calldata_bytes": len(result.calldata),
        "node_log_rows": system.template.log_n,
        "node_security_bits": node_sec["conjectured_bits"],
        "final_security_bits": final_sec["conjectured_bits"],
    }
    print_result(out, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
