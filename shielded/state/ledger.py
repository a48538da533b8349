"""The plain state transition for transactions (SPEC.md, Part II, "Ledger").

``process_transaction`` is the rule set the operator and, with aggregation, the batch circuit
apply: the root is recent, the nullifiers are fresh and distinct, the proof verifies; then the
two output commitments are appended (output 0 first) and the nullifiers recorded.  It checks
everything before it changes anything, so a rejected transaction leaves the ledger untouched.

It accepts public_value_in as given: nothing here checks that a deposit was funded, or pays out
a withdrawal or a fee; that is the L1 contract's job (SPEC.md, Part II, "Ledger").
"""

from __future__ import annotations

from shielded.errors import ShieldedError
from shielded.protocol.note import note_leaf
from shielded.protocol.transaction import Transaction, verify_transaction
from shielded.state.note_tree import NoteTree, RootHistory


class LedgerError(ShieldedError):
    """A transaction breaks a ledger rule (stale root, spent nullifier, invalid proof)."""


class Ledger:
    def __init__(self, system):
        self.system = system
        preset = system.preset
        self.tree = NoteTree(preset.tree_depth, keep_nodes=True)
        self.nullifiers: set = set()
        self.roots = RootHistory(preset.root_window, self.tree.root())
        self.transactions: list[Transaction] = []

    def process_transaction(self, tx: Transaction) -> tuple[int, int]:
        """Apply a transaction; returns the positions of its two output notes."""
        # Verify the anchor is one of the recent roots
        if tx.root not in self.roots:
            raise LedgerError("the transaction's root is not among the recent roots (stale or unknown)")
        # Verify both nullifiers are distinct and unspent
        if tx.nullifiers[0] == tx.nullifiers[1]:
            raise LedgerError("the transaction spends one nullifier twice")
        for nf in tx.nullifiers:
            if nf in self.nullifiers:
                raise LedgerError("a nullifier is already spent (double spend)")
        # Verify the proof against every public field
        try:
            verify_transaction(self.system, tx)
        except ShieldedError as e:
            raise LedgerError(f"invalid proof: {e}") from None
        positions = tuple(self.tree.append(note_leaf(cm)) for cm in tx.commitments)
        self.nullifiers.update(tx.nullifiers)
        self.roots.push(self.tree.root())
        self.transactions.append(tx)
        return positions
