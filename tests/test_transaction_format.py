"""Transactions on the wire (SPEC.md sections 20 and 22), with real proofs (preset INSECURE_TEST).

Bytes, version 1 (all integers big-endian):
    "SHTX" u8 1  root nf_0 nf_1 cm_0 cm_1 (32 bytes each)  u64 public_in  u64 public_out  u32 asset
    public_owner (20)  u64 fee  ciphertext_0 (237)  ciphertext_1 (237)  u32 proof_length  proof
Public inputs (69): root[8] nf_0[8] nf_1[8] cm_0[8] cm_1[8] public_in[4] public_out[4] asset[1]
public_owner[8] fee[4] ciphertext_hash[8]; amounts as 16-bit limbs, the L1 address as 20-bit
limbs (little-endian); ciphertext_hash = H(23, (ct_0 || ct_1) packed 3 bytes per element).

Two transactions are built once per module: a deposit with a fee and a transfer that spends the
deposited note, pays another key (with a memo) and withdraws.  Decoding is cheap, so every
truncation goes through ``from_bytes``; every byte of the header and fixed-size fields (including
both ciphertexts and the proof-length word) is changed once and the result must be rejected by
``from_bytes`` or by ``verify_transaction``; the proof itself is changed at a seeded sample of
positions.
"""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circuits.joinsplit import NUM_PUBLIC_INPUTS, PI_OFFSETS
from shielded.errors import EncodingError, VerificationError
from shielded.field.koalabear import P
from shielded.hash.sponge import hash_elements
from shielded.protocol.keys import SpendingKey
from shielded.protocol.note import derive_nullifier, note_commitment, note_leaf
from shielded.protocol.params import INSECURE_TEST
from shielded.protocol.transaction import (Output, Spend, Transaction, build_transaction, joinsplit_system,
                                           scan_incoming, scan_outgoing, verify_transaction)
from shielded.state.note_tree import NoteTree

HEADER = 4 + 1
DIGESTS_END = HEADER + 5 * 32          # 165
FIXED_END = DIGESTS_END + 8 + 8 + 4 + 20 + 8   # 213
CT_END = FIXED_END + 2 * 237           # 687
PROOF_START = CT_END + 4               # 691
PROOF_SAMPLE = 40

ALICE = SpendingKey(bytes(range(32)))
BOB = SpendingKey(bytes(range(1, 33)))
DEPOSIT = (1 << 40) + 0x12345
DEPOSIT_FEE = 70001
L1_ALICE = int.from_bytes(bytes(range(100, 120)), "big")
L1_BOB = (1 << 160) - 1 - 12345


class Built:
    def __init__(self):
        self.system = joinsplit_system(INSECURE_TEST)
        tree = NoteTree(INSECURE_TEST.tree_depth, keep_nodes=True)
        self.deposit = build_transaction(self.system, ALICE, [], [Output(ALICE.address(), DEPOSIT - DEPOSIT_FEE)],
                                         tree.root(), asset=5, fee=DEPOSIT_FEE, public_value_in=DEPOSIT,
                                         public_owner=L1_ALICE)
        for cm in self.deposit.commitments:
            tree.append(note_leaf(cm))
        (i, found), = scan_incoming(ALICE.ivk, ALICE.owner, self.deposit)
        self.deposit_note, self.deposit_pos = found.note, i
        self.pay_value, self.withdraw_value, self.fee = 3 << 20, 77777, 12
        change = DEPOSIT - DEPOSIT_FEE - self.pay_value - self.withdraw_value - self.fee
        self.transfer = build_transaction(
            self.system, ALICE, [Spend(found.note, i, tree.path(i))],
            [Output(BOB.address(), self.pay_value, b"rent for june"), Output(ALICE.address(), change)],
            tree.root(), asset=5, fee=self.fee, public_value_out=self.withdraw_value, public_owner=L1_BOB)
        self.tree_root = tree.root()


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


@pytest.fixture(scope="module", params=["deposit", "transfer"])
def tx(built, request) -> Transaction:
    return getattr(built, request.param)


def reject_or_fail(system, data: bytes) -> str:
    """'encoding' if from_bytes rejects, 'proof' if the transaction decodes but does not verify;
    a successful verification or any other exception fails the test."""
    try:
        t = Transaction.from_bytes(data)
    except EncodingError:
        return "encoding"
    try:
        verify_transaction(system, t)
    except (VerificationError, EncodingError):
        return "proof"
    raise AssertionError("a changed transaction verified")


# -- independent computations from the SPEC text --------------------------------------------

def limbs16(v):
    return [(v >> 16 * i) & 0xFFFF for i in range(4)]


def limbs20(a):
    return [(a >> 20 * i) & 0xFFFFF for i in range(8)]


def spec_ciphertext_hash(cts):
    data = cts[0] + cts[1]
    data += b"\x00" * (-len(data) % 3)
    return tuple(hash_elements(23, [int.from_bytes(data[i:i + 3], "big") for i in range(0, len(data), 3)]))


def spec_public_inputs(t: Transaction):
    return (list(t.root) + list(t.nullifiers[0]) + list(t.nullifiers[1]) + list(t.commitments[0])
            + list(t.commitments[1]) + limbs16(t.public_value_in) + limbs16(t.public_value_out) + [t.asset]
            + limbs20(t.public_owner) + limbs16(t.fee) + list(spec_ciphertext_hash(t.ciphertexts)))


def words(d):
    return b"".join(int(x).to_bytes(4, "big") for x in d)


def spec_bytes(t: Transaction) -> bytes:
    return (b"SHTX" + b"\x01" + words(t.root) + words(t.nullifiers[0]) + words(t.nullifiers[1])
            + words(t.commitments[0]) + words(t.commitments[1]) + t.public_value_in.to_bytes(8, "big")
            + t.public_value_out.to_bytes(8, "big") + t.asset.to_bytes(4, "big") + t.public_owner.to_bytes(20, "big")
            + t.fee.to_bytes(8, "big") + t.ciphertexts[0] + t.ciphertexts[1] + len(t.proof).to_bytes(4, "big")
            + t.proof)


# -- the built transactions ------------------------------------------------------------------

@pytest.mark.prove
def test_built_transactions_verify_and_carry_their_values(built):
    for t in (built.deposit, built.transfer):
        verify_transaction(built.system, t)
    d, t = built.deposit, built.transfer
    assert (d.public_value_in, d.public_value_out, d.fee, d.public_owner, d.asset) == (DEPOSIT, 0, DEPOSIT_FEE,
                                                                                       L1_ALICE, 5)
    assert (t.public_value_in, t.public_value_out, t.fee, t.public_owner) == (0, built.withdraw_value, built.fee,
                                                                              L1_BOB)
    assert t.root == built.tree_root
    cm = note_commitment(built.deposit_note)
    assert derive_nullifier(ALICE.nk, cm, built.deposit_pos) in t.nullifiers
    (_, to_bob), = scan_incoming(BOB.ivk, BOB.owner, t)
    assert to_bob.note.value == built.pay_value and to_bob.memo == b"rent for june"
    sent = {d.note.value for _, d in scan_outgoing(ALICE.ovk, t)}
    assert built.pay_value in sent


@pytest.mark.prove
def test_bytes_round_trip(tx):
    data = tx.to_bytes()
    assert data == spec_bytes(tx)
    assert len(data) == PROOF_START + len(tx.proof)
    back = Transaction.from_bytes(data)
    assert back == tx and back.to_bytes() == data
    assert Transaction.from_bytes(bytearray(data)) == tx


@pytest.mark.prove
def test_json_round_trip(tx):
    text = tx.to_json()
    obj = json.loads(text)
    assert obj["version"] == 1 and obj["asset"] == tx.asset
    assert obj["public_value_in"] == str(tx.public_value_in) and obj["fee"] == str(tx.fee)
    assert obj["root"] == "0x" + words(tx.root).hex()
    assert obj["public_owner"] == "0x" + tx.public_owner.to_bytes(20, "big").hex()
    assert obj["ciphertexts"][1] == "0x" + tx.ciphertexts[1].hex()
    assert obj["proof"] == "0x" + tx.proof.hex()
    back = Transaction.from_json(text)
    assert back == tx and back.to_json() == text


@pytest.mark.prove
def test_public_inputs_layout(built, tx):
    pub = tx.public_inputs()
    assert len(pub) == NUM_PUBLIC_INPUTS == 69
    assert pub == spec_public_inputs(tx)
    assert tuple(tx.ciphertext_hash()) == spec_ciphertext_hash(tx.ciphertexts)
    # the named slices
    spec_order = [("root", 8), ("nf_0", 8), ("nf_1", 8), ("cm_0", 8), ("cm_1", 8), ("public_in", 4),
                  ("public_out", 4), ("asset", 1), ("public_owner", 8), ("fee", 4), ("ciphertext_hash", 8)]
    offset = 0
    for name, length in spec_order:
        assert PI_OFFSETS[name] == (offset, length), name
        offset += length
    assert offset == 69

    def part(name):
        s, n = PI_OFFSETS[name]
        return pub[s:s + n]
    assert part("root") == list(tx.root)
    assert part("nf_1") == list(tx.nullifiers[1]) and part("cm_0") == list(tx.commitments[0])
    assert sum(x << 16 * i for i, x in enumerate(part("public_in"))) == tx.public_value_in
    assert sum(x << 16 * i for i, x in enumerate(part("public_out"))) == tx.public_value_out
    assert sum(x << 16 * i for i, x in enumerate(part("fee"))) == tx.fee
    assert sum(x << 20 * i for i, x in enumerate(part("public_owner"))) == tx.public_owner
    assert all(0 <= x < 1 << 20 for x in part("public_owner"))
    assert part("asset") == [tx.asset]
    assert all(0 <= x < P for x in pub)


def test_public_input_limbs_of_edge_values():
    t = Transaction((0,) * 8, ((1,) * 8, (2,) * 8), ((3,) * 8, (4,) * 8), (1 << 64) - 1, 0x0001000200030004,
                    (1 << 30) - 1, (1 << 160) - 1, 0x10000, (bytes(237), b"\xff" * 237), b"")
    pub = t.public_inputs()
    assert pub == spec_public_inputs(t)
    assert pub[40:44] == [0xFFFF] * 4
    assert pub[44:48] == [4, 3, 2, 1]
    assert pub[48] == (1 << 30) - 1
    assert pub[49:57] == [0xFFFFF] * 8
    assert pub[57:61] == [0, 1, 0, 0]


# -- malformed bytes ------------------------------------------------------------------------

@pytest.mark.prove
def test_every_truncation_rejected(built):
    data = built.deposit.to_bytes()
    for n in range(len(data)):
        with pytest.raises(EncodingError):
            Transaction.from_bytes(data[:n])


@pytest.mark.prove
@pytest.mark.parametrize("extra", [b"\x00", b"\x01" * 5, b"SHTX"])
def test_trailing_bytes_rejected(built, extra):
    with pytest.raises(EncodingError, match="trailing"):
        Transaction.from_bytes(built.deposit.to_bytes() + extra)


def byte_delta(i: int) -> int:
    """The change applied at offset i: 0x80 on the top byte of every other digest word (a word >= 2^31,
    non-canonical), 0x40 on the top byte of the asset (>= 2^30), else 0x01 (the field still decodes)."""
    if HEADER <= i < DIGESTS_END and (i - HEADER) % 8 == 0:
        return 0x80
    if i == ASSET_AT:
        return 0x40
    return 0x01


ASSET_AT = DIGESTS_END + 16


@pytest.mark.prove
def test_every_header_and_fixed_field_byte_change_rejected(built):
    """Each of the 691 bytes before the proof, changed once: rejected by decoding or by the proof,
    never accepted and never another exception."""
    data = built.transfer.to_bytes()
    outcomes = {}
    for i in range(PROOF_START):
        bad = data[:i] + bytes([data[i] ^ byte_delta(i)]) + data[i + 1:]
        outcomes[i] = reject_or_fail(built.system, bad)
    # magic, version, non-canonical digest words, an asset >= 2^30 and a wrong proof length are
    # decoding errors
    encoding = set(range(HEADER)) | set(range(HEADER, DIGESTS_END, 8)) | {ASSET_AT} | set(range(CT_END, PROOF_START))
    assert all(outcomes[i] == "encoding" for i in encoding)
    # amounts, the rest of the asset, the L1 owner, the fee and both ciphertexts still decode: the
    # proof catches them (through the public inputs and the ciphertext hash)
    assert all(outcomes[i] == "proof" for i in set(range(DIGESTS_END, CT_END)) - {ASSET_AT})
    # canonical changes of root, nullifiers and commitments reach the verifier too
    assert sum(outcomes[i] == "proof" for i in range(HEADER, DIGESTS_END)) > 100


@pytest.mark.prove
def test_proof_byte_changes_rejected(built):
    data = built.deposit.to_bytes()
    rnd = random.Random(1234)
    end = len(data)
    positions = list(range(PROOF_START, PROOF_START + 8)) + [end - 1, end - 2] + \
        rnd.sample(range(PROOF_START + 8, end - 2), PROOF_SAMPLE)
    for i in positions:
        bad = data[:i] + bytes([data[i] ^ (1 << rnd.randrange(8))]) + data[i + 1:]
        reject_or_fail(built.system, bad)


@pytest.mark.prove
def test_proof_length_field(built):
    data = built.deposit.to_bytes()
    n = len(built.deposit.proof)
    for length in (0, n - 1, n + 1, (1 << 20) + 1, (1 << 32) - 1):
        bad = data[:CT_END] + length.to_bytes(4, "big") + data[PROOF_START:]
        with pytest.raises(EncodingError):
            Transaction.from_bytes(bad)
    with pytest.raises(EncodingError, match="exceeds"):
        Transaction.from_bytes(data[:CT_END] + ((1 << 20) + 1).to_bytes(4, "big"))
    # an empty proof decodes and fails verification
    empty = Transaction.from_bytes(data[:CT_END] + bytes(4))
    assert empty.proof == b""
    with pytest.raises((EncodingError, VerificationError)):
        verify_transaction(built.system, empty)


@pytest.mark.prove
@pytest.mark.parametrize("offset, value, what", [
    (0, b"SHTY", "magic"), (4, b"\x02", "version"), (4, b"\x00", "version"),
    (HEADER, b"\x7f\x00\x00\x01", "not a field element"),
    (DIGESTS_END - 4, b"\xff\xff\xff\xff", "not a field element"),
    (DIGESTS_END + 16, (1 << 30).to_bytes(4, "big"), "asset"),
])
def test_specific_fields_rejected(built, offset, value, what):
    data = built.deposit.to_bytes()
    bad = data[:offset] + value + data[offset + len(value):]
    with pytest.raises(EncodingError, match=what):
        Transaction.from_bytes(bad)


@given(st.binary(max_size=2000))
def test_garbage_bytes_rejected(data):
    with pytest.raises(EncodingError):
        Transaction.from_bytes(data)


@given(st.binary(max_size=1200))
def test_garbage_after_magic_rejected(data):
    with pytest.raises(EncodingError):
        Transaction.from_bytes(b"SHTX\x01" + data)


@pytest.mark.parametrize("obj", [None, "SHTX", 5, [b"SHTX"]], ids=["None", "str", "int", "list"])
def test_from_bytes_non_bytes(obj):
    with pytest.raises(EncodingError):
        Transaction.from_bytes(obj)


# -- malformed JSON -------------------------------------------------------------------------

FIELDS = ["version", "root", "nullifiers", "commitments", "public_value_in", "public_value_out", "asset",
          "public_owner", "fee", "ciphertexts", "proof"]


def json_cases(built):
    base = json.loads(built.deposit.to_json())

    def w(**kw):
        return json.dumps(dict(base, **kw))

    def without(k):
        return json.dumps({x: v for x, v in base.items() if x != k})

    root_hex = base["root"]
    cases = {f"missing-{k}": without(k) for k in FIELDS}
    cases.update({
        "extra-field": w(extra=1),
        "version-2": w(version=2), "version-0": w(version=0), "version-str": w(version="1"),
        "version-null": w(version=None),
        "root-no-0x": w(root=root_hex[2:]), "root-0X": w(root="0X" + root_hex[2:]),
        "root-bad-hex": w(root="0x" + "zz" * 32), "root-odd-hex": w(root=root_hex + "0"),
        "root-31-bytes": w(root=root_hex[:-2]), "root-33-bytes": w(root=root_hex + "00"),
        "root-number": w(root=5), "root-non-canonical": w(root="0x7f000001" + root_hex[10:]),
        "nullifiers-one": w(nullifiers=base["nullifiers"][:1]),
        "nullifiers-three": w(nullifiers=base["nullifiers"] + base["nullifiers"][:1]),
        "nullifiers-str": w(nullifiers=base["nullifiers"][0]),
        "commitments-short": w(commitments=[base["commitments"][0][:-2], base["commitments"][1]]),
        "amount-number": w(public_value_in=int(base["public_value_in"])),
        "amount-negative": w(public_value_in="-5"), "amount-plus": w(fee="+5"), "amount-space": w(fee=" 5"),
        "amount-float": w(fee="1.5"), "amount-exp": w(fee="1e3"), "amount-empty": w(fee=""),
        "amount-hex": w(fee="0x10"), "amount-2^64": w(fee=str(1 << 64)), "amount-21-digits": w(fee="1" * 21),
        "amount-null": w(public_value_out=None),
        "asset-str": w(asset="5"), "asset-bool": w(asset=True), "asset-2^30": w(asset=1 << 30),
        "asset-negative": w(asset=-1), "asset-float": w(asset=5.0),
        "owner-21-bytes": w(public_owner=base["public_owner"] + "00"),
        "owner-19-bytes": w(public_owner=base["public_owner"][:-2]),
        "owner-number": w(public_owner=5),
        "ciphertext-236": w(ciphertexts=[base["ciphertexts"][0][:-2], base["ciphertexts"][1]]),
        "ciphertexts-one": w(ciphertexts=base["ciphertexts"][:1]),
        "proof-bad-hex": w(proof="0x0g"), "proof-no-0x": w(proof=base["proof"][2:]),
        "not-object-list": json.dumps([base]), "not-object-str": json.dumps("tx"), "not-object-num": "5",
        "invalid-json": built.deposit.to_json()[:-1], "empty": "", "nan": "NaN",
    })
    return cases


@pytest.mark.prove
def test_malformed_json_rejected(built):
    cases = json_cases(built)
    assert len(cases) > 50
    for name, text in cases.items():
        with pytest.raises(EncodingError):
            Transaction.from_json(text)
            pytest.fail(f"accepted: {name}")


@pytest.mark.prove
def test_json_superscript_digit_amount_rejected(built):
    obj = json.loads(built.deposit.to_json())
    obj["fee"] = "\u00b2"
    with pytest.raises(EncodingError):
        Transaction.from_json(json.dumps(obj))


@pytest.mark.prove
def test_json_non_ascii_digits_rejected(built):
    obj = json.loads(built.deposit.to_json())
    obj["fee"] = "\u0661\u0662"
    with pytest.raises(EncodingError):
        Transaction.from_json(json.dumps(obj))


@pytest.mark.parametrize("text", ["[" * 100_000, "{\"a\":" * 50_000, b"[" * 100_000, "[[[[[[[[[]]]]]]]]]"])
def test_json_deep_nesting_rejected(text):
    """Refused before parsing, whatever the recursion limit (py-evm, imported by the L1 tests in
    the same process, raises it; the C JSON decoder then overflowed the stack: a segfault)."""
    import sys
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)
    try:
        with pytest.raises(EncodingError, match="nested"):
            Transaction.from_json(text)
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.prove
@pytest.mark.parametrize("version", [True, 1.0])
def test_json_version_must_be_the_integer_1(built, version):
    obj = json.loads(built.deposit.to_json())
    obj["version"] = version
    with pytest.raises(EncodingError):
        Transaction.from_json(json.dumps(obj))


@pytest.mark.prove
def test_json_hex_with_whitespace_rejected(built):
    obj = json.loads(built.deposit.to_json())
    obj["root"] = obj["root"][:10] + " " + obj["root"][10:]
    with pytest.raises(EncodingError):
        Transaction.from_json(json.dumps(obj))


@given(st.text(max_size=300))
def test_garbage_json_text_rejected(text):
    with pytest.raises(EncodingError):
        Transaction.from_json(text)


@given(st.dictionaries(st.sampled_from(FIELDS), st.one_of(st.none(), st.integers(), st.text(max_size=10),
                                                         st.lists(st.text(max_size=4), max_size=3)), max_size=11))
def test_garbage_json_objects_rejected(obj):
    with pytest.raises(EncodingError):
        Transaction.from_json(json.dumps(obj))


# -- constructor ----------------------------------------------------------------------------

def a_transaction() -> Transaction:
    return Transaction((0,) * 8, ((1,) * 8, (2,) * 8), ((3,) * 8, (4,) * 8), 1, 2, 3, 4, 5,
                       (bytes(237), bytes(237)), b"proof")


@pytest.mark.parametrize("field, value, what", [
    ("root", (0,) * 7, "root"), ("root", (P,) + (0,) * 7, "root"), ("root", (-1,) + (0,) * 7, "root"),
    ("nullifiers", ((1,) * 8,), "exactly 2"), ("nullifiers", ((1,) * 8,) * 3, "exactly 2"),
    ("nullifiers", ((1,) * 8, (P,) * 8), "nullifier"), ("commitments", ((3,) * 8, (3,) * 9), "commitment"),
    ("ciphertexts", (bytes(237),), "exactly 2"), ("ciphertexts", (bytes(237), bytes(236)), "237"),
    ("ciphertexts", (bytes(237), "x" * 237), "237"),
    ("public_value_in", -1, "public_value_in"), ("public_value_in", 1 << 64, "public_value_in"),
    ("public_value_out", True, "public_value_out"), ("public_value_out", 1.0, "public_value_out"),
    ("fee", 1 << 64, "fee"), ("fee", "5", "fee"),
    ("asset", 1 << 30, "asset"), ("asset", -1, "asset"), ("asset", "3", "asset"),
    ("public_owner", 1 << 160, "public_owner"), ("public_owner", -1, "public_owner"),
    ("public_owner", "0x01", "public_owner"),
])
def test_constructor_validation(field, value, what):
    with pytest.raises(EncodingError, match=what):
        dataclasses.replace(a_transaction(), **{field: value})


def test_constructor_accepts_boundaries():
    t = dataclasses.replace(a_transaction(), public_value_in=(1 << 64) - 1, fee=(1 << 64) - 1,
                            asset=(1 << 30) - 1, public_owner=(1 << 160) - 1, root=(P - 1,) * 8)
    assert Transaction.from_bytes(t.to_bytes()) == t
    assert Transaction.from_json(t.to_json()) == t


@pytest.mark.parametrize("field", ["asset", "public_owner"])
def test_constructor_rejects_bool(field):
    with pytest.raises(EncodingError):
        dataclasses.replace(a_transaction(), **{field: True})
