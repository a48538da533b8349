"""Benchmark of one private transfer at the real preset (depth 32, hiding on).

    python -m tools.bench_joinsplit [--json] [--tx-out FILE] [--verify FILE] [--repeat N] [--preset NAME]

Builds a transfer spending one note (plus a dummy) to two outputs.  prove_s is the median over
--repeat builds (default 5) of the whole transaction (witness, encryption and proof, as a wallet
experiences it); verify_s the median of 5 proof verifications after a warm-up.  --json prints
rows, prove_s, verify_s, proof_bytes (and rows_used, tx_bytes, preset, repeat).  --tx-out writes
the transaction in its version-1 byte format (SPEC.md, Part II, "Transactions").  --verify FILE
checks the proof of a transaction file against the preset's verifying key and exits 0 if valid,
1 if not (unreadable, malformed, or a proof that does not verify); it does not check the root
against a ledger (there is none here).  --preset (default real) selects the preset whose keys
prove and verify; results are claimed for the real preset only, the others exist for tests.
Bad arguments exit 2 before any work (an unknown preset, --repeat < 1, --tx-out in a directory
that does not exist, --verify together with --tx-out).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from shielded.errors import ShieldedError
from shielded.protocol.params import PRESETS
from tools.report import print_result


def _setup(preset_name: str):
    from shielded.protocol.params import preset
    from shielded.protocol.transaction import joinsplit_system
    return joinsplit_system(preset(preset_name))


def _verify_file(path: str, preset_name: str) -> int:
    from shielded.protocol.transaction import Transaction, verify_transaction
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"invalid: cannot read {path}: {e.strerror or e}", file=sys.stderr)
        return 1
    try:
        tx = Transaction.from_bytes(data)
        verify_transaction(_setup(preset_name), tx)
    except ShieldedError as e:
        print(f"invalid: {e}", file=sys.stderr)
        return 1
    print(f"valid transaction proof (preset {preset_name})", file=sys.stderr)
    return 0


def _write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, so that a
    failure leaves no partial file behind."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".bench_joinsplit.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_joinsplit", description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the results as one JSON object")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--tx-out", metavar="FILE", help="write the transaction (version-1 bytes)")
    mode.add_argument("--verify", metavar="FILE", help="verify a transaction file: exit 0 if valid, 1 if not")
    ap.add_argument("--repeat", type=_positive, default=5, help="builds to time (default 5)")
    ap.add_argument("--preset", default="real", choices=sorted(PRESETS),
                    help="preset (default real; the others are for tests)")
    args = ap.parse_args(argv)
    if args.verify is not None:
        return _verify_file(args.verify, args.preset)
    if args.tx_out is not None:
        target = os.path.abspath(args.tx_out)
        if os.path.isdir(target) or not os.path.isdir(os.path.dirname(target)):
            ap.error(f"--tx-out {args.tx_out}: not a file in an existing directory")
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
    for i in range(args.repeat):
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
              "repeat": args.repeat}
    if args.tx_out is not None:
        try:
            _write_atomically(args.tx_out, tx.to_bytes())
        except OSError as e:
            print(f"cannot write {args.tx_out}: {e.strerror or e}", file=sys.stderr)
            return 1
        log(f"wrote {args.tx_out}")
    print_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
