"""Gas of the batch fingerprint on an EVM (SPEC.md, sections 28 and 31).

    python -m tools.bench_l1_fingerprint [--records N] [--json]

Deploys the hand-assembled loop and the Vyper version (shielded/l1/evm_fingerprint.py) on
eth-tester's py-evm backend, runs both on random batches of transfers (flag 0) and of deposits
or withdrawals (flag 1), checks that both return ``batch_fingerprint`` of the records, and
reports the gas of the fingerprint loop per record (the difference between N and N/4 records,
divided by the 3N/4 extra records) and for a batch of one.  Needs the ``l1`` extra
(vyper, eth-tester with py-evm).
"""

from __future__ import annotations

import argparse
import random
import sys

from shielded.field.koalabear import P
from shielded.l1.evm_fingerprint import VYPER_SOURCE, deployment_code, fingerprint_runtime
from shielded.protocol.batch import BatchPublicData, TxRecord, batch_fingerprint
from tools.report import print_result


class EvmFingerprints:
    """Both implementations deployed on a fresh embedded EVM."""

    def __init__(self):
        try:
            from eth_tester import EthereumTester, PyEVMBackend
            from vyper import compile_code
        except ImportError as e:          # pragma: no cover - depends on the install
            raise SystemExit(f"bench_l1_fingerprint needs the l1 extra (pip install -e '.[l1]'): {e}")
        self.tester = EthereumTester(PyEVMBackend())
        self.account = self.tester.get_accounts()[0]
        self.asm = self._deploy(deployment_code(fingerprint_runtime()))
        self.vyper = self._deploy(bytes.fromhex(compile_code(VYPER_SOURCE, output_formats=["bytecode"])
                                                ["bytecode"][2:]))

    def _deploy(self, code: bytes) -> str:
        tx = self.tester.send_transaction({"from": self.account, "data": "0x" + code.hex(), "gas": 5_000_000})
        return self.tester.get_transaction_receipt(tx)["contract_address"]

    def _call(self, to: str, data: bytes) -> tuple[int, int]:
        out = bytes.fromhex(self.tester.call({"from": self.account, "to": to, "data": "0x" + data.hex(),
                                              "gas": 30_000_000})[2:])
        return int.from_bytes(out[:32], "big"), int.from_bytes(out[32:64], "big")

    def run_asm(self, calldata: bytes, rho: int) -> tuple[int, int]:
        """(F, gas of the loop) from the hand-assembled code."""
        return self._call(self.asm, rho.to_bytes(32, "big") + calldata)

    def run_vyper(self, calldata: bytes, rho: int) -> tuple[int, int]:
        from eth_abi import encode
        from eth_utils import function_signature_to_4byte_selector
        args = function_signature_to_4byte_selector("fingerprint(uint256,uint256)") + \
            encode(["uint256", "uint256"], [rho, 68])
        return self._call(self.vyper, args + calldata)


def random_batch(rng: random.Random, n: int, public: bool) -> BatchPublicData:
    def digest():
        return tuple(rng.randrange(P) for _ in range(8))
    records = [TxRecord(0, (digest(), digest()), (digest(), digest()), 0, 10**5,
                        10**9 if public else 0, 0, rng.randrange(1, 1 << 160) if public else 0)
               for _ in range(n)]
    return BatchPublicData([digest()], records)


def measure(evm: EvmFingerprints, records: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    rho = rng.randrange((1 << 127) - 1)
    out = {}
    for public in (False, True):
        gas = {}
        for n in (1, records // 4, records):
            data = random_batch(rng, n, public)
            expect = batch_fingerprint(data.record_elements(), rho)
            for name, run in (("asm", evm.run_asm), ("vyper", evm.run_vyper)):
                f, g = run(data.to_calldata(), rho)
                if f != expect:
                    raise SystemExit(f"{name}: fingerprint {f} != {expect} (n = {n})")
                gas[name, n] = g
        kind = "deposit_or_withdrawal" if public else "transfer"
        for name in ("asm", "vyper"):
            out[f"{name}_gas_per_{kind}"] = round((gas[name, records] - gas[name, records // 4])
                                                  / (records - records // 4), 1)
            out[f"{name}_gas_batch_of_one_{kind}"] = gas[name, 1]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_l1_fingerprint", description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=64, help="records in the largest batch (>= 8, default 64)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if not 8 <= args.records <= 1024:
        ap.error("--records must be in [8, 1024]")
    result = {"records": args.records, **measure(EvmFingerprints(), args.records)}
    print_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
