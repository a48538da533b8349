"""A wallet that syncs the whole tree from the ledger's transactions (SPEC.md, Part II, "Wallet").

It never asks anyone for the path of one leaf (that would reveal which note it spends): it sees
every commitment in order, keeps a frontier-only copy of the tree, trial-decrypts every output and
keeps an incremental witness for each note it owns; it marks a note spent when the note's
nullifier (computed with nk) appears.
"""

from __future__ import annotations

from dataclasses import dataclass

from shielded.errors import ShieldedError
from shielded.protocol.keys import SpendingKey
from shielded.protocol.note import Note, derive_nullifier, note_commitment, note_leaf
from shielded.protocol.transaction import Output, Spend, Transaction, build_transaction, scan_incoming
from shielded.state.note_tree import IncrementalWitness, NoteTree


class InsufficientFunds(ShieldedError):
    """The wallet's unspent notes cannot cover the payment."""


@dataclass
class OwnedNote:
    note: Note
    position: int
    witness: IncrementalWitness
    nullifier: tuple
    memo: bytes
    spent: bool = False


class Wallet:
    def __init__(self, name: str, system, key: SpendingKey | None = None):
        self.name = name
        self.system = system
        self.key = key or SpendingKey.generate()
        self.tree = NoteTree(system.preset.tree_depth)
        self.notes: list[OwnedNote] = []
        self._synced = 0

    @property
    def address(self):
        return self.key.address()

    def sync(self, transactions: list[Transaction]) -> list[OwnedNote]:
        """Process the ledger's transactions not seen yet; returns newly found notes."""
        fvk = self.key.full_viewing_key()
        found = []
        for tx in transactions[self._synced:]:
            mine = dict(scan_incoming(fvk.ivk, fvk.owner, tx))
            for nf in tx.nullifiers:
                for n in self.notes:
                    if n.nullifier == tuple(nf):
                        n.spent = True
            for i, cm in enumerate(tx.commitments):
                leaf = note_leaf(cm)
                for n in self.notes:
                    n.witness.append(leaf)
                pos = self.tree.append(leaf)
                if i in mine:
                    d = mine[i]
                    owned = OwnedNote(d.note, pos, self.tree.witness(pos),
                                      derive_nullifier(fvk.nk, note_commitment(d.note), pos), d.memo)
                    self.notes.append(owned)
                    found.append(owned)
        self._synced = len(transactions)
        return found

    def balance(self, asset: int = 0) -> int:
        return sum(n.note.value for n in self.notes if not n.spent and n.note.asset == asset)

    def _select(self, amount: int, asset: int) -> list[OwnedNote]:
        """Up to two unspent notes covering ``amount``: the smallest single note that does, else
        the two largest (if they do)."""
        unspent = sorted((n for n in self.notes if not n.spent and n.note.asset == asset),
                         key=lambda n: n.note.value)
        if amount == 0:
            return []
        for n in unspent:
            if n.note.value >= amount:
                return [n]
        if len(unspent) >= 2 and unspent[-1].note.value + unspent[-2].note.value >= amount:
            return unspent[-2:]
        raise InsufficientFunds(f"{self.name}: needs {amount}, has {self.balance(asset)} in notes "
                                f"(at most two notes per transaction)")

    def pay(self, to, amount: int, fee: int = 0, asset: int = 0, memo: bytes = b"",
            withdraw_to: int = 0, progress=None) -> Transaction:
        """A transfer to an address (``to``), or with ``withdraw_to`` a withdrawal of ``amount``
        to that L1 address; change goes back to this wallet."""
        chosen = self._select(amount + fee, asset)
        total = sum(n.note.value for n in chosen)
        spends = [Spend(n.note, n.position, n.witness.path()) for n in chosen]
        outputs = [] if withdraw_to else [Output(to, amount, memo)]
        if total > amount + fee:
            outputs.append(Output(self.address, total - amount - fee))
        return build_transaction(self.system, self.key, spends, outputs, self.tree.root(), asset, fee=fee,
                                 public_value_out=amount if withdraw_to else 0, public_owner=withdraw_to,
                                 progress=progress)

    def deposit(self, amount: int, from_l1: int, asset: int = 0, progress=None) -> Transaction:
        """A deposit of ``amount`` from an L1 address into a new note of this wallet."""
        return build_transaction(self.system, self.key, [], [Output(self.address, amount)], self.tree.root(),
                                 asset, public_value_in=amount, public_owner=from_l1, progress=progress)
