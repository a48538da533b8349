"""Wallets (SPEC.md section 24) and the demo, with real proofs (preset INSECURE_TEST).

A wallet processes every transaction in ledger order: appends both leaves to its frontier tree,
updates the incremental witness of each of its notes, trial-decrypts both outputs, keeps a witness
for each note it owns and marks a note spent when its nullifier appears.  Coin selection: the
smallest single note covering amount + fee, else the two largest notes.
"""

from __future__ import annotations

import pytest

from shielded.cli import main
from shielded.commit.merkle import root_from_path
from shielded.protocol.keys import SpendingKey
from shielded.protocol.note import derive_nullifier, note_commitment, note_leaf
from shielded.protocol.params import INSECURE_TEST
from shielded.protocol.transaction import joinsplit_system, scan_incoming
from shielded.state.ledger import Ledger
from shielded.wallet.demo import run_demo
from shielded.wallet.wallet import InsufficientFunds, Wallet

pytestmark = pytest.mark.prove

L1_ALICE = 0xA11CE
L1_BOB = (1 << 160) - 0xB0B


@pytest.fixture(scope="module")
def system():
    return joinsplit_system(INSECURE_TEST)


def apply(ledger: Ledger, tx, *wallets):
    positions = ledger.process_transaction(tx)
    for w in wallets:
        w.sync(ledger.transactions)
    return positions


def check_witnesses(wallet: Wallet, ledger: Ledger):
    """Every note's incremental witness equals the operator's path and proves membership."""
    assert wallet.tree.root() == ledger.tree.root()
    for n in wallet.notes:
        path = n.witness.path()
        assert [tuple(x) for x in path] == [tuple(x) for x in ledger.tree.path(n.position)]
        assert root_from_path(note_leaf(note_commitment(n.note)), n.position, path) == ledger.tree.root()


def test_deposit_pay_receive_withdraw(system):
    ledger = Ledger(system)
    alice = Wallet("Alice", system, SpendingKey(bytes([1]) * 32))
    bob = Wallet("Bob", system)

    dep = alice.deposit(1000, L1_ALICE)
    assert (dep.public_value_in, dep.public_owner, dep.public_value_out, dep.fee) == (1000, L1_ALICE, 0, 0)
    ledger.process_transaction(dep)
    found = alice.sync(ledger.transactions)
    assert [n.note.value for n in found] == [1000]
    assert bob.sync(ledger.transactions) == []
    assert alice.sync(ledger.transactions) == []             # nothing new the second time
    assert alice.balance() == 1000 and bob.balance() == 0
    original = alice.notes[0]
    assert original.nullifier == derive_nullifier(alice.key.nk, note_commitment(original.note), original.position)

    pay = alice.pay(bob.address, 600, fee=2, memo=b"thanks for lunch")
    assert (pay.public_value_in, pay.public_value_out, pay.fee) == (0, 0, 2)
    assert original.nullifier in pay.nullifiers
    assert not original.spent                                  # not until the ledger has it
    positions = apply(ledger, pay, alice, bob)

    # Bob found his note, with the memo, at the ledger's position
    assert len(bob.notes) == 1
    got = bob.notes[0]
    assert got.note.value == 600 and got.memo == b"thanks for lunch" and not got.spent
    assert got.position in positions
    assert ledger.tree.nodes[(0, got.position)] == note_leaf(note_commitment(got.note))
    # Alice: the spent note is marked, the change (1000 - 600 - 2) came back
    assert original.spent
    change = [n for n in alice.notes if not n.spent]
    assert [n.note.value for n in change] == [398] and change[0].position in positions
    assert alice.balance() == 398 and bob.balance() == 600
    check_witnesses(alice, ledger)
    check_witnesses(bob, ledger)

    wd = bob.pay(None, 598, fee=2, withdraw_to=L1_BOB)
    assert (wd.public_value_out, wd.public_owner, wd.fee, wd.public_value_in) == (598, L1_BOB, 2, 0)
    apply(ledger, wd, alice, bob)
    assert got.spent and bob.balance() == 0
    assert all(n.spent for n in bob.notes) and len(bob.notes) == 1      # no change note: exact amount
    assert alice.balance() == 398
    for n in alice.notes + bob.notes:
        assert (n.nullifier in ledger.nullifiers) == n.spent
    check_witnesses(alice, ledger)

    # a wallet restored from Alice's key re-derives everything from the ledger
    restored = Wallet("Alice again", system, alice.key)
    restored.sync(ledger.transactions)
    assert restored.balance() == 398
    assert [(n.note, n.position, n.spent, n.memo) for n in restored.notes] == \
        [(n.note, n.position, n.spent, n.memo) for n in alice.notes]


def test_insufficient_funds(system):
    ledger = Ledger(system)
    alice = Wallet("Alice", system)
    bob = Wallet("Bob", system)
    with pytest.raises(InsufficientFunds, match="Alice: needs 1, has 0"):
        alice.pay(bob.address, 1)
    apply(ledger, alice.deposit(1000, L1_ALICE), alice)
    with pytest.raises(InsufficientFunds, match="needs 1001, has 1000"):
        alice.pay(bob.address, 1001)
    with pytest.raises(InsufficientFunds, match="needs 1001, has 1000"):
        alice.pay(bob.address, 999, fee=2)                      # the fee counts
    with pytest.raises(InsufficientFunds, match="needs 1, has 0"):
        alice.pay(bob.address, 1, asset=3)                     # another asset
    assert alice.balance() == 1000 and not any(n.spent for n in alice.notes)


@pytest.fixture(scope="module")
def three_notes(system):
    """Alice holds notes of 100, 300 and 500."""
    ledger = Ledger(system)
    alice = Wallet("Alice", system, SpendingKey(bytes([3]) * 32))
    for v in (300, 100, 500):
        apply(ledger, alice.deposit(v, L1_ALICE), alice)
    notes = {n.note.value: n for n in alice.notes}
    assert sorted(notes) == [100, 300, 500]
    return ledger, alice, notes


@pytest.mark.parametrize("amount, fee, chosen", [
    (50, 0, [100]),          # the smallest single note that covers
    (250, 0, [300]),
    (300, 0, [300]),         # exact
    (300, 1, [500]),         # the fee counts: 301 needs the 500
    (500, 0, [500]),
    (501, 0, [300, 500]),    # no single note: the two largest
    (700, 100, [300, 500]),
])
def test_coin_selection(system, three_notes, amount, fee, chosen):
    ledger, alice, notes = three_notes
    bob = Wallet("Bob", system, SpendingKey(bytes([4]) * 32))
    tx = alice.pay(bob.address, amount, fee=fee)
    spent = {v for v, n in notes.items() if n.nullifier in tx.nullifiers}
    assert sorted(spent) == chosen
    assert sum(chosen) - amount - fee == sum(d.note.value for _, d in _outputs_to(alice, tx))


def _outputs_to(wallet, tx):
    return scan_incoming(wallet.key.ivk, wallet.key.owner, tx)


def test_coin_selection_two_largest_insufficient(system, three_notes):
    """900 = the whole balance, but only two notes fit in a transaction."""
    _, alice, _ = three_notes
    with pytest.raises(InsufficientFunds, match="at most two notes"):
        alice.pay(Wallet("Bob", system).address, 900)


def test_selected_payment_applies(system, three_notes):
    """A payment from the two largest notes verifies on the ledger and the wallet follows."""
    ledger, alice, notes = three_notes
    # work on copies: a fresh ledger and wallet replaying the same transactions
    replay = Ledger(system)
    a2 = Wallet("Alice", system, alice.key)
    for tx in ledger.transactions:
        apply(replay, tx, a2)
    bob = Wallet("Bob", system)
    tx = a2.pay(bob.address, 790, fee=3)
    apply(replay, tx, a2, bob)
    assert bob.balance() == 790
    assert a2.balance() == 900 - 793
    assert sorted(n.note.value for n in a2.notes if n.spent) == [300, 500]
    check_witnesses(a2, replay)


def test_run_demo():
    lines = []
    summary = run_demo("insecure-test", out=lines.append)
    assert set(summary) == {"preset", "prove_s_median", "verify_ms_median", "tx_bytes", "total_s",
                            "batch_s_median", "final_proof_bytes"}
    assert 0 < summary["final_proof_bytes"] <= 100_000
    assert summary["preset"] == "insecure-test"
    assert summary["tx_bytes"] > 4 + 1 + 5 * 32 + 48 + 2 * 237 + 4
    assert summary["prove_s_median"] > 0 and summary["verify_ms_median"] > 0 and summary["total_s"] > 0
    text = "\n".join(lines)
    assert "WARNING" in text and "insecure" in text
    assert "'thanks for lunch'" in text
    assert "Alice 398, Bob 0" in text


def test_cli_demo(capsys):
    assert main(["demo", "--preset", "insecure-test", "--ledger-only"]) == 0
    out = capsys.readouterr().out
    assert "Summary: 3 transactions" in out and "Bob found a note" in out


def test_cli_rejects_unknown_preset(capsys):
    with pytest.raises(SystemExit) as e:
        main(["demo", "--preset", "huge"])
    assert e.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
