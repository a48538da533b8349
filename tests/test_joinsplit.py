"""The join-split circuit (SPEC.md section 20): valid cases are accepted, every attack is refused.

Tiers (STYLE.md rule 5): check mode by default; ``prove`` for real proofs with the INSECURE_TEST
and SMALL presets; ``slow`` for the one transfer at the REAL preset.

How the attacks are built.  The honest builder (``build_transaction``) refuses to produce an
invalid witness, so each attack starts from a valid ``JoinSplitCase`` and derives a forged one
with ``replace`` / ``with_public`` or by editing the circuit assignment, the way a cheating prover
would.  A cheating prover also publishes whatever makes the *other* constraints hold (e.g. the
nullifier its witness really produces, ``publish_circuit_nullifiers``), so that each test fails
only if the one rule it targets is missing.  Every forgery is checked against its valid base
(accepted) and then in check mode against the public inputs the verifier would hold (rejected);
where a test can say which gadget must object, it asserts the kind of gate that does (range
checks are ``decompose`` rows, Merkle membership and conservation are ``arithmetic`` rows,
hashes are ``poseidon2`` rows).  A subset also goes to the prover, which must refuse.
"""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from circuits.gadgets.arith import U64_MAX, u64_limbs
from circuits.joinsplit import NUM_PUBLIC_INPUTS, PI_FIELDS, PI_OFFSETS
from shielded.errors import ProvingError, VerificationError
from shielded.field.koalabear import P
from shielded.hash.sponge import Tag, hash_elements
from shielded.proof.check import Violation, check
from shielded.proof.prover import prove
from shielded.proof.verifier import verify
from shielded.proof.witness import generate_witness
from shielded.protocol import keys
from shielded.protocol.note import Note, derive_nullifier, note_commitment, note_leaf
from shielded.protocol.params import INSECURE_TEST, REAL, SMALL
from shielded.protocol.transaction import (Output, Spend, TransactionError, build_transaction,
                                           joinsplit_system, verify_transaction)
from shielded.state.note_tree import NoteTree
from shielded.testing import check_rejects, field_elements, tampered_public_inputs
from shielded.testing.protocol import JoinSplitCase, SpendData, joinsplit_cases

STATS = Path(__file__).parent / "vectors" / "circuit_stats.json"
DEPTH = INSECURE_TEST.tree_depth

# -- plumbing ----------------------------------------------------------------------------------


def system(preset=INSECURE_TEST):
    return joinsplit_system(preset)       # built once per process (cached)


Edit = Callable[[dict], None]


def forced_witness(case: JoinSplitCase, edit: Edit | None = None, preset=INSECURE_TEST):
    """The witness a prover computes from ``case`` (after ``edit`` changes its assignment);
    conflicts with the circuit's constraints are recorded, not raised."""
    sys_ = system(preset)
    assignment = case.assignment(sys_)
    if edit is not None:
        edit(assignment)
    return generate_witness(sys_.js.circuit, assignment, strict=False)


def violations(case: JoinSplitCase, edit: Edit | None = None, fast: bool = True) -> list[Violation]:
    """Check mode on the forced witness, against the public inputs the verifier holds."""
    w = forced_witness(case, edit)
    return check(system().js.circuit, trace=w.trace(), public_values=case.public_inputs(), fast=fast)


def gate_kinds(vs) -> set[str]:
    return {v.gate.split("(")[0] for v in vs}


def assert_valid(case: JoinSplitCase) -> None:
    w = forced_witness(case)
    assert w.problems == []
    assert check(system().js.circuit, w) == []


def assert_rejected(valid: JoinSplitCase, forged: JoinSplitCase, edit: Edit | None = None,
                    kinds: set[str] | None = None) -> list[Violation]:
    """The valid base passes, the forgery does not; ``kinds``: the gate kinds allowed to object."""
    assert_valid(valid)
    vs = violations(forged, edit)
    assert vs, "check mode accepted the forged witness"
    assert {v.kind for v in vs} == {"gate"}, vs[:5]     # the trace itself is consistent
    if kinds is not None:
        assert gate_kinds(vs) <= kinds, vs[:5]
    return vs


def random_digest(rnd: random.Random) -> tuple:
    return tuple(rnd.randrange(P) for _ in range(8))


def random_value(rnd: random.Random, high: int = U64_MAX) -> int:
    edges = [v for v in (1, 0xFFFF, 0x10000, P - 1, P, 1 << 63, U64_MAX) if v <= high]
    return rnd.choice(edges) if rnd.random() < 0.3 else rnd.randint(1, high)


def dummy(rnd: random.Random, asset: int) -> SpendData:
    """A zero-value input: a fresh key, a random position, an all-zero (fake) path."""
    key = keys.SpendingKey(rnd.randbytes(32))
    note = Note(asset, 0, key.owner, random_digest(rnd))
    return SpendData(key, note, rnd.randrange(1 << DEPTH), ((0,) * 8,) * DEPTH)


@dataclass
class Made:
    case: JoinSplitCase
    tree: NoteTree          # the note tree the case's root and paths come from


def make_case(rnd: random.Random, in_values, out_values, public_in: int = 0, public_out: int = 0,
              fee: int = 0, asset: int | None = None, note_asset: int | None = None) -> Made:
    """A join-split of notes of ``in_values`` (appended among random leaves of a fresh tree) into
    outputs of ``out_values``; amounts are taken as given (balanced or not)."""
    asset = rnd.randrange(1 << 30) if asset is None else asset
    key = keys.SpendingKey(rnd.randbytes(32))
    tree = NoteTree(DEPTH, keep_nodes=True)
    for _ in range(rnd.randrange(4)):
        tree.append(random_digest(rnd))
    placed = []
    for v in in_values:
        n = Note(asset if note_asset is None else note_asset, v, key.owner, random_digest(rnd))
        placed.append((n, tree.append(note_leaf(note_commitment(n)))))
        tree.append(random_digest(rnd))
    spends = [SpendData(key, n, pos, tuple(tree.path(pos))) for n, pos in placed]
    spends += [dummy(rnd, asset) for _ in range(2 - len(spends))]
    outs = [Note(asset, v, random_digest(rnd), random_digest(rnd)) for v in out_values]
    outs += [Note(asset, 0, random_digest(rnd), random_digest(rnd)) for _ in range(2 - len(outs))]
    case = JoinSplitCase(DEPTH, tree.root(), tuple(spends), tuple(outs), asset, public_in, public_out,
                         rnd.randrange(1, 1 << 160), fee, random_digest(rnd))
    return Made(case, tree)


def spend_case(rnd: random.Random) -> Made:
    """A valid transfer of two real notes (the first non-zero) into two outputs and a fee."""
    v0, v1 = random_value(rnd), random_value(rnd) * rnd.randrange(2)
    total = v0 + v1
    fee = rnd.randint(0, min(total, 1 << 20))
    out0 = rnd.randint(max(0, total - fee - U64_MAX), min(U64_MAX, total - fee))
    made = make_case(rnd, [v0, v1], [out0, total - fee - out0], fee=fee)
    assert made.case.balanced()
    return made


def circuit_nullifier(asset: int, ask, nk, value: int | list, rcm, position: int) -> tuple:
    """The nullifier the circuit derives from an input witness (owner from ask and nk, the
    commitment under the public asset): what a cheating prover publishes."""
    owner = keys.derive_owner(keys.derive_ak(tuple(ask)), tuple(nk))
    limbs = u64_limbs(value) if isinstance(value, int) else list(value)
    cm = hash_elements(Tag.NOTE_COMMITMENT, [asset] + limbs + list(owner) + list(rcm))
    return derive_nullifier(tuple(nk), cm, position)


def publish_circuit_nullifiers(case: JoinSplitCase, asks=None, nks=None) -> JoinSplitCase:
    asks = asks or [s.key.ask for s in case.spends]
    nks = nks or [s.key.nk for s in case.spends]
    for i, (s, ask, nk) in enumerate(zip(case.spends, asks, nks)):
        case = case.with_public(f"nf_{i}", list(circuit_nullifier(case.asset, ask, nk, s.note.value,
                                                                   s.note.rcm, s.position)))
    return case


def range_check_of(var) -> tuple[int, str]:
    """(row, label) of the range-check constraint "value k = sum bits * 2^i" holding ``var``."""
    c = system().js.circuit
    root = c.roots[var.index]
    for row, col in zip(*(c.cell_vars == root).nonzero()):
        gate = int(c.row_gate[row])              # -1 on the public-input rows
        if gate >= 0 and c.gates[gate].name.startswith("decompose"):
            return int(row), f"value {int(col)} = sum bits * 2^i"
    raise AssertionError(f"{var} is not range-checked")


def set_vars(handles, values) -> Edit:
    def edit(a: dict) -> None:
        assert len(handles) == len(values)
        a.update(zip(handles, values))
    return edit


def with_output_limbs(case: JoinSplitCase, j: int, limbs: list[int]) -> tuple[JoinSplitCase, Edit]:
    """Output j with arbitrary limbs (the honest builder only writes canonical ones), and the
    public cm_j its commitment gadget then computes."""
    n = case.outputs[j]
    cm = hash_elements(Tag.NOTE_COMMITMENT, [case.asset] + list(limbs) + list(n.owner) + list(n.rcm))
    return case.with_public(f"cm_{j}", list(cm)), set_vars(system().js.outputs[j].value, limbs)


class Rng(random.Random):
    """A seeded generator that prints its seed (a failing example then reads `Rng(1234)`)."""

    def __init__(self, seed):
        super().__init__(seed)
        self.seed_value = seed

    def __repr__(self) -> str:
        return f"Rng({self.seed_value!r})"


randoms = st.integers(0, 2**32 - 1).map(Rng)

any_case = joinsplit_cases(INSECURE_TEST)
spending_cases = joinsplit_cases(INSECURE_TEST, real_inputs=st.integers(1, 2)).filter(
    lambda c: c.spends[0].note.value != 0)          # spends[0] is a real, non-zero note

# -- valid cases -------------------------------------------------------------------------------


@given(any_case)
def test_valid_cases_pass_check_mode(case):
    assert case.balanced()
    w = forced_witness(case)
    assert w.problems == []
    assert w.public_values() == case.public_inputs()
    assert check(system().js.circuit, w) == []


@settings(max_examples=5)
@given(any_case)
def test_valid_cases_pass_the_reference_check_path(case):
    assert check(system().js.circuit, forced_witness(case), fast=False) == []


EXTREME_CASES = {
    "everything at 2^64 - 1": dict(in_values=[U64_MAX, U64_MAX], out_values=[U64_MAX, U64_MAX],
                                   public_in=U64_MAX, public_out=U64_MAX),
    "an input of value p": dict(in_values=[P], out_values=[P - 1], fee=1),
    "an input of value 2^16 (limb sum 1)": dict(in_values=[1 << 16], out_values=[1, 0xFFFF]),
    "deposit only": dict(in_values=[], out_values=[U64_MAX, 0], public_in=U64_MAX),
    "withdrawal only": dict(in_values=[U64_MAX, 1], out_values=[], public_out=U64_MAX, fee=1),
    "a real note of value 0": dict(in_values=[0, 7], out_values=[7]),
}


@pytest.mark.parametrize("name", list(EXTREME_CASES))
def test_valid_extreme_cases_pass_check_mode(name):
    case = make_case(random.Random(name), **EXTREME_CASES[name]).case
    assert case.balanced()
    assert_valid(case)


def test_circuit_size_matches_the_pinned_statistics():
    pinned = json.loads(STATS.read_text())["circuits"]
    assert system(SMALL).js.circuit.stats() == pinned["joinsplit depth 8, hiding"]
    assert system(REAL).js.circuit.stats() == pinned["joinsplit depth 32, hiding"]
    # INSECURE_TEST has fewer FRI queries, hence fewer blinding rows, but the same gate rows
    fast = system(INSECURE_TEST).js.circuit.stats()
    assert {k: fast[k] for k in ("rows_used", "gate_rows", "public_inputs")} == \
           {k: pinned["joinsplit depth 8, hiding"][k] for k in ("rows_used", "gate_rows", "public_inputs")}
    assert fast["public_inputs"] == NUM_PUBLIC_INPUTS == sum(n for _, n in PI_FIELDS) == 69


def test_public_input_layout_is_the_spec_order():
    names = [name for name, _ in PI_FIELDS]
    assert names == ["root", "nf_0", "nf_1", "cm_0", "cm_1", "public_in", "public_out", "asset",
                     "public_owner", "fee", "ciphertext_hash"]
    starts = [PI_OFFSETS[n][0] for n in names]
    assert starts == [0, 8, 16, 24, 32, 40, 44, 48, 49, 57, 61]


# -- value conservation ------------------------------------------------------------------------


def forge_overspend(rnd: random.Random, case: JoinSplitCase | None = None):
    """One output note worth one unit more, nothing else changed (its commitment is honest)."""
    case = case or spend_case(rnd).case
    j = next(j for j, n in enumerate(case.outputs) if n.value < U64_MAX)
    outs = list(case.outputs)
    outs[j] = dataclasses.replace(outs[j], value=outs[j].value + 1)
    return case, case.replace(outputs=tuple(outs)), None


@given(any_case, randoms)
def test_overspend_is_rejected(case, rnd):
    assume(any(n.value < U64_MAX for n in case.outputs))
    valid, forged, edit = forge_overspend(rnd, case)
    assert not forged.balanced()
    assert_rejected(valid, forged, edit, kinds={"arithmetic"})


def forge_fee(rnd: random.Random, case: JoinSplitCase | None = None):
    """The public fee changed (up or down) while every value stays the same."""
    case = case or spend_case(rnd).case
    fee = case.fee + 1 if case.fee < U64_MAX and (case.fee == 0 or rnd.random() < 0.5) else case.fee - 1
    return case, case.with_public("fee", u64_limbs(fee)), None


@given(any_case, randoms)
def test_fee_mis_accounting_is_rejected(case, rnd):
    valid, forged, edit = forge_fee(rnd, case)
    assert_rejected(valid, forged, edit, kinds={"arithmetic"})


def forge_sum_wrapping_at_2_64(rnd: random.Random):
    """(2^64 - 1) + 1 deposited = 0 out: balanced modulo 2^64 only."""
    k = rnd.randrange(1 << 16)
    valid = make_case(rnd, [U64_MAX - k], [U64_MAX - k, 0]).case
    forged = valid.replace(public_value_in=k + 1, outputs=(dataclasses.replace(valid.outputs[0], value=0),
                                                          valid.outputs[1]))
    assert (U64_MAX - k + k + 1) % (1 << 64) == 0
    return valid, forged, None


@given(randoms)
def test_value_sum_wrapping_at_2_64_is_rejected(rnd):
    assert_rejected(*forge_sum_wrapping_at_2_64(rnd), kinds={"arithmetic"})


def forge_output_worth_2_64_plus_x(rnd: random.Random):
    """An input of 2^64 - 1 plus a deposit of 1 is exactly 2^64 over the integers; an output whose
    top limb is 0x10000 (value 2^64 + 0) balances it.  Only the limb range check stands."""
    valid = make_case(rnd, [U64_MAX], [U64_MAX, 0]).case
    case = valid.replace(public_value_in=1, public_owner=valid.public_owner or 1)
    forged, edit = with_output_limbs(case, 0, [0, 0, 0, 0x10000])
    return valid, forged, edit


@given(randoms)
def test_output_worth_2_64_plus_x_is_rejected(rnd):
    vs = assert_rejected(*forge_output_worth_2_64_plus_x(rnd), kinds={"decompose"})
    assert [(v.row, v.label) for v in vs] == [range_check_of(system().js.outputs[0].value[3])]


def forge_carry_in_a_limb(rnd: random.Random):
    """Output 0 with limb 0 raised by 2^16 and limb 1 lowered by 1: the same integer value, but
    not 16-bit limbs (a second encoding of the value, with another commitment)."""
    v0 = rnd.randrange(1 << 16) | rnd.randint(1, 0xFFFF) << 16 | rnd.randrange(1 << 32) << 32
    v1 = random_value(rnd)
    valid = make_case(rnd, [v0, v1], [v0, v1]).case
    limbs = u64_limbs(v0)
    limbs[0] += 1 << 16
    limbs[1] -= 1
    forged, edit = with_output_limbs(valid, 0, limbs)
    return valid, forged, edit


@given(randoms)
def test_output_limb_of_2_16_is_rejected(rnd):
    vs = assert_rejected(*forge_carry_in_a_limb(rnd), kinds={"decompose"})
    assert [(v.row, v.label) for v in vs] == [range_check_of(system().js.outputs[0].value[0])]


def forge_public_amount_limb(rnd: random.Random, name: str):
    """A public amount (public_in, public_out or fee) published with limb 0 raised by 2^16 and
    limb 1 lowered by 1: the circuit's sum is unchanged, but the L1 contract reading 16-bit limbs
    would see another amount."""
    amount = rnd.randrange(1 << 16) | rnd.randint(1, 0xFFFF) << 16 | rnd.randrange(1 << 20) << 32
    amounts = {"public_in": 0, "public_out": 0, "fee": 0, name: amount}
    ins = [amount] if name != "public_in" else []
    outs = [amount] if name == "public_in" else []
    valid = make_case(rnd, ins, outs, **amounts).case
    limbs = u64_limbs(amount)
    limbs[0] += 1 << 16
    limbs[1] -= 1
    return valid, valid.with_public(name, limbs), None


@pytest.mark.parametrize("name", ["public_in", "public_out", "fee"])
@given(rnd=randoms)
def test_public_amount_limb_of_2_16_is_rejected(name, rnd):
    valid, forged, edit = forge_public_amount_limb(rnd, name)
    vs = assert_rejected(valid, forged, edit, kinds={"decompose"})
    assert [(v.row, v.label) for v in vs] == [range_check_of(system().js.public[name][0])]


@given(randoms, st.integers(0, 7), field_elements(1 << 20, P - 1))
def test_public_owner_limb_of_2_20_is_rejected(rnd, k, bad):
    """The L1 address takes part in no other constraint: only its 20-bit range checks bind it."""
    valid = spend_case(rnd).case
    limbs = list(valid.public_inputs()[slice(PI_OFFSETS["public_owner"][0], PI_OFFSETS["public_owner"][0] + 8)])
    limbs[k] = bad
    vs = assert_rejected(valid, valid.with_public("public_owner", limbs), kinds={"decompose"})
    assert [(v.row, v.label) for v in vs] == [range_check_of(system().js.public["public_owner"][k])]


def forge_negative_limb(rnd: random.Random):
    """The classic field-wrap inflation: output 0 carries the limb p - k (that is, -k), output 1
    is k more than it should be; the field sum balances, the integer sum does not."""
    v = random_value(rnd, U64_MAX - (1 << 16))
    valid = make_case(rnd, [v], [0, v]).case
    k = rnd.randint(1, (1 << 16) - 1)
    case = valid.replace(outputs=(valid.outputs[0], dataclasses.replace(valid.outputs[1], value=v + k)))
    forged, edit = with_output_limbs(case, 0, [P - k, 0, 0, 0])
    return valid, forged, edit


@given(randoms)
def test_value_overflow_at_the_field_modulus_is_rejected(rnd):
    vs = assert_rejected(*forge_negative_limb(rnd), kinds={"decompose"})
    assert [(v.row, v.label) for v in vs] == [range_check_of(system().js.outputs[0].value[0])]


def forge_input_worth_p(rnd: random.Random):
    """An input of value p + x against outputs of x: p = 0 in the field, so a value computed as
    one field element would balance."""
    x = rnd.randrange(1 << 40)
    valid = make_case(rnd, [P + x], [x, P]).case
    forged = valid.replace(outputs=(valid.outputs[0], dataclasses.replace(valid.outputs[1], value=0)))
    return valid, forged, None


@given(randoms)
def test_input_worth_p_against_nothing_is_rejected(rnd):
    assert_rejected(*forge_input_worth_p(rnd), kinds={"arithmetic"})


# -- membership: root, stale root, dummies -------------------------------------------------------


def forge_wrong_root(rnd: random.Random, case: JoinSplitCase | None = None):
    case = case or spend_case(rnd).case
    other = random_digest(rnd)
    assert other != tuple(case.root)
    return case, case.with_public("root", list(other)), None


@given(spending_cases, randoms)
def test_wrong_root_is_rejected(case, rnd):
    assert_rejected(*forge_wrong_root(rnd, case), kinds={"arithmetic"})


def forge_stale_root(rnd: random.Random):
    """The path of a real note to an older root of the same tree, the newer root public."""
    v = random_value(rnd)
    made = make_case(rnd, [v], [v])
    old = made.case                                  # valid against the older root
    for _ in range(rnd.randint(1, 5)):
        made.tree.append(random_digest(rnd))
    s0 = old.spends[0]
    fresh = dataclasses.replace(s0, path=tuple(made.tree.path(s0.position)))
    valid = old.replace(root=made.tree.root(), spends=(fresh, old.spends[1]))
    forged = valid.replace(spends=old.spends)        # the old path, the new root
    assert old.root != valid.root and s0.path != fresh.path
    return valid, forged, old


@given(randoms)
def test_stale_root_is_rejected(rnd):
    valid, forged, old = forge_stale_root(rnd)
    assert_rejected(valid, forged, kinds={"arithmetic"})
    assert_valid(old)     # the same old path against its own (older) root is a valid statement


def forge_dummy_loophole(rnd: random.Random, value: int | None = None):
    """A non-zero note that is in no tree, spent with a fake (all-zero) path as if it were a
    dummy.  Values whose limbs make v = 0 mod p (p, 2p) would pass a check on v mod p."""
    made = make_case(rnd, [], [])
    valid = made.case
    value = value if value is not None else random_value(rnd)
    d = valid.spends[0]
    fake = dataclasses.replace(d, note=dataclasses.replace(d.note, value=value))
    forged = valid.replace(spends=(fake, valid.spends[1]),
                           outputs=(dataclasses.replace(valid.outputs[0], value=value), valid.outputs[1]))
    assert forged.balanced()
    return valid, forged, None


def test_zero_value_dummy_with_a_fake_path_is_accepted():
    for seed in range(3):
        valid, _, _ = forge_dummy_loophole(random.Random(seed))
        assert all(s.note.value == 0 and s.path == ((0,) * 8,) * DEPTH for s in valid.spends)
        assert_valid(valid)


@given(randoms, st.sampled_from([1, 1 << 16, 1 << 32, 1 << 48, P, 2 * P, U64_MAX]) | st.integers(1, U64_MAX))
def test_nonzero_input_not_in_the_tree_is_rejected(rnd, value):
    assert_rejected(*forge_dummy_loophole(rnd, value), kinds={"arithmetic"})


# -- ownership and nullifiers --------------------------------------------------------------------


def forge_wrong_key(rnd: random.Random, case: JoinSplitCase | None = None):
    """Key B spends key A's note; the prover publishes the nullifier its witness produces."""
    case = case or spend_case(rnd).case
    thief = keys.SpendingKey(rnd.randbytes(32))
    s0 = dataclasses.replace(case.spends[0], key=thief)
    forged = publish_circuit_nullifiers(case.replace(spends=(s0, case.spends[1])))
    return case, forged, None


@given(spending_cases, randoms)
def test_spending_with_the_wrong_key_is_rejected(case, rnd):
    assert_rejected(*forge_wrong_key(rnd, case), kinds={"arithmetic"})


@given(randoms)
def test_spending_with_the_full_viewing_key_but_another_ask_is_rejected(rnd):
    """nk is the owner's (a leaked full viewing key gives it), ask is not: no preimage of ak."""
    case = spend_case(rnd).case
    ask = keys.SpendingKey(rnd.randbytes(32)).ask
    forged = publish_circuit_nullifiers(case, asks=[ask, case.spends[1].key.ask])
    assert_rejected(case, forged, set_vars(system().js.inputs[0].ask, list(ask)), kinds={"arithmetic"})


@given(spending_cases, randoms)
def test_public_nullifier_that_does_not_match_its_note_is_rejected(case, rnd):
    i = rnd.randrange(2)
    nf = list(case.nullifiers()[i])
    k = rnd.randrange(8)
    nf[k] = (nf[k] + rnd.randrange(1, P)) % P
    assert_rejected(case, case.with_public(f"nf_{i}", nf), kinds={"poseidon2"})


@given(randoms)
def test_nullifier_derived_with_another_nk_is_rejected(rnd):
    """The public nullifier is H(nk' || cm || pos) for some other nk' (a fresh nullifier for an
    already spent note), the witness keeps the owner's nk."""
    case = spend_case(rnd).case
    s0 = case.spends[0]
    nk_other = keys.SpendingKey(rnd.randbytes(32)).nk
    nf = derive_nullifier(nk_other, note_commitment(s0.note), s0.position)
    assert_rejected(case, case.with_public("nf_0", list(nf)), kinds={"poseidon2"})


@given(randoms)
def test_nullifier_key_swapped_consistently_is_rejected(rnd):
    """nk' in the witness and in the public nullifier, consistently; the note's owner was derived
    from the real nk, so the recomputed owner (and commitment) is not the note's."""
    case = spend_case(rnd).case
    nk_other = keys.SpendingKey(rnd.randbytes(32)).nk
    forged = publish_circuit_nullifiers(case, nks=[nk_other, case.spends[1].key.nk])
    assert_rejected(case, forged, set_vars(system().js.inputs[0].nk, list(nk_other)), kinds={"arithmetic"})


@given(randoms)
def test_nullifier_for_another_position_is_rejected(rnd):
    """The same note claimed at another position (a second nullifier for it): the path no longer
    leads to the root."""
    case = spend_case(rnd).case
    s0 = case.spends[0]
    moved = dataclasses.replace(s0, position=s0.position ^ (1 << rnd.randrange(DEPTH)))
    forged = case.replace(spends=(moved, case.spends[1]))   # nullifier recomputed for the new position
    assert_rejected(case, forged, kinds={"arithmetic"})


def forge_same_note_twice(rnd: random.Random):
    """Both inputs are the same note at the same position, the outputs claim twice its value."""
    v = random_value(rnd, U64_MAX // 2)
    made = make_case(rnd, [v], [v])
    valid = made.case
    forged = valid.replace(spends=(valid.spends[0], valid.spends[0]),
                           outputs=(dataclasses.replace(valid.outputs[0], value=2 * v), valid.outputs[1]))
    assert forged.balanced() and forged.nullifiers()[0] == forged.nullifiers()[1]
    return valid, forged, None


@given(randoms)
def test_same_note_twice_in_one_transaction_is_rejected(rnd):
    assert_rejected(*forge_same_note_twice(rnd), kinds={"arithmetic"})


# -- assets ------------------------------------------------------------------------------------


def forge_input_asset(rnd: random.Random):
    """A note of asset b (really in the tree) spent in a transaction of asset a."""
    asset = rnd.randrange(1 << 30)
    other = (asset + rnd.randrange(1, 1 << 30)) % (1 << 30)
    v = random_value(rnd)
    valid = make_case(rnd, [v], [v], asset=asset).case
    made = make_case(rnd, [v], [v], asset=asset, note_asset=other)
    forged = publish_circuit_nullifiers(made.case)
    assert made.case.spends[0].note.asset != forged.asset
    return valid, forged, None


@given(randoms)
def test_input_note_of_another_asset_is_rejected(rnd):
    assert_rejected(*forge_input_asset(rnd), kinds={"arithmetic"})


@given(any_case, randoms)
def test_output_note_of_another_asset_is_rejected(case, rnd):
    """The public commitment (what the recipient is told) is of a note of another asset."""
    j = rnd.randrange(2)
    other = (case.asset + rnd.randrange(1, 1 << 30)) % (1 << 30)
    outs = list(case.outputs)
    outs[j] = dataclasses.replace(outs[j], asset=other)
    assert_rejected(case, case.replace(outputs=tuple(outs)), kinds={"poseidon2"})


# -- public inputs -------------------------------------------------------------------------------


@settings(max_examples=3)
@given(spending_cases)
def test_every_public_input_change_is_rejected_in_check_mode(case):
    w = forced_witness(case)
    trace, public = w.trace(), case.public_inputs()
    count = 0
    for k, changed in tampered_public_inputs(public):
        check_rejects(system().js.circuit, trace, changed, f"(public input {k})")
        count += 1
    assert count == NUM_PUBLIC_INPUTS


def test_fast_and_reference_check_paths_agree_on_forgeries():
    rnd = random.Random("agree")
    for forge in (forge_overspend, forge_negative_limb, forge_same_note_twice, forge_wrong_root):
        _, forged, edit = forge(rnd)
        key = lambda vs: sorted((v.kind, v.row, v.gate, v.label, v.value) for v in vs)
        assert key(violations(forged, edit)) == key(violations(forged, edit, fast=False)) != []


# -- the prover refuses forged witnesses ------------------------------------------------------------

FORGERIES = {
    "overspend": forge_overspend,
    "fee-mis-accounting": forge_fee,
    "sum-wrapping-at-2^64": forge_sum_wrapping_at_2_64,
    "output-worth-2^64+x": forge_output_worth_2_64_plus_x,
    "field-modulus-wrap": forge_negative_limb,
    "wrong-root": forge_wrong_root,
    "stale-root": lambda rnd: forge_stale_root(rnd)[:2] + (None,),
    "wrong-key": forge_wrong_key,
    "same-note-twice": forge_same_note_twice,
    "input-asset-mismatch": forge_input_asset,
    "nonzero-dummy": forge_dummy_loophole,
}


@pytest.mark.prove
@pytest.mark.parametrize("attack", list(FORGERIES))
def test_prover_refuses_the_forged_witness(attack):
    valid, forged, edit = FORGERIES[attack](random.Random(attack))
    assert violations(forged, edit)
    with pytest.raises(ProvingError, match="does not satisfy"):
        prove(system().pk, forced_witness(forged, edit))


# -- real proofs ---------------------------------------------------------------------------------


def prove_case(case: JoinSplitCase, preset=INSECURE_TEST):
    sys_ = system(preset)
    w = generate_witness(sys_.js.circuit, case.assignment(sys_))
    proof, public = prove(sys_.pk, w)
    assert public == case.public_inputs()
    return proof, public


@pytest.mark.prove
@settings(max_examples=8)
@given(joinsplit_cases(SMALL))
def test_valid_cases_prove_and_verify_with_the_small_preset(case):
    """Issue item 5: hypothesis-generated valid cases prove and verify at the small preset (the
    real proof parameters, 100 bits; depth 8)."""
    assert case.depth == SMALL.tree_depth and not SMALL.insecure
    proof, public = prove_case(case, SMALL)
    verify(system(SMALL).vk, public, proof)


@pytest.mark.prove
@pytest.mark.parametrize("seed", [0, 1])
def test_valid_case_proves_and_verifies_with_the_small_preset(seed):
    case = spend_case(random.Random(seed)).case
    proof, public = prove_case(case, SMALL)
    verify(system(SMALL).vk, public, proof)
    verify(system(SMALL).vk, public, proof, fast=False)


@pytest.mark.prove
def test_every_public_input_changed_after_proving_fails_verification():
    case = spend_case(random.Random("flip")).case
    proof, public = prove_case(case)
    verify(system().vk, public, proof)
    failures = 0
    for k, changed in tampered_public_inputs(public):
        with pytest.raises(VerificationError):
            verify(system().vk, changed, proof)
        failures += 1
    assert failures == NUM_PUBLIC_INPUTS


# -- build_transaction: the honest pre-checks ------------------------------------------------------


@dataclass
class Wallet:
    key: keys.SpendingKey
    tree: NoteTree
    spends: list          # Spend of each of the key's notes, current paths
    asset: int

    @property
    def root(self):
        return self.tree.root()


def wallet(seed: int = 0, values=(500, 300), asset: int = 9) -> Wallet:
    rnd = random.Random(seed)
    key = keys.SpendingKey(rnd.randbytes(32))
    tree = NoteTree(DEPTH, keep_nodes=True)
    tree.append(random_digest(rnd))
    placed = []
    for v in values:
        n = Note(asset, v, key.owner, random_digest(rnd))
        placed.append((n, tree.append(note_leaf(note_commitment(n)))))
    return Wallet(key, tree, [Spend(n, pos, tree.path(pos)) for n, pos in placed], asset)


def recipient(seed: int = 1):
    return keys.SpendingKey(random.Random(seed).randbytes(32)).address()


def build(w: Wallet, spends=None, outputs=None, asset=None, **kw):
    """Spend the wallet's notes (800 in all) to 790 for a recipient, fee 10, unless told otherwise."""
    spends = w.spends if spends is None else spends
    outputs = [Output(recipient(), 790)] if outputs is None else outputs
    kw.setdefault("fee", 10)
    asset = w.asset if asset is None else asset
    return build_transaction(system(), w.key, spends, outputs, w.root, asset, **kw)


def test_build_transaction_refuses_an_overspend():
    with pytest.raises(TransactionError, match="inputs 800 .* do not equal outputs 801"):
        build(wallet(), outputs=[Output(recipient(), 791)])


def test_build_transaction_refuses_a_note_of_another_key():
    w = wallet()
    other = wallet(seed=5)
    with pytest.raises(TransactionError, match="does not belong to this spending key"):
        build(w, spends=[w.spends[0], other.spends[0]])


def test_build_transaction_refuses_a_stale_path():
    w = wallet()
    old = w.spends[0]
    w.tree.append((1,) * 8)
    with pytest.raises(TransactionError, match="does not lead to the given root"):
        build(w, spends=[old, Spend(w.spends[1].note, w.spends[1].position, w.tree.path(w.spends[1].position))])


def test_build_transaction_refuses_the_same_note_twice():
    w = wallet()
    with pytest.raises(TransactionError, match="the same note is spent twice"):
        build(w, spends=[w.spends[0], w.spends[0]], outputs=[Output(recipient(), 990)])


def test_build_transaction_refuses_an_asset_mismatch():
    w = wallet()
    with pytest.raises(TransactionError, match="a spent note is of asset 9, the transaction of 10"):
        build(w, asset=10)


@pytest.mark.parametrize("field, value", [
    ("fee", -1), ("fee", 1 << 64), ("public_value_in", -1), ("public_value_in", 1 << 64),
    ("public_value_out", 1 << 64), ("fee", 1.5)])
def test_build_transaction_refuses_amounts_outside_u64(field, value):
    kw = {"fee": 10, "public_owner": 1, field: value}
    with pytest.raises(TransactionError, match=f"{field} must be in \\[0, 2\\^64\\)"):
        build(wallet(), **kw)


@pytest.mark.parametrize("value", [-1, 1 << 64])
def test_build_transaction_refuses_an_output_value_outside_u64(value):
    with pytest.raises(TransactionError, match="output value must be in \\[0, 2\\^64\\)"):
        build(wallet(), outputs=[Output(recipient(), value)])


def test_build_transaction_refuses_a_withdrawal_without_a_public_owner():
    with pytest.raises(TransactionError, match="needs a public owner"):
        build(wallet(), outputs=[Output(recipient(), 690)], public_value_out=100)


def test_build_transaction_refuses_a_boolean_fee_before_proving():
    """True is an int to isinstance; a balanced request with fee=True must still be refused
    before any proving (regression: it used to prove, then fail in Transaction())."""
    with pytest.raises(TransactionError, match="fee must be in \\[0, 2\\^64\\), got True"):
        build(wallet(), outputs=[Output(recipient(), 799)], fee=True)


@pytest.mark.prove
def test_build_transaction_proves_and_verifies_an_honest_transfer():
    w = wallet()
    tx = build(w)
    verify_transaction(system(), tx)


# -- the real preset ----------------------------------------------------------------------------


@pytest.mark.prove
@pytest.mark.slow
def test_a_transfer_at_the_real_preset_proves_and_verifies():
    sys_ = system(REAL)
    rnd = random.Random("real")
    key = keys.SpendingKey(rnd.randbytes(32))
    tree = NoteTree(REAL.tree_depth, keep_nodes=True)
    for _ in range(3):
        tree.append(random_digest(rnd))
    n = Note(4, 10**9, key.owner, random_digest(rnd))
    pos = tree.append(note_leaf(note_commitment(n)))
    tree.append(random_digest(rnd))
    tx = build_transaction(sys_, key, [Spend(n, pos, tree.path(pos))],
                           [Output(recipient(), 6 * 10**8), Output(key.address(), 4 * 10**8 - 25)],
                           tree.root(), 4, fee=25)
    verify_transaction(sys_, tx)
    assert sys_.vk.n == 256 and sys_.js.depth == 32
    forged = dataclasses.replace(tx, fee=26)
    with pytest.raises(VerificationError):
        verify_transaction(sys_, forged)
