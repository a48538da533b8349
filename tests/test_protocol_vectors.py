"""Protocol reference vectors (tests/vectors/protocol_vectors.json; format in tests/vectors/README.md)
and the golden transaction (tests/vectors/tx_golden_real.bin).

Every vector is recomputed here from its inputs in the file with the protocol functions and
compared with every stored output: key derivations and addresses (SPEC section 16-17), note
commitments, leaves and nullifiers (18), the note tree (19), note encryption with every
intermediate value (21), and one transaction's byte and JSON encodings, ciphertext hash and
public inputs (20, 22).  The generator must also reproduce the file byte for byte.

The golden transaction carries a real proof at the real preset; it must keep verifying with
every later build (regenerating it is a format change).  No test here proves anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from circuits.gadgets.arith import u64_limbs
from shielded.errors import EncodingError, VerificationError
from shielded.protocol.address import Address
from shielded.protocol.encoding import bytes_to_elements, digest_to_bytes
from shielded.protocol.encryption import (decode_plaintext, encode_plaintext, encrypt_note, try_decrypt_incoming,
                                          try_recover_outgoing)
from shielded.protocol.keys import SpendingKey, derive_ak, hkdf, x25519_public
from shielded.protocol.note import Note, derive_nullifier, note_commitment, note_leaf
from shielded.protocol.params import preset
from shielded.protocol.transaction import (Transaction, ciphertext_hash, joinsplit_system, scan_incoming,
                                           scan_outgoing, verify_transaction)
from shielded.state.note_tree import NoteTree

VECTORS_DIR = Path(__file__).resolve().parent / "vectors"
V = json.loads((VECTORS_DIR / "protocol_vectors.json").read_text())
GOLDEN = V["golden_transaction"]


def key(i: int) -> SpendingKey:
    return SpendingKey(bytes.fromhex(V["keys"][i]["sk"]))


def note(i: int) -> Note:
    n = V["notes"][i]
    return Note(n["asset"], int(n["value"]), key(n["key"]).owner, tuple(n["rcm"]))


def test_the_file_is_what_the_generator_writes():
    from tools.gen_protocol_vectors import build_vectors, render
    assert (VECTORS_DIR / "protocol_vectors.json").read_text() == render(build_vectors())
    assert V["format"] == "shielded protocol vectors" and V["version"] == 1


# -- keys and addresses ----------------------------------------------------------------------------

@pytest.mark.parametrize("i", range(len(V["keys"])))
def test_key_vectors(i):
    v = V["keys"][i]
    sk = bytes.fromhex(v["sk"])
    k = SpendingKey(sk)
    assert bytes_to_elements(sk) == v["sk_elements"]
    assert len(v["sk_elements"]) == 11
    assert v["sk_elements"][-1] == sk[30] * 2**16 + sk[31] * 2**8      # the last element is padded on the right
    assert list(k.ask) == v["ask"] and list(k.nk) == v["nk"]
    assert list(derive_ak(k.ask)) == v["ak"] and list(k.owner) == v["owner"]
    assert k.ivk.hex() == v["ivk"] and k.ovk.hex() == v["ovk"]
    assert hkdf(sk, b"shielded/ivk").hex() == v["ivk"]               # salt none, 32 bytes
    assert x25519_public(k.ivk).hex() == v["pk_enc"]
    addr = k.address()
    assert addr.to_bytes().hex() == v["address_bytes"] == digest_to_bytes(v["owner"]).hex() + v["pk_enc"]
    assert addr.encode() == v["address"]
    assert Address.decode(v["address"]) == addr == Address.from_bytes(bytes.fromhex(v["address_bytes"]))


def test_keys_are_distinct():
    for field in ("owner", "pk_enc", "address"):
        values = [json.dumps(v[field]) for v in V["keys"]]
        assert len(set(values)) == len(values), field


# -- notes, nullifiers, tree ----------------------------------------------------------------------

@pytest.mark.parametrize("i", range(len(V["notes"])))
def test_note_vectors(i):
    v = V["notes"][i]
    n = note(i)
    assert u64_limbs(n.value) == v["value_limbs"]
    cm = note_commitment(n)
    assert list(cm) == v["cm"] and digest_to_bytes(cm).hex() == v["cm_bytes"]
    assert list(note_leaf(cm)) == v["leaf"]
    assert v["nullifiers"], "each note carries nullifier vectors"
    for entry in v["nullifiers"]:
        assert list(derive_nullifier(key(v["key"]).nk, cm, entry["position"])) == entry["nf"], entry["position"]
    nfs = [json.dumps(e["nf"]) for e in v["nullifiers"]]
    assert len(set(nfs)) == len(nfs)                 # position binding: every position its own nf


def test_tree_vector():
    t = V["tree"]
    tree = NoteTree(t["depth"], keep_nodes=True)
    for i in t["leaf_notes"]:
        tree.append(note_leaf(note_commitment(note(i))))
    assert list(tree.root()) == t["root"]
    for p in t["paths"]:
        assert [list(s) for s in tree.path(p["position"])] == p["siblings"]


# -- note encryption -----------------------------------------------------------------------------

@pytest.mark.parametrize("j", range(len(V["encryptions"])))
def test_encryption_vectors(j):
    v = V["encryptions"][j]
    n = note(v["note"])
    recipient, sender = key(v["recipient_key"]), key(v["sender_key"])
    memo, esk = bytes.fromhex(v["memo"]), bytes.fromhex(v["esk"])
    ct = encrypt_note(n, recipient.address(), sender.ovk, memo, esk=esk)
    assert ct.hex() == v["ciphertext"] and len(ct) == 237
    epk = bytes.fromhex(v["epk"])
    assert x25519_public(esk) == epk == ct[:32]
    pk_enc = recipient.address().pk_enc
    shared = X25519PrivateKey.from_private_bytes(esk).exchange(X25519PublicKey.from_public_bytes(pk_enc))
    assert shared.hex() == v["shared_secret"]
    assert hkdf(shared, b"shielded/note", salt=epk + pk_enc).hex() == v["k_enc"]
    assert hkdf(sender.ovk, b"shielded/outgoing", salt=digest_to_bytes(note_commitment(n)) + epk).hex() == v["ock"]
    pt = bytes.fromhex(v["plaintext"])
    assert encode_plaintext(n, memo) == pt and len(pt) == 77
    assert decode_plaintext(pt, n.owner) == (n, memo)
    cm = note_commitment(n)
    got = try_decrypt_incoming(recipient.ivk, recipient.owner, cm, ct)
    assert (got.note, got.memo, got.recipient) == (n, memo, recipient.address())
    back = try_recover_outgoing(sender.ovk, cm, ct)
    assert (back.note, back.memo, back.recipient) == (n, memo, recipient.address())


# -- the transaction ------------------------------------------------------------------------------

def vector_transaction() -> Transaction:
    v = V["transaction"]
    nullifiers = tuple(derive_nullifier(key(V["notes"][s["note"]]["key"]).nk, note_commitment(note(s["note"])),
                                        s["position"]) for s in v["spends"])
    commitments = tuple(note_commitment(note(o["note"])) for o in v["outputs"])
    ciphertexts = tuple(bytes.fromhex(V["encryptions"][o["encryption"]]["ciphertext"]) for o in v["outputs"])
    for o in v["outputs"]:
        assert V["encryptions"][o["encryption"]]["note"] == o["note"]
    return Transaction(tuple(V["tree"]["root"]), nullifiers, commitments, int(v["public_value_in"]),
                       int(v["public_value_out"]), v["asset"], int(v["public_owner"], 16), int(v["fee"]),
                       ciphertexts, bytes.fromhex(v["proof"]))


def test_transaction_vector_fields():
    v = V["transaction"]
    tx = vector_transaction()
    assert [list(d) for d in tx.nullifiers] == v["nullifiers"]
    assert [list(d) for d in tx.commitments] == v["commitments"]
    assert list(tx.root) == v["root"] == V["tree"]["root"]
    assert list(ciphertext_hash(tx.ciphertexts)) == v["ciphertext_hash"]
    assert tx.public_inputs() == v["public_inputs"] and len(v["public_inputs"]) == 69
    # the amounts balance, as a provable transaction's would
    ins = sum(note(s["note"]).value for s in v["spends"]) + tx.public_value_in
    outs = sum(note(o["note"]).value for o in v["outputs"]) + tx.public_value_out + tx.fee
    assert ins == outs


def test_transaction_vector_encodings():
    v = V["transaction"]
    tx = vector_transaction()
    data = bytes.fromhex(v["bytes"])
    assert tx.to_bytes() == data and len(data) == 691 + len(tx.proof)
    assert data[:5] == b"SHTX" + bytes([v["tx_version"]])
    assert tx.to_json() == v["json"]
    assert Transaction.from_bytes(data) == tx == Transaction.from_json(v["json"])
    obj = json.loads(v["json"])
    assert sorted(obj) == sorted(["version", "root", "nullifiers", "commitments", "public_value_in",
                                  "public_value_out", "asset", "public_owner", "fee", "ciphertexts", "proof"])
    assert obj["public_owner"] == v["public_owner"] and obj["proof"] == "0x" + v["proof"]


def test_transaction_vector_outputs_decrypt_for_their_owners():
    tx = vector_transaction()
    for i, o in enumerate(V["transaction"]["outputs"]):
        owner = key(V["notes"][o["note"]]["key"])
        found = dict(scan_incoming(owner.ivk, owner.owner, tx))
        assert found[i].note == note(o["note"])


# -- the golden transaction -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def golden():
    path = VECTORS_DIR / GOLDEN["file"]
    assert path.is_file(), f"missing golden transaction {path} (regenerating it is a format change; see README)"
    system = joinsplit_system(preset(GOLDEN["preset"]))
    return system, path.read_bytes()


def test_golden_transaction_verifies(golden):
    system, data = golden
    tx = Transaction.from_bytes(data)
    assert tx.to_bytes() == data
    verify_transaction(system, tx)
    assert system.preset.name == "real" and system.preset.tree_depth == 32 and not system.preset.insecure


def test_golden_transaction_carries_its_documented_values(golden):
    system, data = golden
    tx = Transaction.from_bytes(data)
    g = GOLDEN
    assert (tx.public_value_in, tx.public_value_out, tx.fee, tx.public_owner, tx.asset) == \
        (int(g["public_value_in"]), int(g["public_value_out"]), int(g["fee"]), int(g["public_owner"], 16),
         g["spent_note"]["asset"])
    # the root is the documented tree's, and the spent note's nullifier is one of the two
    s = g["spent_note"]
    tree = NoteTree(system.preset.tree_depth)
    for leaf in g["tree_leaves_before"]:
        tree.append(tuple(leaf))
    spent = Note(s["asset"], int(s["value"]), key(s["key"]).owner, tuple(s["rcm"]))
    assert tree.append(note_leaf(note_commitment(spent))) == s["position"]
    assert tx.root == tree.root()
    assert derive_nullifier(key(s["key"]).nk, note_commitment(spent), s["position"]) in tx.nullifiers
    # the payment and the change decrypt for their owners; the sender recovers both
    for role in ("payment", "change"):
        r = g[role]
        (_, d), = scan_incoming(key(r["key"]).ivk, key(r["key"]).owner, tx)
        assert (d.note.value, d.memo) == (int(r["value"]), bytes.fromhex(r["memo"]))
    sent = sorted(d.note.value for _, d in scan_outgoing(key(s["key"]).ovk, tx))
    assert sent == sorted([int(g["payment"]["value"]), int(g["change"]["value"])])


@pytest.mark.parametrize("where", ["root", "fee", "ciphertext", "proof"])
def test_golden_transaction_fails_when_changed(golden, where):
    system, data = golden
    at = {"root": 5, "fee": 206, "ciphertext": 400, "proof": len(data) // 2}[where]
    bad = bytearray(data)
    bad[at] ^= 0x01
    with pytest.raises((EncodingError, VerificationError)):
        verify_transaction(system, Transaction.from_bytes(bytes(bad)))


def test_golden_transaction_does_not_verify_under_another_preset(golden):
    _, data = golden
    with pytest.raises((EncodingError, VerificationError)):
        verify_transaction(joinsplit_system(preset("small")), Transaction.from_bytes(data))
