"""Generator of the protocol reference vectors (format: tests/vectors/README.md, "Protocol vectors").

    python -m tools.gen_protocol_vectors [--out DIR] [--check] [--golden-tx]

Writes DIR/protocol_vectors.json (default tests/vectors): key derivations from fixed spending
keys, addresses, note commitments and tree leaves, nullifiers at given positions, a small note
tree, note encryptions with fixed ephemeral keys (every intermediate value), and one transaction
built from those parts with a fixed placeholder proof (its byte and JSON encodings, its ciphertext
hash and its 69 public inputs).  Everything is a function of the constants below, so running it
twice writes the same bytes; --check recomputes in memory and exits 1 if the stored file differs.

--golden-tx writes DIR/tx_golden_real.bin: a full transaction with a real proof at the real
preset (tree depth 32), built from GOLDEN in protocol_vectors.json.  Proving is randomised
(dummy input, output rcm, ephemeral keys, output order, zero-knowledge masks), so that file is
not reproducible; it is a golden file that must keep verifying with every later build.  The
generator refuses to overwrite it: replacing it is a format change (see the README).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from circuits.gadgets.arith import u64_limbs
from shielded.field.koalabear import P
from shielded.protocol.encoding import bytes_to_elements, digest_to_bytes
from shielded.protocol.encryption import encode_plaintext, encrypt_note
from shielded.protocol.keys import SpendingKey, derive_ak, hkdf
from shielded.protocol.note import Note, derive_nullifier, note_commitment, note_leaf
from shielded.protocol.transaction import Transaction, TX_VERSION, ciphertext_hash
from shielded.state.note_tree import NoteTree

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors"
VECTORS_FILE = "protocol_vectors.json"
GOLDEN_TX_FILE = "tx_golden_real.bin"
FORMAT = "shielded protocol vectors"
VERSION = 1

KEYS = [bytes(range(32)), bytes(range(32, 64)), b"\xff" * 32, bytes(32)]

# (key index, asset, value, rcm)
NOTES = [
    (0, 0, 1000, tuple(range(1, 9))),                              # spent by the transaction
    (1, (1 << 30) - 1, (1 << 64) - 1, (P - 1,) * 8),               # every field at its maximum
    (2, 7, 0, (0,) * 8),                                           # value 0, rcm 0
    (0, 5, 1 << 16, tuple(P - i for i in range(1, 9))),            # a 16-bit limb boundary
    (3, 0, 0, tuple(range(9, 17))),                                # the transaction's dummy input
    (1, 0, 600, tuple(range(17, 25))),                             # the transaction's payment
    (0, 0, 300, tuple(range(25, 33))),                             # the transaction's change
]
POSITIONS = [0, 1, 200, 0xFFFF, 0x10000, (1 << 32) - 1]

TREE_DEPTH = 8
TREE_LEAF_NOTES = [0, 3]                                           # note 0 at position 0, note 3 at 1

# (note index, sender key index whose ovk is used, memo, esk)
ENCRYPTIONS = [
    (0, 1, b"lunch", bytes(range(100, 132))),
    (1, 0, b"", bytes(range(132, 164))),
    (3, 2, b"ab\x00\x00", bytes(range(164, 196))),                 # trailing zero bytes are kept
    (2, 3, b"\xff" * 31, bytes(range(196, 228))),                  # the longest memo
    (5, 0, b"thanks", bytes([7]) * 32),                            # the transaction's output 0
    (6, 0, b"", bytes([8]) * 32),                                  # the transaction's output 1
]

TRANSACTION = {
    "spends": [{"note": 0, "position": 0}, {"note": 4, "position": 200}],
    "outputs": [{"note": 5, "encryption": 4}, {"note": 6, "encryption": 5}],
    "asset": 0, "public_value_in": 0, "public_value_out": 90, "fee": 10,
    "public_owner": 0x00112233445566778899AABBCCDDEEFF00112233,
    "proof": bytes(range(16)),                                     # a placeholder, not a proof
}

# The golden transaction at the real preset: key 0 spends a note of 10^9 at position 3 of a
# depth-32 tree after three fixed leaves, pays key 1 with a memo, withdraws and pays a fee.
GOLDEN = {
    "file": GOLDEN_TX_FILE, "preset": "real",
    "tree_leaves_before": [[i + 1] * 8 for i in range(3)],
    "spent_note": {"key": 0, "asset": 0, "value": str(10**9), "rcm": list(range(41, 49)), "position": 3},
    "payment": {"key": 1, "value": str(6 * 10**8), "memo": b"golden".hex()},
    "change": {"key": 0, "value": str(10**9 - 6 * 10**8 - 100_000 - 25), "memo": ""},
    "public_value_in": "0", "public_value_out": str(100_000), "fee": "25",
    "public_owner": "0x" + (0xFEED0000000000000000000000000000000000FF).to_bytes(20, "big").hex(),
}


def _digest(d) -> list[int]:
    return [int(x) for x in d]


def key_vector(sk: bytes) -> dict:
    key = SpendingKey(sk)
    fvk = key.full_viewing_key()
    addr = key.address()
    return {"sk": sk.hex(), "sk_elements": bytes_to_elements(sk), "ask": _digest(key.ask), "nk": _digest(key.nk),
            "ak": _digest(derive_ak(key.ask)), "owner": _digest(fvk.owner), "ivk": fvk.ivk.hex(),
            "ovk": fvk.ovk.hex(), "pk_enc": addr.pk_enc.hex(), "address_bytes": addr.to_bytes().hex(),
            "address": addr.encode()}


def make_note(i: int) -> Note:
    k, asset, value, rcm = NOTES[i]
    return Note(asset, value, SpendingKey(KEYS[k]).owner, rcm)


def note_vector(i: int) -> dict:
    k, asset, value, rcm = NOTES[i]
    note, key = make_note(i), SpendingKey(KEYS[k])
    cm = note_commitment(note)
    return {"key": k, "asset": asset, "value": str(value), "value_limbs": u64_limbs(value), "rcm": list(rcm),
            "cm": _digest(cm), "cm_bytes": digest_to_bytes(cm).hex(), "leaf": _digest(note_leaf(cm)),
            "nullifiers": [{"position": pos, "nf": _digest(derive_nullifier(key.nk, cm, pos))}
                           for pos in POSITIONS]}


def tree_vector() -> dict:
    tree = NoteTree(TREE_DEPTH, keep_nodes=True)
    for i in TREE_LEAF_NOTES:
        tree.append(note_leaf(note_commitment(make_note(i))))
    return {"depth": TREE_DEPTH, "leaf_notes": TREE_LEAF_NOTES, "root": _digest(tree.root()),
            "paths": [{"position": pos, "siblings": [_digest(s) for s in tree.path(pos)]}
                      for pos in range(len(TREE_LEAF_NOTES))]}


def encryption_vector(j: int) -> dict:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    i, sender, memo, esk = ENCRYPTIONS[j]
    note = make_note(i)
    recipient = SpendingKey(KEYS[NOTES[i][0]]).address()
    ovk = SpendingKey(KEYS[sender]).ovk
    ct = encrypt_note(note, recipient, ovk, memo, esk=esk)
    epk = ct[:32]
    cm = digest_to_bytes(note_commitment(note))
    shared = X25519PrivateKey.from_private_bytes(esk).exchange(X25519PublicKey.from_public_bytes(recipient.pk_enc))
    return {"note": i, "recipient_key": NOTES[i][0], "sender_key": sender, "memo": memo.hex(), "esk": esk.hex(),
            "epk": epk.hex(), "shared_secret": shared.hex(),
            "k_enc": hkdf(shared, b"shielded/note", salt=epk + recipient.pk_enc).hex(),
            "ock": hkdf(ovk, b"shielded/outgoing", salt=cm + epk).hex(),
            "plaintext": encode_plaintext(note, memo).hex(), "ciphertext": ct.hex()}


def make_transaction(encryptions: list[dict]) -> Transaction:
    t = TRANSACTION
    tree_root = tuple(tree_vector()["root"])
    nullifiers = []
    for s in t["spends"]:
        note = make_note(s["note"])
        nk = SpendingKey(KEYS[NOTES[s["note"]][0]]).nk
        nullifiers.append(derive_nullifier(nk, note_commitment(note), s["position"]))
    commitments = tuple(note_commitment(make_note(o["note"])) for o in t["outputs"])
    ciphertexts = tuple(bytes.fromhex(encryptions[o["encryption"]]["ciphertext"]) for o in t["outputs"])
    return Transaction(tree_root, tuple(nullifiers), commitments, t["public_value_in"], t["public_value_out"],
                       t["asset"], t["public_owner"], t["fee"], ciphertexts, t["proof"])


def transaction_vector(encryptions: list[dict]) -> dict:
    t = TRANSACTION
    tx = make_transaction(encryptions)
    return {"spends": t["spends"], "outputs": t["outputs"], "asset": t["asset"],
            "public_value_in": str(t["public_value_in"]), "public_value_out": str(t["public_value_out"]),
            "fee": str(t["fee"]), "public_owner": "0x" + t["public_owner"].to_bytes(20, "big").hex(),
            "proof": t["proof"].hex(), "tx_version": TX_VERSION,
            "root": _digest(tx.root), "nullifiers": [_digest(d) for d in tx.nullifiers],
            "commitments": [_digest(d) for d in tx.commitments],
            "ciphertext_hash": _digest(ciphertext_hash(tx.ciphertexts)), "public_inputs": tx.public_inputs(),
            "bytes": tx.to_bytes().hex(), "json": tx.to_json()}


def build_vectors() -> dict:
    encryptions = [encryption_vector(j) for j in range(len(ENCRYPTIONS))]
    return {
        "format": FORMAT, "version": VERSION,
        "description": "Reference vectors for SPEC.md Part II (sections 16-22), written by "
                       "tools/gen_protocol_vectors.py and checked by tests/test_protocol_vectors.py; "
                       "the format is documented in tests/vectors/README.md.",
        "keys": [key_vector(sk) for sk in KEYS],
        "notes": [note_vector(i) for i in range(len(NOTES))],
        "tree": tree_vector(),
        "encryptions": encryptions,
        "transaction": transaction_vector(encryptions),
        "golden_transaction": GOLDEN,
    }


def render(vectors: dict) -> str:
    """JSON with one-space indentation, lists of numbers kept on one line."""
    text = json.dumps(vectors, indent=1)
    return re.sub(r"\[\s+(-?\d+(?:,\s+-?\d+)*)\s+\]", lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]",
                  text) + "\n"


def golden_tree(depth: int):
    """The golden transaction's tree and spent note: (tree, note, position)."""
    g = GOLDEN["spent_note"]
    key = SpendingKey(KEYS[g["key"]])
    tree = NoteTree(depth, keep_nodes=True)
    for leaf in GOLDEN["tree_leaves_before"]:
        tree.append(tuple(leaf))
    note = Note(g["asset"], int(g["value"]), key.owner, tuple(g["rcm"]))
    position = tree.append(note_leaf(note_commitment(note)))
    assert position == g["position"]
    return tree, note, position


def build_golden_transaction() -> bytes:
    from shielded.protocol.params import preset
    from shielded.protocol.transaction import Output, Spend, build_transaction, joinsplit_system, verify_transaction
    system = joinsplit_system(preset(GOLDEN["preset"]))
    tree, note, position = golden_tree(system.preset.tree_depth)
    sender = SpendingKey(KEYS[GOLDEN["spent_note"]["key"]])
    outputs = [Output(SpendingKey(KEYS[GOLDEN[o]["key"]]).address(), int(GOLDEN[o]["value"]),
                      bytes.fromhex(GOLDEN[o]["memo"])) for o in ("payment", "change")]
    tx = build_transaction(system, sender, [Spend(note, position, tree.path(position))], outputs, tree.root(),
                           GOLDEN["spent_note"]["asset"], fee=int(GOLDEN["fee"]),
                           public_value_in=int(GOLDEN["public_value_in"]),
                           public_value_out=int(GOLDEN["public_value_out"]),
                           public_owner=int(GOLDEN["public_owner"], 16))
    verify_transaction(system, tx)
    return tx.to_bytes()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.gen_protocol_vectors", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if the stored vectors differ from this build's")
    ap.add_argument("--golden-tx", action="store_true", help=f"also write {GOLDEN_TX_FILE} if it does not exist")
    args = ap.parse_args(argv)
    text = render(build_vectors())
    path = args.out / VECTORS_FILE
    if args.check:
        same = path.is_file() and path.read_text() == text
        print(f"{path}: {'up to date' if same else 'DIFFERS from this build'}", file=sys.stderr)
        return 0 if same else 1
    path.write_text(text)
    print(f"wrote {path}", file=sys.stderr)
    if args.golden_tx:
        golden = args.out / GOLDEN_TX_FILE
        if golden.exists():
            print(f"{golden} exists: not overwritten (replacing a golden file is a format change; "
                  f"see tests/vectors/README.md)", file=sys.stderr)
            return 1
        golden.write_bytes(build_golden_transaction())
        print(f"wrote {golden}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
