"""The ledger's state transition (SPEC.md section 23), with real proofs.

process_transaction(tx): the root is among the last root_window roots; the two nullifiers are
distinct and unspent; the proof verifies; then cm_0 then cm_1 are appended as leaves, the
nullifiers recorded and the new root joins the window.  Nothing changes unless every check passes:
each rejection below compares a full snapshot of the ledger before and after.
"""

from __future__ import annotations

import dataclasses

import pytest

from shielded.field.koalabear import P
from shielded.protocol.keys import SpendingKey
from shielded.protocol.note import derive_nullifier, note_commitment, note_leaf
from shielded.protocol.params import INSECURE_TEST, SMALL
from shielded.protocol.transaction import (Output, Spend, Transaction, build_transaction, joinsplit_system,
                                           scan_incoming)
from shielded.state.ledger import Ledger, LedgerError
from shielded.state.note_tree import NoteTree

pytestmark = pytest.mark.prove

ALICE = SpendingKey(bytes([7]) * 32)
BOB = SpendingKey(bytes([9]) * 32)
L1 = 0xA11CE


def snapshot(ledger: Ledger):
    """Everything process_transaction may change (RootHistory keeps its window in ``_roots``)."""
    return (ledger.tree.size, ledger.tree.root(), dict(ledger.tree.nodes), list(ledger.tree.frontier),
            frozenset(ledger.nullifiers), list(ledger.transactions), tuple(ledger.roots._roots))


def deposit(system, root, value=1000, key=ALICE) -> Transaction:
    return build_transaction(system, key, [], [Output(key.address(), value)], root, 0,
                             public_value_in=value, public_owner=L1)


def spend_all(system, ledger: Ledger, tx: Transaction, key, to, amount, memo=b"") -> Transaction:
    """Spend the note ``key`` owns in ``tx`` (already applied to ``ledger``): ``amount`` to ``to``,
    the rest back to ``key``."""
    (i, found), = scan_incoming(key.ivk, key.owner, tx)
    pos = ledger.transactions.index(tx) * 2 + i
    outs = [Output(to, amount, memo)]
    if found.note.value > amount:
        outs.append(Output(key.address(), found.note.value - amount))
    return build_transaction(system, key, [Spend(found.note, pos, ledger.tree.path(pos))], outs,
                             ledger.tree.root(), 0)


class Scenario:
    """A deposit to Alice and a transfer of 600 of it to Bob, built once."""

    def __init__(self, preset):
        self.system = joinsplit_system(preset)
        ledger = Ledger(self.system)
        self.r0 = ledger.tree.root()
        self.deposit = deposit(self.system, self.r0)
        ledger.process_transaction(self.deposit)
        self.r1 = ledger.tree.root()
        self.transfer = spend_all(self.system, ledger, self.deposit, ALICE, BOB.address(), 600, b"hi")

    def ledger(self, *txs) -> Ledger:
        ledger = Ledger(self.system)
        for tx in txs:
            ledger.process_transaction(tx)
        return ledger


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return Scenario(INSECURE_TEST)


def assert_rejected(ledger: Ledger, tx: Transaction, match: str):
    before = snapshot(ledger)
    with pytest.raises(LedgerError, match=match):
        ledger.process_transaction(tx)
    assert snapshot(ledger) == before


def test_deposit_then_transfer_applied(sc):
    ledger = Ledger(sc.system)
    assert ledger.tree.size == 0 and ledger.tree.root() == sc.r0 and sc.r0 in ledger.roots
    assert ledger.process_transaction(sc.deposit) == (0, 1)
    assert ledger.tree.size == 2
    assert ledger.nullifiers == set(sc.deposit.nullifiers)
    assert ledger.transactions == [sc.deposit]
    expect = NoteTree(INSECURE_TEST.tree_depth)
    for cm in sc.deposit.commitments:           # cm_0 then cm_1, as leaves
        expect.append(note_leaf(cm))
    assert ledger.tree.root() == expect.root() == sc.r1
    assert sc.r1 in ledger.roots and sc.r0 in ledger.roots and ledger.roots.latest() == sc.r1

    assert ledger.process_transaction(sc.transfer) == (2, 3)
    for cm in sc.transfer.commitments:
        expect.append(note_leaf(cm))
    assert ledger.tree.size == 4 and ledger.tree.root() == expect.root() == ledger.roots.latest()
    assert ledger.nullifiers == set(sc.deposit.nullifiers) | set(sc.transfer.nullifiers)
    assert ledger.transactions == [sc.deposit, sc.transfer]
    # the spent note's nullifier (SPEC section 18, with its position) is recorded
    (i, found), = scan_incoming(ALICE.ivk, ALICE.owner, sc.deposit)
    assert derive_nullifier(ALICE.nk, note_commitment(found.note), i) in ledger.nullifiers
    # Bob's note sits at the position the ledger returned
    (j, got), = scan_incoming(BOB.ivk, BOB.owner, sc.transfer)
    assert got.note.value == 600 and got.memo == b"hi"
    assert ledger.tree.nodes[(0, 2 + j)] == note_leaf(note_commitment(got.note))


def test_double_spend_across_transactions_rejected(sc):
    ledger = sc.ledger(sc.deposit, sc.transfer)
    # a new, valid proof spending the same note again (against the current root)
    again = spend_all(sc.system, ledger, sc.deposit, ALICE, BOB.address(), 100)
    assert set(again.nullifiers) & set(sc.transfer.nullifiers)
    assert_rejected(ledger, again, "already spent")
    # and the very same transaction replayed
    assert_rejected(ledger, sc.transfer, "already spent")


def test_double_spend_as_second_input_rejected(sc):
    """A fresh note as input 0 and the already spent one as input 1: nf_1 is checked too."""
    ledger = sc.ledger(sc.deposit, sc.transfer)
    (i, spent), = scan_incoming(ALICE.ivk, ALICE.owner, sc.deposit)
    (j, change), = scan_incoming(ALICE.ivk, ALICE.owner, sc.transfer)
    spends = [Spend(change.note, 2 + j, ledger.tree.path(2 + j)), Spend(spent.note, i, ledger.tree.path(i))]
    total = change.note.value + spent.note.value
    tx = build_transaction(sc.system, ALICE, spends, [Output(BOB.address(), total)], ledger.tree.root(), 0)
    assert tx.nullifiers[0] not in ledger.nullifiers and tx.nullifiers[1] in ledger.nullifiers
    assert_rejected(ledger, tx, "already spent")


def test_double_spend_in_competing_transactions(sc):
    """Two transactions built on the same state spend the same note: the first wins."""
    ledger = sc.ledger(sc.deposit)
    other = spend_all(sc.system, ledger, sc.deposit, ALICE, BOB.address(), 1)
    ledger.process_transaction(other)
    assert_rejected(ledger, sc.transfer, "already spent")


def test_unknown_root_rejected(sc):
    ledger = sc.ledger(sc.deposit)
    bogus = deposit(sc.system, (12345,) * 8)
    assert_rejected(ledger, bogus, "root")


def test_root_outside_window_rejected():
    preset = dataclasses.replace(INSECURE_TEST, root_window=2)
    system = joinsplit_system(preset)
    ledger = Ledger(system)
    r0 = ledger.tree.root()
    late = deposit(system, r0, 5)
    ledger.process_transaction(deposit(system, r0, 1))            # window [r0, r1]
    r1 = ledger.tree.root()
    at_r1 = deposit(system, r1, 7)
    ledger.process_transaction(deposit(system, r1, 2))            # window [r1, r2]
    assert r0 not in ledger.roots and r1 in ledger.roots
    assert_rejected(ledger, late, "recent roots")
    ledger.process_transaction(at_r1)                             # still in the window: accepted
    assert r1 not in ledger.roots
    assert_rejected(ledger, deposit(system, r1, 9), "recent roots")


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9, -1])
def test_tampered_proof_rejected(sc, where):
    ledger = sc.ledger(sc.deposit)
    proof = bytearray(sc.transfer.proof)
    i = int(len(proof) * where) if where >= 0 else len(proof) - 1
    proof[i] ^= 0x04
    bad = dataclasses.replace(sc.transfer, proof=bytes(proof))
    assert_rejected(ledger, bad, "invalid proof")
    ledger.process_transaction(sc.transfer)                       # control: the original applies


@pytest.mark.parametrize("field", ["fee", "public_value_out", "public_value_in", "public_owner", "asset",
                                   "commitment", "nullifier", "ciphertext", "older_root"])
def test_changed_public_field_with_original_proof_rejected(sc, field):
    ledger = sc.ledger(sc.deposit)
    t = sc.transfer
    if field == "fee":
        bad = dataclasses.replace(t, fee=t.fee + 1)
    elif field == "public_value_out":
        bad = dataclasses.replace(t, public_value_out=t.public_value_out + 1)
    elif field == "public_value_in":
        bad = dataclasses.replace(t, public_value_in=1, public_owner=L1)
    elif field == "public_owner":
        bad = dataclasses.replace(t, public_owner=L1)
    elif field == "asset":
        bad = dataclasses.replace(t, asset=1)
    elif field == "commitment":
        bad = dataclasses.replace(t, commitments=(t.commitments[1], t.commitments[0]))
    elif field == "nullifier":
        bad = dataclasses.replace(t, nullifiers=(t.nullifiers[0], tuple((x + 1) % P for x in t.nullifiers[1])))
    elif field == "ciphertext":
        bad = dataclasses.replace(t, ciphertexts=(t.ciphertexts[1], t.ciphertexts[0]))
    else:
        assert sc.r0 in ledger.roots          # an older root still in the window: only the proof objects
        bad = dataclasses.replace(t, root=sc.r0)
    assert bad != t
    assert_rejected(ledger, bad, "invalid proof")
    ledger.process_transaction(t)


def test_equal_nullifiers_rejected(sc):
    ledger = sc.ledger(sc.deposit)
    t = sc.transfer
    bad = dataclasses.replace(t, nullifiers=(t.nullifiers[0], t.nullifiers[0]))
    assert_rejected(ledger, bad, "twice")


def test_rejections_in_sequence_leave_ledger_usable(sc):
    """Several rejections in a row, then the valid transaction still applies."""
    ledger = sc.ledger(sc.deposit)
    before = snapshot(ledger)
    for bad in (dataclasses.replace(sc.transfer, fee=1), deposit(sc.system, (1,) * 8),
                dataclasses.replace(sc.transfer, proof=sc.transfer.proof[:-1] + b"\x00")):
        with pytest.raises(LedgerError):
            ledger.process_transaction(bad)
    assert snapshot(ledger) == before
    assert ledger.process_transaction(sc.transfer) == (2, 3)


def test_end_to_end_small_preset():
    """Real FRI parameters (SMALL): deposit, transfer, tampering rejected."""
    sc = Scenario(SMALL)
    ledger = sc.ledger(sc.deposit, sc.transfer)
    assert ledger.tree.size == 4
    assert_rejected(ledger, sc.transfer, "already spent")
    fresh = sc.ledger(sc.deposit)
    assert_rejected(fresh, dataclasses.replace(sc.transfer, fee=sc.transfer.fee + 1), "invalid proof")
    proof = bytearray(sc.transfer.proof)
    proof[len(proof) // 3] ^= 1
    assert_rejected(fresh, dataclasses.replace(sc.transfer, proof=bytes(proof)), "invalid proof")
    # an INSECURE_TEST proof is not a SMALL proof
    other = Scenario(INSECURE_TEST)
    assert_rejected(Ledger(sc.system), other.deposit, "invalid proof")
