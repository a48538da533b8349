"""Benchmark of the proof core on a synthetic circuit of 2^K rows.

    python -m tools.bench_core --log-rows K [--zk] [--json] [--proof-out FILE] [--verify FILE]

The circuit fills about half its rows with Poseidon2 gates (64 independent permutation chains)
and half with arithmetic gates (multiply-accumulate over the chain outputs), leaving room for
the inactive rows; two results are public inputs.  It is deterministic, so ``--verify`` rebuilds
the verifying key from the parameters stored in the file instead of trusting the file.

--json prints one object: log_rows, columns, prove_s, verify_s, proof_bytes, security_bits (plus
witness_s, setup_s, zk, hash, log_blowup, num_queries, pow_bits, proven_security_bits, repeat).
prove_s is the median of --repeat proofs (default 3) from an already generated witness; verify_s
is the median of 5 verifications after one warm-up (which compiles the key's constraint tape).
--verify FILE exits 0 if the proof in FILE is valid and 1 if it is not (or cannot be read).

Sizes: K is refused (argparse-style, exit code 2) unless the circuit is exactly 2^K rows and
proves at >= 100 conjectured bits: K >= 4 and large enough for the hiding mode's blinding rows
(--zk needs K >= 7 at the default blowup, 8 at --log-blowup 2), K + log_blowup <= 24 (the
largest evaluation domain a key may have), and K <= 18: above 2^18 rows the permutation
argument's term R n / |E| of the conjectured figure drops below 100 bits whatever the queries
(SPEC.md section 6).  ``valid_log_rows`` gives the range for a configuration.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

from shielded.commit.fri import FriConfig
from shielded.commit.security import security_report
from shielded.errors import ParameterError, ShieldedError
from shielded.proof.builder import CircuitBuilder
from shielded.proof.config import ProofConfig
from shielded.proof.encoding import decode_proof, encode_proof
from shielded.proof.encoding_util import Reader, Writer
from shielded.proof.keys import setup
from shielded.proof.prover import prove
from shielded.proof.verifier import verify
from shielded.proof.witness import generate_witness
from tools.report import print_result

BUNDLE_MAGIC = b"SHBC"
CHAINS = 64
MIN_SECURITY_BITS = 100
MAX_LOG_DOMAIN = 24                 # VerifyingKey: log_n + log_blowup <= 24
RESERVED_ROWS = 4                   # public-input and constant rows of the synthetic circuit


def make_config(zk: bool, hash_name: str = "poseidon2", log_blowup: int = 3) -> ProofConfig:
    fri = FriConfig.for_security(log_blowup=log_blowup, hash=hash_name)
    return ProofConfig(zk=zk, fri=fri, min_security_bits=MIN_SECURITY_BITS)


def log_rows_error(log_rows: int, config: ProofConfig) -> str | None:
    """Why a synthetic circuit of exactly 2^log_rows rows cannot be proved with ``config`` at
    MIN_SECURITY_BITS conjectured bits, or None if it can."""
    lb = config.fri.log_blowup
    if log_rows < 4:
        return "the synthetic circuit needs at least 2^4 rows"
    if log_rows + lb > MAX_LOG_DOMAIN:
        return f"the evaluation domain 2^{log_rows + lb} (rows x blowup) exceeds 2^{MAX_LOG_DOMAIN}"
    if log_rows < config.min_log_rows() or (1 << log_rows) - config.blinding_rows - RESERVED_ROWS < 4:
        return (f"2^{log_rows} rows cannot hold the {config.blinding_rows} blinding rows and the quotient "
                f"randomisers of {config.fri.num_queries} queries plus the circuit")
    bits = security_report(config.fri, log_rows, num_routed=config.num_routed)["conjectured_bits"]
    if bits < MIN_SECURITY_BITS:
        return f"the conjectured security at 2^{log_rows} rows is {bits} bits, below {MIN_SECURITY_BITS}"
    return None


def valid_log_rows(config: ProofConfig) -> list[int]:
    """Every K that ``log_rows_error`` accepts for ``config`` (a contiguous range)."""
    return [k for k in range(1, MAX_LOG_DOMAIN + 1) if log_rows_error(k, config) is None]


def synthetic_circuit(log_rows: int, config: ProofConfig):
    """(circuit, input assignment) with exactly 2^log_rows rows, about half Poseidon2, half
    arithmetic.  Raises ParameterError if ``log_rows_error`` refuses the size."""
    reason = log_rows_error(log_rows, config)
    if reason is not None:
        raise ParameterError(f"--log-rows {log_rows}: {reason}")
    budget = (1 << log_rows) - config.blinding_rows - RESERVED_ROWS
    b = CircuitBuilder(config, name=f"synthetic-2^{log_rows}")
    chains = min(CHAINS, max(1, budget // 4))
    states = [b.add_inputs(16) for _ in range(chains)]
    n_pos = budget // 2
    for i in range(n_pos):
        c = i % chains
        states[c] = b.poseidon2(states[c])
    arith_rows = budget - n_pos
    ops = arith_rows * b.arith_gate.num_ops
    acc = states[0][0]
    flat = [x for s in states for x in s]
    for j in range(ops):
        acc = b.mul_add(flat[j % len(flat)], flat[(7 * j + 3) % len(flat)], acc)
    b.make_public(states[-1][0])
    b.make_public(acc)
    circuit = b.build()
    if circuit.log_n != log_rows:      # never benchmark a different size than the one asked for
        raise ParameterError(f"--log-rows {log_rows}: the synthetic circuit came out at 2^{circuit.log_n} rows")
    rng = random.Random(log_rows)
    inputs = {v: rng.randrange(1 << 30) for v in circuit.inputs}
    return circuit, inputs


def _write_bundle(path: str, log_rows: int, zk: bool, hash_name: str, log_blowup: int, public, proof_bytes) -> None:
    w = Writer()
    w.raw(BUNDLE_MAGIC)
    w.u8(1)
    w.u8(log_rows)
    w.u8(1 if zk else 0)
    w.u8(0 if hash_name == "poseidon2" else 1)
    w.u8(log_blowup)
    w.u16(len(public))
    w.elements(public)
    w.u32(len(proof_bytes))
    w.raw(proof_bytes)
    with open(path, "wb") as f:
        f.write(w.bytes())


def _verify_file(path: str, quiet: bool) -> int:
    try:
        with open(path, "rb") as f:
            data = f.read()
        r = Reader(data, "proof file")
        if r.raw(4, "magic") != BUNDLE_MAGIC or r.u8("version") != 1:
            raise ShieldedError("not a bench_core proof file")
        log_rows, zk, hid, log_blowup = r.u8("log_rows"), r.u8("zk"), r.u8("hash"), r.u8("log_blowup")
        if zk > 1 or hid > 1 or not 2 <= log_blowup <= 5:
            raise ShieldedError("proof file parameters out of range")
        public = [int(x) for x in r.elements(r.count("public inputs", 16, 2), "public inputs")]
        proof_bytes = r.raw(r.count("proof length", 1 << 26), "proof")
        r.expect_end()
        config = make_config(bool(zk), "poseidon2" if hid == 0 else "keccak", log_blowup)
        circuit, _ = synthetic_circuit(log_rows, config)
        _, vk = setup(circuit)
        t0 = time.perf_counter()
        verify(vk, public, decode_proof(proof_bytes, vk))
        if not quiet:
            print(f"valid proof ({time.perf_counter() - t0:.3f} s to verify)", file=sys.stderr)
        return 0
    except (ShieldedError, OSError) as e:
        print(f"invalid: {e}", file=sys.stderr)
        return 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_core", description=__doc__.split("\n\n")[0])
    default = valid_log_rows(make_config(False))
    ap.add_argument("--log-rows", type=int, metavar="K",
                    help=f"circuit size: 2^K rows ({default[0]}..{default[-1]} with the default options; "
                         "--zk and --log-blowup narrow it, an invalid K is reported with the valid range)")
    ap.add_argument("--zk", action="store_true", help="hiding (zero-knowledge) mode")
    ap.add_argument("--hash", choices=["poseidon2", "keccak"], default="poseidon2")
    ap.add_argument("--log-blowup", type=int, default=3, choices=[2, 3, 4, 5])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--repeat", type=int, default=3, help="proofs to time (median reported)")
    ap.add_argument("--proof-out", metavar="FILE", help="write the proof (with its parameters) to FILE")
    ap.add_argument("--verify", metavar="FILE", help="verify a proof file; exit 0 if valid, 1 if not")
    args = ap.parse_args(argv)
    if args.verify is not None:
        return _verify_file(args.verify, args.json)
    if args.log_rows is None:
        ap.error("--log-rows K is required (or --verify FILE)")
    config = make_config(args.zk, args.hash, args.log_blowup)
    reason = log_rows_error(args.log_rows, config)
    if reason is not None:
        valid = valid_log_rows(config)
        ap.error(f"--log-rows {args.log_rows}: {reason}; with these options K must be in "
                 f"{valid[0]}..{valid[-1]}" if valid else f"--log-rows {args.log_rows}: {reason}")
    if args.proof_out and not os.path.isdir(os.path.dirname(os.path.abspath(args.proof_out))):
        ap.error(f"--proof-out {args.proof_out}: no such directory")
    log = (lambda msg: None) if args.json else (lambda msg: print(msg, file=sys.stderr))
    t0 = time.perf_counter()
    circuit, inputs = synthetic_circuit(args.log_rows, config)
    log(f"built circuit: 2^{circuit.log_n} rows, {circuit.stats()['gate_rows']}")
    pk, vk = setup(circuit)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    witness = generate_witness(circuit, inputs)
    witness_s = time.perf_counter() - t0
    log(f"witness generated ({witness_s:.2f} s); proving...")
    times = []
    for i in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        proof, public = prove(pk, witness, progress=log if i == 0 else None)
        times.append(time.perf_counter() - t0)
    prove_s = statistics.median(times)
    proof_bytes = encode_proof(proof, vk)
    verify(vk, public, decode_proof(proof_bytes, vk))          # warm-up: compiles the key's tape
    vtimes = []
    for _ in range(5):
        t0 = time.perf_counter()
        verify(vk, public, decode_proof(proof_bytes, vk))
        vtimes.append(time.perf_counter() - t0)
    verify_s = statistics.median(vtimes)
    sec = security_report(config.fri, vk.log_n)
    result = {
        "log_rows": circuit.log_n, "columns": vk.layout.total_columns, "prove_s": round(prove_s, 4),
        "verify_s": round(verify_s, 4), "proof_bytes": len(proof_bytes),
        "security_bits": sec["conjectured_bits"], "proven_security_bits": sec["proven_bits"],
        "witness_s": round(witness_s, 4), "setup_s": round(setup_s, 4), "zk": args.zk, "hash": args.hash,
        "log_blowup": config.fri.log_blowup, "num_queries": config.fri.num_queries,
        "pow_bits": config.fri.pow_bits, "repeat": max(1, args.repeat),
    }
    if args.proof_out:
        try:
            _write_bundle(args.proof_out, args.log_rows, args.zk, args.hash, args.log_blowup, public, proof_bytes)
        except OSError as e:
            ap.error(f"--proof-out {args.proof_out}: {e.strerror or e}")
        log(f"wrote {args.proof_out}")
    print_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
