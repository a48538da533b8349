"""build_transaction's request checks and output order (SPEC.md section 22).

Every malformed request is refused with a project error naming the field, before any work: the
guard fixture makes note encryption, dummy generation and proving fail the test if they are
reached.  (The rule checks on well-typed requests, such as balance, ownership and stale paths,
are in tests/test_joinsplit.py.)

Output order: the payment and the change (or dummy) are swapped by a fresh random bit, so both
orders must occur, and the recipient and the sender's wallet must find their notes either way.
"""

from __future__ import annotations

import random

import pytest

from shielded.errors import EncodingError, ShieldedError
from shielded.field.koalabear import P
from shielded.protocol import transaction as tx_module
from shielded.protocol.keys import SpendingKey
from shielded.protocol.note import Note, note_commitment, note_leaf
from shielded.protocol.params import INSECURE_TEST
from shielded.protocol.transaction import (Output, Spend, Transaction, TransactionError, build_transaction,
                                           joinsplit_system, scan_incoming, scan_outgoing, verify_transaction)
from shielded.state.ledger import Ledger
from shielded.state.note_tree import NoteTree
from shielded.wallet.wallet import Wallet

DEPTH = INSECURE_TEST.tree_depth
ALICE = SpendingKey(bytes(range(32)))
BOB = SpendingKey(bytes(range(1, 33)))


@pytest.fixture(scope="module")
def system():
    return joinsplit_system(INSECURE_TEST)


@pytest.fixture
def guard(monkeypatch):
    """Any work past the checks fails the test."""
    def reached(name):
        def fail(*args, **kwargs):
            raise AssertionError(f"build_transaction reached {name} before refusing the request")
        return fail
    for name in ("encrypt_note", "prove", "generate_witness", "_dummy_spend"):
        monkeypatch.setattr(tx_module, name, reached(name))


def funded():
    """Alice's note of 800 in a small tree: (spend, root)."""
    rnd = random.Random(3)
    tree = NoteTree(DEPTH, keep_nodes=True)
    tree.append(tuple(rnd.randrange(P) for _ in range(8)))
    note = Note(0, 800, ALICE.owner, tuple(rnd.randrange(P) for _ in range(8)))
    pos = tree.append(note_leaf(note_commitment(note)))
    return Spend(note, pos, tree.path(pos)), tree.root()


def request(sys_, **changes):
    spend, root = funded()
    kw = dict(system=sys_, key=ALICE, spends=[spend], outputs=[Output(BOB.address(), 790)], root=root,
              asset=0, fee=10)
    kw.update(changes)
    return build_transaction(**kw)


# -- malformed requests ------------------------------------------------------------------------

@pytest.mark.parametrize("root, what", [
    ((0,) * 7, "root: expected 8 field elements"), ((0,) * 9, "root: expected 8 field elements"),
    ((P,) + (0,) * 7, "root: expected 8 field elements"), ((-1,) + (0,) * 7, "root: expected 8 field elements"),
    ((True,) * 8, "root: expected 8 field elements"), (None, "root: expected 8 field elements, got NoneType"),
    ("0x00", "root: expected 8 field elements")],
    ids=["7", "9", "p", "negative", "bool", "None", "str"])
def test_a_malformed_root_is_refused_up_front(system, guard, root, what):
    """Regression: a 7-element root used to fail with a bare AssertionError after encryption."""
    with pytest.raises(TransactionError, match=what):
        request(system, root=root)


def test_a_malformed_root_is_refused_for_a_deposit_too(system, guard):
    with pytest.raises(TransactionError, match="root: expected 8 field elements"):
        build_transaction(system, ALICE, [], [Output(ALICE.address(), 5)], (0,) * 7, 0,
                          public_value_in=5, public_owner=1)


@pytest.mark.parametrize("memo, what", [
    ("hi", "output memo must be bytes \\(at most 31\\), got str"),
    (None, "output memo must be bytes \\(at most 31\\), got NoneType"),
    (b"m" * 32, "output memo is at most 31 bytes, got 32")], ids=["str", "None", "32-bytes"])
def test_a_bad_memo_is_refused_when_the_output_is_made(memo, what):
    with pytest.raises(TransactionError, match=what):
        Output(BOB.address(), 790, memo)


def test_an_output_keeps_a_memo_of_31_bytes_as_bytes():
    o = Output(BOB.address(), 790, bytearray(b"\x00" * 31))
    assert o.memo == b"\x00" * 31 and type(o.memo) is bytes


@pytest.mark.parametrize("address, what", [
    ("text", "output address must be an Address \\(decode text with Address.decode\\), got str"),
    (None, "output address must be an Address, got NoneType"),
    (BOB.address().to_bytes(), "output address must be an Address, got bytes")], ids=["str", "None", "bytes"])
def test_an_output_address_of_another_type_is_refused(address, what):
    """Regression: a str address used to raise AttributeError inside build_transaction."""
    if address == "text":
        address = str(BOB.address())
    with pytest.raises(TransactionError, match=what):
        Output(address, 790)


@pytest.mark.parametrize("value", [-1, 1 << 64, True, 1.0, "790"])
def test_an_output_value_out_of_range_is_refused(value):
    with pytest.raises(TransactionError, match="output value must be in \\[0, 2\\^64\\)"):
        Output(BOB.address(), value)


@pytest.mark.parametrize("field, value, what", [
    ("note", "note", "spend note must be a Note, got str"),
    ("position", -1, "spend position must be an integer in \\[0, 2\\^32\\)"),
    ("position", 1 << 32, "spend position must be an integer in \\[0, 2\\^32\\)"),
    ("position", True, "spend position must be an integer"),
    ("path", None, "spend path must be a sequence of digests"),
    ("path", "abc", "spend path must be a sequence of digests"),
    ("path", [(0,) * 7] * DEPTH, "spend path sibling: expected 8 field elements"),
    ("path", [(P,) * 8] * DEPTH, "spend path sibling: expected 8 field elements"),
])
def test_a_malformed_spend_is_refused_when_made(field, value, what):
    spend, _ = funded()
    kw = dict(note=spend.note, position=spend.position, path=spend.path)
    kw[field] = value
    with pytest.raises(TransactionError, match=what):
        Spend(**kw)


def test_a_spend_path_is_stored_as_a_tuple_of_digests():
    spend, _ = funded()
    assert type(spend.path) is tuple and all(type(d) is tuple for d in spend.path)
    assert hash(spend)          # hashable, like every other value type of the protocol


@pytest.mark.parametrize("changes, what", [
    (dict(key=ALICE.sk), "key must be a SpendingKey, got bytes"),
    (dict(key=None), "key must be a SpendingKey, got NoneType"),
    (dict(system=INSECURE_TEST), "system must be a JoinSplitSystem"),
    (dict(spends="notes"), "spends must be a list of Spend, got str"),
    (dict(spends=None), "spends must be a list of Spend, got NoneType"),
    (dict(spends=[("note", 0, [])]), "spends\\[0\\] must be a Spend, got tuple"),
    (dict(outputs=Output(BOB.address(), 790)), "outputs must be a list of Output, got Output"),
    (dict(outputs=[(BOB.address(), 790)]), "outputs\\[0\\] must be a Output, got tuple"),
    (dict(outputs=[Output(BOB.address(), 390), Output(BOB.address(), 390), Output(BOB.address(), 10)], fee=0),
     "at most 2 spends and 2 outputs"),
    (dict(asset=1 << 30), "asset must be in \\[0, 2\\^30\\)"),
    (dict(public_owner=-1), "public_owner must be in \\[0, 2\\^160\\)"),
])
def test_a_malformed_request_is_refused_up_front(system, guard, changes, what):
    with pytest.raises(TransactionError, match=what):
        request(system, **changes)


def test_every_refusal_is_a_project_error(system, guard):
    """The audit's cases, all at once: each is a ShieldedError (README: malformed input anywhere
    raises a subclass naming the field), none a TypeError, AttributeError or AssertionError."""
    attempts = [
        lambda: request(system, outputs=[Output(BOB.address(), 790, "hi")]),
        lambda: request(system, outputs=[Output(str(BOB.address()), 790)]),
        lambda: request(system, root=(0,) * 7),
        lambda: request(system, key="alice"),
    ]
    for attempt in attempts:
        with pytest.raises(ShieldedError):
            attempt()


def test_guard_catches_work(system, guard):
    """Control for the guard itself: a valid request does reach the work, and the guard stops it."""
    with pytest.raises(AssertionError, match="before refusing"):
        request(system)


# -- Transaction: the proof field ---------------------------------------------------------------

def a_transaction(**changes) -> Transaction:
    kw = dict(root=(0,) * 8, nullifiers=((1,) * 8, (2,) * 8), commitments=((3,) * 8, (4,) * 8),
              public_value_in=1, public_value_out=2, asset=3, public_owner=4, fee=5,
              ciphertexts=(bytes(237), bytes(237)), proof=b"proof")
    kw.update(changes)
    return Transaction(**kw)


@pytest.mark.parametrize("proof, what", [
    (None, "proof must be bytes, got NoneType"), ("zz", "proof must be bytes, got str"),
    ([1, 2], "proof must be bytes, got list"), (bytes((1 << 20) + 1), "proof is at most 1048576 bytes")],
    ids=["None", "str", "list", "too-long"])
def test_transaction_refuses_a_proof_that_is_not_bytes(proof, what):
    """Regression: Transaction(proof=None or "zz") was accepted, then to_bytes() raised TypeError."""
    with pytest.raises(EncodingError, match=what):
        a_transaction(proof=proof)


def test_transaction_stores_bytes():
    t = a_transaction(proof=bytearray(b"pr"), ciphertexts=(bytearray(237), bytes(237)))
    assert type(t.proof) is bytes and all(type(c) is bytes for c in t.ciphertexts)
    assert hash(t) and Transaction.from_bytes(t.to_bytes()) == t
    assert len(a_transaction(proof=bytes(1 << 20)).to_bytes()) == 691 + (1 << 20)


# -- output order ---------------------------------------------------------------------------------

MAX_TRIES = 40          # each try shows one order with probability 1/2: both are missing after 40
                        # tries with probability 2^-39


@pytest.mark.prove
def test_both_output_orders_occur_and_both_parties_find_their_notes(system):
    spend, root = funded()
    seen = set()
    for _ in range(MAX_TRIES):
        t = build_transaction(system, ALICE, [spend], [Output(BOB.address(), 500, b"pay"),
                                                       Output(ALICE.address(), 290)], root, 0, fee=10)
        verify_transaction(system, t)
        (i, paid), = scan_incoming(BOB.ivk, BOB.owner, t)
        (j, change), = scan_incoming(ALICE.ivk, ALICE.owner, t)
        assert {i, j} == {0, 1}
        assert (paid.note.value, paid.memo, change.note.value) == (500, b"pay", 290)
        # each commitment moved with its ciphertext (decryption checks cm_i against note i)
        assert t.commitments[i] == note_commitment(paid.note) and t.commitments[j] == note_commitment(change.note)
        # the sender recovers both outputs, in the transaction's order
        expected = [paid.note, change.note] if i == 0 else [change.note, paid.note]
        assert [d.note for _, d in scan_outgoing(ALICE.ovk, t)] == expected
        seen.add(i)
        if seen == {0, 1}:
            break
    assert seen == {0, 1}, "the payment was always at the same index"


@pytest.mark.prove
def test_wallets_find_the_payment_and_the_change_in_either_order(system):
    ledger = Ledger(system)
    alice, bob = Wallet("Alice", system, ALICE), Wallet("Bob", system, BOB)
    ledger.process_transaction(alice.deposit(1000, 0xA11CE))
    alice.sync(ledger.transactions)
    bob_index, balance = set(), 1000
    for k in range(MAX_TRIES):
        t = alice.pay(bob.address, 7, fee=1, memo=bytes([k]))
        positions = ledger.process_transaction(t)
        alice.sync(ledger.transactions)
        bob.sync(ledger.transactions)
        balance -= 8
        got = bob.notes[-1]
        assert (got.note.value, got.memo) == (7, bytes([k])) and got.position in positions
        change, = [n for n in alice.notes if not n.spent]
        assert change.note.value == balance and change.position in positions
        assert {got.position, change.position} == set(positions)
        assert alice.balance() == balance and bob.balance() == 7 * (k + 1)
        bob_index.add(positions.index(got.position))
        if bob_index == {0, 1}:
            break
    assert bob_index == {0, 1}, "Bob's note was always at the same index"
