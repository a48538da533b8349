"""Recursive aggregation end to end (SPEC.md, Part III), on the insecure test preset with small
FRI parameters so that a batch proves in seconds.

One module-scoped system and a two-batch history are shared:
  batch 1: three deposits (an odd count: one leaf has an inactive slot), two chains proved by
           the forking scheduler and merged;
  batch 2: one transfer spending a batch-1 note (a batch of one, inline scheduler, no merge).
Attacks are checked where they must be caught: the plain transition (BatchError), the circuits
(check mode on a forced witness), and the L1 checks (check_batch).
"""

from __future__ import annotations

import copy
import dataclasses

import pytest

from circuits.aggregation.layout import FINAL_PI_FIELDS
from circuits.recursion.proof_targets import assign_proof
from circuits.recursion.verifier import replay_query_indices
from shielded.commit.fri import FriConfig
from shielded.errors import EncodingError, ShieldedError, VerificationError
from shielded.proof.check import check
from shielded.proof.config import ProofConfig
from shielded.proof.encoding import decode_proof, encode_proof
from shielded.proof.witness import generate_witness
from shielded.protocol.batch import BatchPublicData, TxRecord, anchors_values
from shielded.protocol.note import note_leaf
from shielded.protocol.params import INSECURE_TEST
from shielded.state.nullifier_tree import key_int, nullifier_key
from shielded.state.rollup import BatchError, BatchPlan, RollupState, TreeState, TxWitness, replay_public_data
from shielded.operator.aggregator import (AggregationSystem, NodeProof, _prove, bind_plan, check_batch,
                                          final_assignment, leaf_assignment, merge_assignment, prove_batch,
                                          prove_chain, prove_merge, split_chains, start_workers)
from shielded.operator.scheduler import InlineScheduler, ProcessScheduler
from shielded.wallet.wallet import Wallet

pytestmark = pytest.mark.prove

P = 2**31 - 2**24 + 1
NODE_CFG = ProofConfig(fri=FriConfig(log_blowup=3, num_queries=4, pow_bits=2))
FINAL_CFG = ProofConfig(fri=FriConfig(log_blowup=3, num_queries=4, pow_bits=2, hash="keccak"))


@dataclasses.dataclass
class History:
    system: AggregationSystem
    state: RollupState
    alice: Wallet
    bob: Wallet
    batch1: list
    batch2: list
    result1: object
    result2: object
    before1: object          # TreeState before batch 1
    before2: object
    history1: list           # the L1 root window when batch 1 was submitted
    history2: list


@pytest.fixture(scope="module")
def hist() -> History:
    system = AggregationSystem(INSECURE_TEST, NODE_CFG, FINAL_CFG, log_rows=12)
    state = RollupState.for_preset(INSECURE_TEST)
    alice, bob = Wallet("alice", system.js), Wallet("bob", system.js)
    batch1 = [alice.deposit(100, 0x1111), bob.deposit(50, 0x2222), alice.deposit(7, 0x1111)]
    before1, history1 = state.tree_state(), list(state.history)
    result1 = prove_batch(system, state, batch1, ProcessScheduler(2))
    state.commit()
    alice.sync(batch1)
    bob.sync(batch1)
    batch2 = [alice.pay(bob.address, 30, fee=1)]
    before2, history2 = state.tree_state(), list(state.history)
    result2 = prove_batch(system, state, batch2, InlineScheduler())
    state.commit()
    return History(system, state, alice, bob, batch1, batch2, result1, result2, before1, before2,
                   history1, history2)


# -- valid batches -------------------------------------------------------------------------------

def test_batches_verify_under_the_l1_checks(hist):
    check_batch(hist.system, hist.before1, hist.history1, hist.result1.calldata, hist.result1.final_public,
                hist.result1.final_proof)
    check_batch(hist.system, hist.before2, hist.history2, hist.result2.calldata, hist.result2.final_public,
                encode_proof(hist.result2.final_proof, hist.system.final_vk))


def test_state_advances_as_planned(hist):
    assert hist.result1.plan.old == hist.before1
    assert hist.result1.plan.new == hist.before2
    assert hist.state.tree_state() == hist.result2.plan.new
    assert hist.before2.note_size == 6 and hist.before2.nf_size == 1 + 6
    assert hist.state.note_tree.root() in hist.state.history


def test_published_data_rebuilds_the_trees(hist):
    datas = [BatchPublicData.from_calldata(r.calldata) for r in (hist.result1, hist.result2)]
    assert replay_public_data(INSECURE_TEST.tree_depth, datas[:1]) == hist.before2
    assert replay_public_data(INSECURE_TEST.tree_depth, datas) == hist.state.tree_state()


def test_final_public_inputs_carry_both_states(hist):
    pis, pos = {}, 0
    for name, n in FINAL_PI_FIELDS:
        pis[name] = hist.result2.final_public[pos:pos + n]
        pos += n
    new = hist.result2.plan.new
    assert pis["note_root_new"] == list(new.note_root) and pis["note_size_new"] == [new.note_size]
    assert pis["nf_root_new"] == list(new.nf_root) and pis["nf_size_new"] == [new.nf_size]


def test_wallets_see_the_transfer(hist):
    hist.bob.sync(hist.batch1 + hist.batch2)
    hist.alice.sync(hist.batch1 + hist.batch2)
    assert hist.bob.balance() == 80
    assert hist.alice.balance() == 107 - 31


# -- the plain transition refuses bad batches ----------------------------------------------------

def _fresh_state(hist, batches=()):
    state = RollupState.for_preset(INSECURE_TEST)
    for txs in batches:
        state.apply_batch(hist.system.js, txs)
        state.commit()
    return state


def test_double_spend_across_batches_is_refused(hist):
    state = _fresh_state(hist, [hist.batch1, hist.batch2])
    before = state.tree_state()
    with pytest.raises(BatchError, match="transaction 0: a nullifier is already spent"):
        state.apply_batch(hist.system.js, hist.batch2)
    assert state.tree_state() == before


def test_double_spend_within_a_batch_is_refused(hist):
    state = _fresh_state(hist, [hist.batch1])
    alice = Wallet("alice2", hist.system.js, hist.alice.key)
    alice.sync(hist.batch1)
    twice = [alice.pay(hist.bob.address, 5), alice.pay(hist.bob.address, 6)]
    before = state.tree_state()
    with pytest.raises(BatchError, match="transaction 1: a nullifier is already spent"):
        state.apply_batch(hist.system.js, twice)
    assert state.tree_state() == before


def test_an_invalid_client_proof_is_refused(hist):
    tx = hist.batch1[1]
    bad = bytearray(tx.proof)
    bad[len(bad) // 2] ^= 1
    forged = dataclasses.replace(tx, proof=bytes(bad))
    state = _fresh_state(hist)
    with pytest.raises(BatchError, match="transaction 1: invalid proof"):
        state.apply_batch(hist.system.js, [hist.batch1[0], forged])


def test_an_unknown_anchor_is_refused(hist):
    state = _fresh_state(hist)                     # batch2's root is not in a fresh history
    with pytest.raises(BatchError, match="not among the recent batch roots"):
        state.apply_batch(hist.system.js, hist.batch2)


def test_batch_size_limits(hist):
    state = RollupState(INSECURE_TEST.tree_depth, INSECURE_TEST.root_window, max_batch=2)
    with pytest.raises(BatchError, match="at most 2 transactions"):
        state.apply_batch(hist.system.js, hist.batch1)
    with pytest.raises(BatchError, match="at least one"):
        state.apply_batch(hist.system.js, [])
    with pytest.raises(ShieldedError, match="no planned batch"):
        state.commit()


@pytest.mark.parametrize("which", ["note", "nullifier"])
def test_a_full_tree_is_refused(hist, which):
    # fill the tree directly so that the transaction's pair no longer fits (the root window still
    # holds the empty root the deposits were built against)
    state = RollupState.for_preset(INSECURE_TEST)
    room = 1 << INSECURE_TEST.tree_depth
    if which == "note":
        for i in range(room - 1):
            state.note_tree.append((i + 1,) + (0,) * 7)
    else:
        for i in range(room - 2):                    # the sentinel holds one leaf
            state.nf_tree.insert((i + 1, 7, 7, 7, 0, 0, 0, 0))
    before = state.tree_state()
    with pytest.raises(BatchError, match=f"transaction 0: the {which} tree is full"):
        state.apply_batch(hist.system.js, hist.batch1[:1])
    assert state.tree_state() == before


def test_started_workers_prove_the_same_batch(hist):
    """Workers started ahead (start_workers: forked once, warmed with the dummy proof) produce
    exactly the batch the per-call pool produced: node and final proofs are deterministic."""
    state = _fresh_state(hist)
    scheduler = ProcessScheduler(2)
    assert start_workers(hist.system, scheduler) >= 0
    try:
        result = prove_batch(hist.system, state, hist.batch1, scheduler)
    finally:
        scheduler.close()
    assert result.calldata == hist.result1.calldata
    assert result.final_public == hist.result1.final_public
    assert encode_proof(result.final_proof, hist.system.final_vk) == \
        encode_proof(hist.result1.final_proof, hist.system.final_vk)


@pytest.mark.parametrize("owner", [object(), None])
def test_workers_not_started_for_this_system_are_refused(hist, owner):
    """Workers started for another system, or started without start_workers, hold some other
    system (or none): prove_batch refuses them before planning."""
    state = _fresh_state(hist)
    before = state.tree_state()
    with ProcessScheduler(2) as scheduler:
        scheduler.start(owner=owner)
        with pytest.raises(ShieldedError, match="not started for this AggregationSystem"):
            prove_batch(hist.system, state, hist.batch1, scheduler)
    assert state.tree_state() == before


@pytest.mark.parametrize("n, workers, expected", [
    (1, 2, [[0]]), (2, 2, [[0, 1]]), (3, 2, [[0, 1], [2]]), (5, 2, [[0, 1, 2, 3], [4]]),
    (8, 3, [[0, 1, 2, 3], [4, 5, 6, 7]]), (7, 1, [list(range(7))]),
])
def test_split_chains(n, workers, expected):
    chains = split_chains(n, workers)
    assert chains == expected
    assert [i for c in chains for i in c] == list(range(n))
    assert all(len(c) % 2 == 0 for c in chains[:-1])


# -- the circuits refuse forced witnesses --------------------------------------------------------

def _violations(circuit, assignment) -> list:
    witness = generate_witness(circuit, assignment, strict=False)
    return check(circuit, witness)


@pytest.fixture(scope="module")
def plan1(hist):
    state = _fresh_state(hist)
    plan = state.apply_batch(hist.system.js, hist.batch1)
    bind_plan(plan, split_chains(3, 2))          # the schedule used below: chains [0, 1] and [2]
    return plan


def test_honest_leaf_and_merge_witnesses_pass_check_mode(hist, plan1):
    out, _ = leaf_assignment(hist.system, plan1, [0, 1], 0, None)
    assert _violations(hist.system.leaf_circuit, out) == []


def test_leaf_assembly_refuses_an_invalid_client_proof(hist, plan1):
    tx = plan1.txs[1].tx
    bad = bytearray(tx.proof)
    bad[len(bad) // 3] ^= 1
    forged = dataclasses.replace(plan1, txs=list(plan1.txs))
    forged.txs[1] = dataclasses.replace(plan1.txs[1], tx=dataclasses.replace(tx, proof=bytes(bad)))
    with pytest.raises(ShieldedError):          # VerificationError, or EncodingError if undecodable
        leaf_assignment(hist.system, forged, [0, 1], 0, None)


def _slot_proof_vars(hist, slot, tx) -> list:
    js_vk = hist.system.js.vk
    proof = decode_proof(tx.proof, js_vk)
    idx, _ = replay_query_indices(js_vk, tx.public_inputs(), proof)
    return list(assign_proof(slot.proof, js_vk, proof, idx))


@pytest.mark.parametrize("what", ["client proof value", "client public input", "new note root",
                                  "inactive real slot", "anchor index", "nullifier low key",
                                  "records digest", "fingerprint"])
def test_leaf_rejects_forged_witness(hist, plan1, what):
    leaf = hist.system.leaf
    out, _ = leaf_assignment(hist.system, plan1, [0, 1], 0, None)
    slot = leaf.slots[1]
    if what == "client proof value":
        var = _slot_proof_vars(hist, slot, hist.batch1[1])[5]
        out[var] = (out[var] + 1) % P
    elif what == "client public input":
        out[slot.public[0]] = (out[slot.public[0]] + 1) % P
    elif what == "new note root":
        var = leaf.pis["note_root_new"][0]
        out[var] = (out[var] + 1) % P
    elif what == "inactive real slot":
        out[slot.active] = 0
    elif what == "anchor index":
        out[slot.anchor_index] = 1
    elif what == "nullifier low key":
        var = slot.nf[0]["low_key"][0]
        out[var] = (out[var] + 1) % P
    else:
        var = leaf.pis["records_digest" if what == "records digest" else "F"][0]
        out[var] = (out[var] + 1) % P
    assert _violations(hist.system.leaf_circuit, out) != []


def test_merge_rejects_children_out_of_order(hist, plan1):
    a = prove_chain(hist.system, plan1, [0, 1])
    b = prove_chain(hist.system, plan1, [2])
    good, _ = merge_assignment(hist.system, plan1, a, b)
    assert _violations(hist.system.merge_circuit, good) == []
    swapped, _ = merge_assignment(hist.system, plan1, b, a)
    assert _violations(hist.system.merge_circuit, swapped) != []
    # a merged node passes the final circuit; a node covering only part of the batch does not
    top = prove_merge(hist.system, plan1, a, b)
    ok, _ = final_assignment(hist.system, plan1, top)
    assert _violations(hist.system.final_circuit, ok) == []
    partial, _ = final_assignment(hist.system, plan1, a)
    assert _violations(hist.system.final_circuit, partial) != []


def test_a_leaf_proof_cannot_pose_as_a_merge(hist, plan1):
    a = prove_chain(hist.system, plan1, [0, 1])
    fake = NodeProof("merge", a.public, a.proof)        # wrong key for this proof
    with pytest.raises(VerificationError):
        merge_assignment(hist.system, plan1, fake, None)


def _forced_spend(note_tree, nf_tree, tx, anchors) -> TxWitness:
    """Apply tx to the plain trees (in place) with witnesses that are honest except that a
    nullifier already present is "inserted" anyway, with its predecessor (whose next key is
    the nullifier's own key) as the low leaf: what a cheating operator would feed the leaf."""
    before = TreeState(note_tree.root(), note_tree.size, nf_tree.root(), nf_tree.size)
    nfw = []
    for nf in tx.nullifiers:
        k = key_int(nullifier_key(nf))
        if k in nf_tree._index_of:               # hide the key from the plain tree's own check
            nf_tree._sorted.remove(k)
            del nf_tree._index_of[k]
        nfw.append(nf_tree.insert(nf))
    pos = note_tree.append(note_leaf(tx.commitments[0]))
    note_tree.append(note_leaf(tx.commitments[1]))
    after = TreeState(note_tree.root(), note_tree.size, nf_tree.root(), nf_tree.size)
    record = TxRecord(anchors.index(tuple(tx.root)), tuple(tx.nullifiers), tuple(tx.commitments), tx.asset,
                      tx.fee, tx.public_value_in, tx.public_value_out, tx.public_owner)
    return TxWitness(tx, record.anchor_index, record, before, after, note_tree.path(pos)[1:], nfw)


@pytest.mark.parametrize("where", ["across batches", "within a leaf"])
def test_leaf_rejects_a_forced_double_spend(hist, where):
    """The plain transition refuses double spends (tests above); here the operator skips it and
    builds the leaf witness itself: the nullifier insertion gadget must refuse."""
    spend = hist.batch2[0]
    if where == "across batches":
        state = _fresh_state(hist, [hist.batch1, hist.batch2])      # spend's nullifiers are in the tree
        txs = [spend]
    else:
        state = _fresh_state(hist, [hist.batch1])
        txs = [spend, spend]
    anchors = [tuple(spend.root)]
    note_tree, nf_tree = copy.deepcopy(state.note_tree), copy.deepcopy(state.nf_tree)
    old = state.tree_state()
    plan = BatchPlan(old, old, anchors)
    plan.txs = [_forced_spend(note_tree, nf_tree, tx, anchors) for tx in txs]
    plan.new = plan.txs[-1].after
    plan.data = BatchPublicData(anchors, [w.record for w in plan.txs])
    plan.calldata = plan.data.to_calldata()
    bind_plan(plan, split_chains(len(txs), 1))
    out, _ = leaf_assignment(hist.system, plan, list(range(len(txs))), 0, None)
    violations = _violations(hist.system.leaf_circuit, out)
    assert violations
    # the refusal is the absence check (key < low leaf's next key), not a path or a root
    assert all("arithmetic" in str(v) or "decompose" in str(v) for v in violations), violations[:3]


def test_circuit_anchors_are_the_published_anchors(hist):
    """Regression (an earlier version fingerprinted the anchor list after r was known, so an
    operator could solve for a list holding a root of a tree of its own and spend notes that
    never existed): a leaf checks client roots against the anchors the final proof exposes, and
    the L1 requires those to be the calldata's."""
    system = hist.system
    state = _fresh_state(hist)
    real_root = state.note_tree.root()
    mallory = Wallet("mallory", system.js)
    fake = mallory.deposit(10**9, 0xDEAD)        # never submitted: only in mallory's own tree
    mallory.sync([fake])
    fake_root = mallory.tree.root()
    spend = mallory.pay(mallory.address, 10**9 - 1, fee=1)
    assert tuple(spend.root) == fake_root and fake_root not in state.history
    state.history.append(fake_root)              # plan as if it were recent (the honest witness code)
    plan = state.apply_batch(system.js, [spend])
    state.history.remove(fake_root)
    history = list(state.history)
    plan.data = BatchPublicData([real_root], plan.data.records)      # publish only the real root
    plan.calldata = plan.data.to_calldata()
    bind_plan(plan, split_chains(1, 1))
    node = prove_chain(system, plan, [0])        # the leaf uses the anchor list [fake_root]
    assignment, public = final_assignment(system, plan, node)
    assert _violations(system.final_circuit, assignment) == []
    proof, public = _prove(system.final_pk, system.final_circuit, assignment)
    with pytest.raises(VerificationError, match="anchor list"):
        check_batch(system, plan.old, history, plan.calldata, public, proof)
    # claiming the published anchors instead: the final circuit refuses the witness
    forced = dict(assignment)
    forced.update(zip(system.final.anchors, anchors_values([real_root])))
    assert _violations(system.final_circuit, forced) != []


# -- the L1 checks -------------------------------------------------------------------------------

def _l1(hist, calldata=None, public=None, proof=None, old=None, history=None):
    r = hist.result1
    check_batch(hist.system, old or hist.before1, history if history is not None else hist.history1,
                calldata if calldata is not None else r.calldata,
                public if public is not None else r.final_public,
                proof if proof is not None else r.final_proof)


def test_l1_rejects_every_changed_public_input(hist):
    for i in range(len(hist.result1.final_public)):
        public = list(hist.result1.final_public)
        public[i] = (public[i] + 1) % P
        with pytest.raises(VerificationError):
            _l1(hist, public=public)
    with pytest.raises(VerificationError, match="public inputs"):
        _l1(hist, public=hist.result1.final_public[:-1])


def test_l1_rejects_every_changed_calldata_byte(hist):
    data = hist.result1.calldata
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x01
        with pytest.raises((VerificationError, EncodingError)):
            _l1(hist, calldata=bytes(bad))
    with pytest.raises(EncodingError):
        _l1(hist, calldata=data[:-1])


def test_l1_rejects_changed_proof_bytes(hist):
    vk = hist.system.final_vk
    enc = encode_proof(hist.result1.final_proof, vk)
    _l1(hist, proof=enc)
    step = max(1, len(enc) // 97)
    for i in range(0, len(enc), step):
        bad = bytearray(enc)
        bad[i] ^= 0x01
        with pytest.raises((VerificationError, EncodingError)):
            _l1(hist, proof=bytes(bad))


def test_l1_rejects_a_proof_of_another_batch(hist):
    with pytest.raises(VerificationError):
        _l1(hist, public=hist.result2.final_public, calldata=hist.result2.calldata, old=hist.before2,
            history=hist.history2)            # batch 2's statement with batch 1's proof


def test_l1_rejects_wrong_state_or_anchor(hist):
    with pytest.raises(VerificationError, match="current state"):
        _l1(hist, old=hist.before2)
    with pytest.raises(VerificationError, match="anchor"):
        _l1(hist, history=[hist.before2.note_root])


def test_a_fifth_anchor_is_refused_at_the_transaction_that_brings_it(hist):
    # five transactions each built against a different recent root
    state = RollupState.for_preset(INSECURE_TEST)
    wallet = Wallet("anchors", hist.system.js)
    txs = []
    for k in range(5):
        txs.append(wallet.deposit(1 + k, 0x3333))
        state.apply_batch(hist.system.js, [txs[-1]])
        state.commit()
        wallet.sync(txs)
    fresh = RollupState.for_preset(INSECURE_TEST)
    fresh.history = state.history                  # all five roots are recent, the trees are not
    with pytest.raises(BatchError, match="transaction 4: its root would be anchor 5"):
        fresh.apply_batch(hist.system.js, txs)
