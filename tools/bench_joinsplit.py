"""Benchmark of one private transfer at the real preset (depth 32, hiding on).

    python -m tools.bench_joinsplit [--json] [--tx-out FILE] [--verify FILE] [--repeat N]

Builds a transfer spending one note (plus a dummy) to two outputs.  prove_s is the median over
--repeat builds of the whole transaction (witness, encryption and proof, as a wallet experiences
it); verify_s the median of 5 proof verifications after a warm-up.  --json prints rows, prove_s,
verify_s, proof_bytes (and tx_bytes, preset, repeat).  --tx-out writes the transaction in its
version-1 byte format (SPEC.md, Part II, "Transactions").  --verify FILE checks the proof of a
transaction file against the real preset's verifying key and exits 0 if valid, 1 if not; it does
not check the root against a ledger (there is none here).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from shielded.errors import ShieldedError


def _setup(preset_name: str):
    from shielded.protocol.params import preset
    from shielded.protocol.transaction import joinsplit_system
    return joinsplit_system(preset(preset_name))


def _verify_file(path: str, preset_name: str) -> int:
    from shielded.protocol.transaction import Transaction, verify_transaction
    try:
        with open(path, "rb") as f:
            tx = Transaction.from_bytes(f.read())
        verify_transaction(_setup(preset_name), tx)
        print("valid transaction proof", file=sys.stderr)
        return 0
    except (ShieldedError, OSError) as e:
        print(f"invalid: {e}", file=sys.stderr)
        return 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_joinsplit", description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--tx-out", metavar="FILE")
    ap.add_argument("--verify", metavar="FILE")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--preset", default="real", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.verify:
        return _verify_file(args.verify, args.preset)
    from shielded.protocol.keys import SpendingKey
    from shielded.protocol.note import Note, note_commitment, note_leaf, random_rcm
    from shielded.protocol.transaction import Output, Spend, build_transaction, verify_transaction
    from shielded.state.note_tree import NoteTree
    log = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr))
    system = _setup(args.preset)
    depth = system.preset.tree_depth
    alice, bob = SpendingKey.generate(), SpendingKey.generate()
    tree = NoteTree(depth, keep_nodes=True)
    note = Note(0, 10_000, alice.owner, random_rcm())
    for i in range(5):
        tree.append((i + 1,) * 8)
    pos = tree.append(note_leaf(note_commitment(note)))
    spend = Spend(note, pos, tree.path(pos))
    outputs = [Output(bob.address(), 7_000, b"bench"), Output(alice.address(), 2_990)]
    times = []
    tx = None
    for i in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        tx = build_transaction(system, alice, [spend], outputs, tree.root(), 0, fee=10,
                               progress=log if i == 0 else None)
        times.append(time.perf_counter() - t0)
    verify_transaction(system, tx)
    vt = []
    for _ in range(5):
        t0 = time.perf_counter()
        verify_transaction(system, tx)
        vt.append(time.perf_counter() - t0)
    result = {"rows": system.js.circuit.n, "rows_used": system.js.circuit.rows_used,
              "prove_s": round(statistics.median(times), 4), "verify_s": round(statistics.median(vt), 4),
              "proof_bytes": len(tx.proof), "tx_bytes": len(tx.to_bytes()), "preset": system.preset.name,
              "repeat": max(1, args.repeat)}
    if args.tx_out:
        with open(args.tx_out, "wb") as f:
            f.write(tx.to_bytes())
        log(f"wrote {args.tx_out}")
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>12}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
