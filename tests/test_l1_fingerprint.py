"""The batch fingerprint on an EVM (shielded/l1/evm_fingerprint.py) equals the plain one
(shielded/protocol/batch.py) on the batch calldata, for the hand-assembled loop and the Vyper
version, and the hand loop stays within the L1 budget the issue sets (about 1,500 gas per
transaction for recomputing the commitment; gas is deterministic, so this is a specification
check, not a timing).  Runs on eth-tester's py-evm backend (the l1 extra, part of the test
extra)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shielded.l1.evm_fingerprint import assemble
from shielded.protocol.batch import batch_fingerprint
from tools.bench_l1_fingerprint import EvmFingerprints, main, measure, random_batch

Q = 2**127 - 1


@pytest.fixture(scope="module")
def evm():
    return EvmFingerprints()


@settings(max_examples=12, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=6), st.sampled_from([0, 1, 2, Q - 1]) | st.integers(0, Q - 1),
       st.integers(0, 2**32))
def test_both_evm_versions_equal_the_plain_fingerprint(evm, flags, rho, seed):
    rng = random.Random(seed)
    records = []
    for public in flags:
        records += random_batch(rng, 1, public).records
    data = random_batch(rng, 1, False)
    data.records = records
    expect = batch_fingerprint(data.record_elements(), rho)
    assert evm.run_asm(data.to_calldata(), rho)[0] == expect
    assert evm.run_vyper(data.to_calldata(), rho)[0] == expect


def test_the_hand_loop_is_within_the_budget(evm):
    gas = measure(evm, 16)
    assert gas["asm_gas_per_transfer"] <= 1500
    assert gas["asm_gas_per_deposit_or_withdrawal"] <= 1500
    assert gas["asm_gas_per_transfer"] < gas["vyper_gas_per_transfer"]


def test_assembler_resolves_labels_and_push_widths():
    code = assemble([("PUSHLABEL", "end"), "JUMP", ("PUSH", 0x1234), ("PUSH", 1, 3), ("LABEL", "end"), "STOP"])
    assert code == bytes([0x61, 0x00, 0x0B, 0x56, 0x61, 0x12, 0x34, 0x62, 0x00, 0x00, 0x01, 0x5B, 0x00])


def test_cli_refuses_a_bad_record_count(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--records", "4"])
    assert e.value.code == 2
