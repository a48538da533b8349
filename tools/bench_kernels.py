"""Micro-benchmarks of the numba kernels the prover is made of (medians of 7 runs).

    python -m tools.bench_kernels [--json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from shielded.field.koalabear import P
from tools.report import print_result


def _median(fn, runs: int = 7) -> float:
    fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_kernels")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from shielded.field import vec
    from shielded.hash.poseidon2 import permute, permute_batch
    from shielded.hash.sponge import Tag, hash_columns
    from shielded.poly.ntt import coset_lde, ntt
    rng = np.random.default_rng(0)
    r = {}
    a = rng.integers(0, P, 1 << 20).astype(np.uint32)
    b = rng.integers(0, P, 1 << 20).astype(np.uint32)
    r["field_mul_ns_per_element"] = _median(lambda: vec.mul(a, b)) / (1 << 20) * 1e9
    x16 = rng.integers(0, P, (1, 1 << 16)).astype(np.uint32)
    x20 = rng.integers(0, P, (1, 1 << 20)).astype(np.uint32)
    r["ntt_2^16_ms"] = _median(lambda: ntt(x16)) * 1e3
    r["ntt_2^20_ms"] = _median(lambda: ntt(x20)) * 1e3
    m = rng.integers(0, P, (64, 1 << 14)).astype(np.uint32)
    r["lde_64x2^14_blowup8_ms"] = _median(lambda: coset_lde(m, 8)) * 1e3
    states = rng.integers(0, P, (1 << 16, 16)).astype(np.uint32)
    r["poseidon2_batch_ns_per_perm"] = _median(lambda: permute_batch(states)) / (1 << 16) * 1e9
    s = [int(v) for v in states[0]]
    r["poseidon2_plain_us_per_perm"] = _median(lambda: permute(s)) * 1e6
    leaves = rng.integers(0, P, (184, 1 << 14)).astype(np.uint32)
    r["merkle_leaves_184x2^14_ms"] = _median(lambda: hash_columns(leaves, Tag.MERKLE_LEAF)) * 1e3
    r = {k: round(v, 3) for k, v in r.items()}
    print_result(r, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
