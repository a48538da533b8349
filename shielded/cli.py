"""The ``shielded`` command line."""

from __future__ import annotations

import argparse
import sys
import time


def _cmd_params(args) -> int:
    from shielded.commit.fri import FriConfig
    from shielded.commit.security import security_report
    fri = FriConfig.for_security(log_blowup=args.log_blowup)
    rep = security_report(fri, args.log_rows)
    print(f"FRI: blowup {1 << fri.log_blowup}, {fri.num_queries} queries, {fri.pow_bits}-bit proof of work, "
          f"fold by {1 << fri.arity_bits}, final polynomial {1 << fri.log_final_len} coefficients")
    print(f"security at 2^{args.log_rows} rows: {rep['conjectured_bits']} bits conjectured, "
          f"{rep['proven_bits']} bits proven (Johnson bound)")
    for k, v in rep["proven_terms"].items():
        print(f"  proven  {k:<36} {v}")
    return 0


def _cmd_prove_example(args) -> int:
    """Prove and verify a small circuit: knowledge of a Poseidon2 preimage."""
    import random

    from shielded.commit.fri import FriConfig
    from shielded.hash.sponge import Tag, hash_elements
    from shielded.proof.builder import CircuitBuilder
    from shielded.proof.config import ProofConfig
    from shielded.proof.encoding import encode_proof
    from shielded.proof.keys import setup
    from shielded.proof.prover import prove
    from shielded.proof.verifier import verify
    from shielded.proof.witness import generate_witness

    cfg = ProofConfig(zk=not args.no_zk, fri=FriConfig.for_security())
    b = CircuitBuilder(cfg, "poseidon2-preimage")
    secret = b.add_inputs(8)
    digest = [b.public_input() for _ in range(8)]
    state = [b.zero()] * 8 + [b.constant(int(Tag.MERKLE_LEAF)), b.constant(8)] + [b.zero()] * 6
    out = b.poseidon2(list(secret) + state[8:])
    for o, d in zip(out[:8], digest):
        b.assert_equal(o, d)
    circuit = b.build()
    values = [random.randrange(1 << 30) for _ in range(8)]
    expected = hash_elements(Tag.MERKLE_LEAF, values)
    inputs = dict(zip(secret, values)) | dict(zip(digest, expected))
    print(f"circuit: 2^{circuit.log_n} rows, {'hiding' if cfg.zk else 'not hiding'}")
    t0 = time.perf_counter()
    pk, vk = setup(circuit)
    witness = generate_witness(circuit, inputs)
    proof, public = prove(pk, witness, progress=lambda m: print("  " + m))
    t1 = time.perf_counter()
    verify(vk, public, proof)
    t2 = time.perf_counter()
    print(f"proved in {t1 - t0:.2f} s (first run includes compiling kernels), verified in "
          f"{(t2 - t1) * 1000:.1f} ms, proof {len(encode_proof(proof, vk))} bytes")
    return 0


def _cmd_demo(args) -> int:
    from shielded.wallet.demo import run_demo
    if args.workers is not None and args.workers < 1:
        print("shielded demo: --workers must be at least 1", file=sys.stderr)
        return 2
    run_demo(args.preset, aggregate=not args.ledger_only, workers=args.workers)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="shielded", description="shielded: private payments rollup tools")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="two wallets: deposit, private payment, withdrawal, each aggregated by "
                                    "the embedded operator into a batch proof checked as L1 would")
    p.add_argument("--preset", default="real", choices=["real", "small", "insecure-test"])
    p.add_argument("--ledger-only", action="store_true",
                   help="skip aggregation: verify client proofs on the plain ledger (fast)")
    p.add_argument("--workers", type=int, default=None, help="operator proving processes (default: all cores)")
    p.set_defaults(func=_cmd_demo)
    p = sub.add_parser("params", help="show FRI parameters and their security")
    p.add_argument("--log-rows", type=int, default=14)
    p.add_argument("--log-blowup", type=int, default=3, choices=[2, 3, 4, 5])
    p.set_defaults(func=_cmd_params)
    p = sub.add_parser("prove-example", help="prove and verify knowledge of a Poseidon2 preimage")
    p.add_argument("--no-zk", action="store_true", help="disable hiding")
    p.set_defaults(func=_cmd_prove_example)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
