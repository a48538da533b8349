"""The rollup state and the plain batch transition (SPEC.md, Part III, "State update").

``RollupState.apply_batch`` is the rule set the aggregation circuits enforce, run natively: for
each transaction in order, the proof verifies, its root is among the recent batch roots, its
nullifiers are absent from the nullifier tree (then inserted: nf_0 then nf_1), and its two
commitments are appended to the note tree.  It checks and applies on copies, so the state
changes only when the whole batch is valid, and it records what the circuits need as witness.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field

from shielded.errors import ShieldedError
from shielded.protocol.batch import MAX_ANCHORS, BatchPublicData, TxRecord
from shielded.protocol.note import note_leaf
from shielded.protocol.transaction import Transaction, verify_transaction
from shielded.state.note_tree import NoteTree, TreeFullError
from shielded.state.nullifier_tree import NullifierExists, NullifierTree


class BatchError(ShieldedError):
    """A transaction cannot enter the batch; the message names it and the rule."""

    def __init__(self, index: int, message: str):
        super().__init__(f"transaction {index}: {message}")
        self.index = index


@dataclass(frozen=True)
class TreeState:
    note_root: tuple
    note_size: int
    nf_root: tuple
    nf_size: int

    def elements(self) -> list[int]:
        return list(self.note_root) + [self.note_size] + list(self.nf_root) + [self.nf_size]


@dataclass
class TxWitness:
    tx: Transaction
    anchor_index: int
    record: TxRecord
    before: TreeState
    after: TreeState
    note_siblings: list            # siblings of the commitment pair, levels 1..depth-1
    nf_witnesses: list             # InsertionWitness for nf_0, nf_1


@dataclass
class BatchPlan:
    old: TreeState
    new: TreeState
    anchors: list
    txs: list = field(default_factory=list)      # TxWitness
    data: BatchPublicData = None
    calldata: bytes = b""
    # set by the operator once the proving schedule is fixed (operator.aggregator.bind_plan)
    records_digest: tuple = None
    rho: int = None              # the fingerprint challenge (an F_q element)
    F: int = None                # the batch fingerprint


class RollupState:
    """Both trees, the recent-roots window, and at most one planned (not yet committed) batch."""

    def __init__(self, depth: int, root_window: int, max_batch: int | None = None):
        self.depth = depth
        self.max_batch = max_batch
        self._pending = None
        self.note_tree = NoteTree(depth, keep_nodes=True)
        self.nf_tree = NullifierTree(depth)
        self.history: deque = deque(maxlen=root_window)
        self.history.append(self.note_tree.root())

    @classmethod
    def for_preset(cls, preset) -> "RollupState":
        return cls(preset.tree_depth, preset.root_window, preset.max_batch)

    def tree_state(self) -> TreeState:
        return TreeState(self.note_tree.root(), self.note_tree.size, self.nf_tree.root(), self.nf_tree.size)

    def apply_batch(self, system, txs: list[Transaction]) -> BatchPlan:
        """Check and apply a batch (raises BatchError naming the first bad transaction)."""
        if not txs:
            raise BatchError(0, "a batch holds at least one transaction")
        if self.max_batch is not None and len(txs) > self.max_batch:
            raise BatchError(self.max_batch, f"a batch holds at most {self.max_batch} transactions, got {len(txs)}")
        anchors: list = []
        for i, tx in enumerate(txs):
            root = tuple(tx.root)
            if root not in self.history:
                raise BatchError(i, "its root is not among the recent batch roots")
            if root not in anchors:
                if len(anchors) == MAX_ANCHORS:
                    raise BatchError(i, f"its root would be anchor {MAX_ANCHORS + 1}: a batch uses at most "
                                        f"{MAX_ANCHORS} distinct anchor roots")
                anchors.append(root)
        for i, tx in enumerate(txs):
            try:
                verify_transaction(system, tx)
            except ShieldedError as e:
                raise BatchError(i, f"invalid proof: {e}") from None
        note_tree = copy.deepcopy(self.note_tree)
        nf_tree = copy.deepcopy(self.nf_tree)
        old = self.tree_state()
        plan = BatchPlan(old, old, anchors)
        for i, tx in enumerate(txs):
            before = TreeState(note_tree.root(), note_tree.size, nf_tree.root(), nf_tree.size)
            nfw = []
            for nf in tx.nullifiers:
                try:
                    nfw.append(nf_tree.insert(nf))
                except NullifierExists:
                    raise BatchError(i, "a nullifier is already spent (double spend)") from None
                except TreeFullError:
                    raise BatchError(i, "the nullifier tree is full") from None
            try:
                pos = note_tree.append(note_leaf(tx.commitments[0]))
                note_tree.append(note_leaf(tx.commitments[1]))
            except TreeFullError:
                raise BatchError(i, "the note tree is full") from None
            siblings = note_tree.path(pos)[1:]
            after = TreeState(note_tree.root(), note_tree.size, nf_tree.root(), nf_tree.size)
            record = TxRecord(anchors.index(tuple(tx.root)), tuple(tx.nullifiers), tuple(tx.commitments), tx.asset,
                              tx.fee, tx.public_value_in, tx.public_value_out, tx.public_owner)
            plan.txs.append(TxWitness(tx, record.anchor_index, record, before, after, siblings, nfw))
        plan.new = TreeState(note_tree.root(), note_tree.size, nf_tree.root(), nf_tree.size)
        plan.data = BatchPublicData(anchors, [w.record for w in plan.txs])
        plan.calldata = plan.data.to_calldata()
        self._pending = (note_tree, nf_tree, plan.new.note_root)
        return plan

    def commit(self) -> None:
        """Adopt the state of the last planned batch (after its proof is accepted)."""
        if self._pending is None:
            raise ShieldedError("no planned batch to commit: call apply_batch first")
        note_tree, nf_tree, root = self._pending
        self.note_tree, self.nf_tree = note_tree, nf_tree
        self.history.append(root)
        self._pending = None


def replay_public_data(depth: int, batches: list[BatchPublicData]) -> TreeState:
    """Rebuild both trees from published batch data alone (no proofs, no ciphertexts)."""
    note_tree = NoteTree(depth)
    nf_tree = NullifierTree(depth)
    for data in batches:
        for rec in data.records:
            for nf in rec.nullifiers:
                nf_tree.insert(nf)
            for cm in rec.commitments:
                note_tree.append(note_leaf(cm))
    return TreeState(note_tree.root(), note_tree.size, nf_tree.root(), nf_tree.size)
