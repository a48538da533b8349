"""Transactions: building, verifying, scanning, and the wire format (SPEC.md, Part II,
"Transactions").

A transaction carries the join-split's public values, two note ciphertexts and the proof.  The
69 public inputs of the proof are derived from the typed fields (amounts as 16-bit limbs, the L1
address as 20-bit limbs) plus the ciphertext hash, H(CIPHERTEXTS, both ciphertexts packed 3
bytes per element), so the proof binds every field including the ciphertexts.

Bytes, version 1 (691 bytes + proof):
    "SHTX" u8 version  root(32) nf_0(32) nf_1(32) cm_0(32) cm_1(32)
    u64 public_value_in  u64 public_value_out  u32 asset  public_owner(20)  u64 fee
    ciphertext_0(237) ciphertext_1(237)  u32 proof_length  proof
JSON: the same fields, digests and byte strings as 0x-hex, amounts as decimal strings.

``build_transaction`` validates its whole request before doing any work (TransactionError or
EncodingError naming the field), pads to 2 inputs and 2 outputs with dummies, and puts the two
outputs in an order given by a fresh random bit, so the position of the payment says nothing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

from circuits.gadgets.arith import address_limbs, u64_limbs
from circuits.joinsplit import (NUM_INPUTS, NUM_OUTPUTS, NUM_PUBLIC_INPUTS, InputWitness, OutputWitness,
                                assignment, build_joinsplit)
from shielded.commit.merkle import root_from_path
from shielded.errors import EncodingError, ParameterError, ShieldedError, VerificationError
from shielded.hash.sponge import Tag, hash_elements
from shielded.proof.encoding import decode_proof, encode_proof
from shielded.proof.encoding_util import Reader, Writer
from shielded.proof.keys import setup
from shielded.proof.prover import prove
from shielded.proof.verifier import verify
from shielded.proof.witness import generate_witness
from shielded.protocol.address import Address
from shielded.protocol.encoding import (Digest, bytes_to_elements, check_digest, check_int, digest_from_bytes,
                                        digest_to_bytes)
from shielded.protocol.encryption import (CIPHERTEXT_LEN, DecryptedNote, DecryptionError, check_memo, encrypt_note,
                                          try_decrypt_incoming, try_recover_outgoing)
from shielded.protocol.keys import SpendingKey
from shielded.protocol.note import (MAX_ASSET, MAX_POSITION, Note, derive_nullifier, note_commitment, note_leaf,
                                    random_rcm)
from shielded.protocol.params import Preset

TX_MAGIC = b"SHTX"
TX_VERSION = 1
MAX_PROOF_BYTES = 1 << 20
U64 = 1 << 64


_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})*", re.ASCII)
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]{0,19})", re.ASCII)


class TransactionError(ShieldedError):
    """A transaction cannot be built as requested (the message says which rule fails)."""


@dataclass(frozen=True)
class Transaction:
    root: Digest
    nullifiers: tuple[Digest, Digest]
    commitments: tuple[Digest, Digest]
    public_value_in: int
    public_value_out: int
    asset: int
    public_owner: int
    fee: int
    ciphertexts: tuple[bytes, bytes]
    proof: bytes

    def __post_init__(self):
        object.__setattr__(self, "root", check_digest(self.root, "root"))
        for name in ("nullifiers", "commitments", "ciphertexts"):
            seq = getattr(self, name)
            if not isinstance(seq, (tuple, list)) or len(seq) != 2:
                raise EncodingError(f"a transaction has exactly 2 {name}")
        object.__setattr__(self, "nullifiers", tuple(check_digest(d, "nullifier") for d in self.nullifiers))
        object.__setattr__(self, "commitments", tuple(check_digest(d, "commitment") for d in self.commitments))
        object.__setattr__(self, "ciphertexts", tuple(self.ciphertexts))
        for name in ("public_value_in", "public_value_out", "fee"):
            check_int(getattr(self, name), 0, U64, name)
        check_int(self.asset, 0, MAX_ASSET, "asset")
        check_int(self.public_owner, 0, 1 << 160, "public_owner (a 160-bit L1 address)")
        for ct in self.ciphertexts:
            if not isinstance(ct, (bytes, bytearray)) or len(ct) != CIPHERTEXT_LEN:
                raise EncodingError(f"each ciphertext is {CIPHERTEXT_LEN} bytes")
        object.__setattr__(self, "ciphertexts", tuple(bytes(ct) for ct in self.ciphertexts))
        if not isinstance(self.proof, (bytes, bytearray)):
            raise EncodingError(f"proof must be bytes, got {type(self.proof).__name__}")
        if len(self.proof) > MAX_PROOF_BYTES:
            raise EncodingError(f"proof is at most {MAX_PROOF_BYTES} bytes, got {len(self.proof)}")
        object.__setattr__(self, "proof", bytes(self.proof))

    # -- public inputs ------------------------------------------------------------------------
    def ciphertext_hash(self) -> Digest:
        return ciphertext_hash(self.ciphertexts)

    def public_inputs(self) -> list[int]:
        return public_inputs(self.root, self.nullifiers, self.commitments, self.public_value_in,
                             self.public_value_out, self.asset, self.public_owner, self.fee,
                             self.ciphertext_hash())

    # -- bytes ---------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        w = Writer()
        w.raw(TX_MAGIC)
        w.u8(TX_VERSION)
        for d in (self.root,) + self.nullifiers + self.commitments:
            w.raw(digest_to_bytes(d))
        w.raw(self.public_value_in.to_bytes(8, "big"))
        w.raw(self.public_value_out.to_bytes(8, "big"))
        w.u32(self.asset)
        w.raw(self.public_owner.to_bytes(20, "big"))
        w.raw(self.fee.to_bytes(8, "big"))
        for ct in self.ciphertexts:
            w.raw(ct)
        w.u32(len(self.proof))
        w.raw(self.proof)
        return w.bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Transaction":
        r = Reader(data, "transaction")
        if r.raw(4, "magic") != TX_MAGIC:
            raise EncodingError("transaction: bad magic (not a shielded transaction)")
        version = r.u8("version")
        if version != TX_VERSION:
            raise EncodingError(f"transaction: unsupported version {version}")
        root = digest_from_bytes(r.raw(32, "root"), "root")
        nfs = tuple(digest_from_bytes(r.raw(32, "nullifier"), "nullifier") for _ in range(2))
        cms = tuple(digest_from_bytes(r.raw(32, "commitment"), "commitment") for _ in range(2))
        pin = int.from_bytes(r.raw(8, "public_value_in"), "big")
        pout = int.from_bytes(r.raw(8, "public_value_out"), "big")
        asset = r.u32("asset")
        owner = int.from_bytes(r.raw(20, "public_owner"), "big")
        fee = int.from_bytes(r.raw(8, "fee"), "big")
        cts = tuple(r.raw(CIPHERTEXT_LEN, "ciphertext") for _ in range(2))
        proof = r.raw(r.count("proof length", MAX_PROOF_BYTES), "proof")
        r.expect_end()
        return cls(root, nfs, cms, pin, pout, asset, owner, fee, cts, proof)

    # -- JSON ----------------------------------------------------------------------------------
    def to_json(self) -> str:
        hx = lambda b: "0x" + bytes(b).hex()
        return json.dumps({
            "version": TX_VERSION,
            "root": hx(digest_to_bytes(self.root)),
            "nullifiers": [hx(digest_to_bytes(d)) for d in self.nullifiers],
            "commitments": [hx(digest_to_bytes(d)) for d in self.commitments],
            "public_value_in": str(self.public_value_in),
            "public_value_out": str(self.public_value_out),
            "asset": self.asset,
            "public_owner": hx(self.public_owner.to_bytes(20, "big")),
            "fee": str(self.fee),
            "ciphertexts": [hx(c) for c in self.ciphertexts],
            "proof": hx(self.proof),
        }, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Transaction":
        if not isinstance(text, (str, bytes, bytearray)) or len(text) > 4 * MAX_PROOF_BYTES:
            raise EncodingError("transaction JSON: expected a string of reasonable size")
        # A transaction is one object holding three lists and no bracket inside a string.  Refuse
        # anything with more before parsing: the C decoder recurses once per level, and where a
        # library has raised the recursion limit (py-evm does) deep nesting overflows the C stack.
        brackets = ("[", "{") if isinstance(text, str) else (b"[", b"{")
        if sum(text.count(c) for c in brackets) > 8:
            raise EncodingError("transaction JSON: too many nested lists or objects (a transaction is one "
                                "object with three lists)")
        try:
            obj = json.loads(text)
        except (ValueError, TypeError, RecursionError) as e:
            raise EncodingError(f"transaction JSON: {type(e).__name__}: {str(e)[:80]}") from None
        if not isinstance(obj, dict):
            raise EncodingError("transaction JSON: expected an object")
        keys = {"version", "root", "nullifiers", "commitments", "public_value_in", "public_value_out", "asset",
                "public_owner", "fee", "ciphertexts", "proof"}
        if set(obj) != keys:
            raise EncodingError(f"transaction JSON: fields must be exactly {sorted(keys)}")
        if type(obj["version"]) is not int or obj["version"] != TX_VERSION:
            raise EncodingError(f"transaction JSON: unsupported version {obj['version']!r}")

        def unhex(v, what, length=None):
            if not isinstance(v, str) or not _HEX.fullmatch(v):
                raise EncodingError(f"transaction JSON: {what} must be a 0x-hex string of whole bytes")
            b = bytes.fromhex(v[2:])
            if length is not None and len(b) != length:
                raise EncodingError(f"transaction JSON: {what} must be {length} bytes")
            return b

        def amount(v, what):
            if not isinstance(v, str) or not _DECIMAL.fullmatch(v):
                raise EncodingError(f"transaction JSON: {what} must be a decimal string")
            return int(v)

        def pair(v, what):
            if not isinstance(v, list) or len(v) != 2:
                raise EncodingError(f"transaction JSON: {what} must be a list of 2")
            return v

        if type(obj["asset"]) is not int:
            raise EncodingError("transaction JSON: asset must be an integer")
        return cls(
            digest_from_bytes(unhex(obj["root"], "root", 32), "root"),
            tuple(digest_from_bytes(unhex(x, "nullifier", 32), "nullifier") for x in pair(obj["nullifiers"], "nullifiers")),
            tuple(digest_from_bytes(unhex(x, "commitment", 32), "commitment") for x in pair(obj["commitments"], "commitments")),
            amount(obj["public_value_in"], "public_value_in"), amount(obj["public_value_out"], "public_value_out"),
            obj["asset"], int.from_bytes(unhex(obj["public_owner"], "public_owner", 20), "big"),
            amount(obj["fee"], "fee"),
            tuple(unhex(x, "ciphertext", CIPHERTEXT_LEN) for x in pair(obj["ciphertexts"], "ciphertexts")),
            unhex(obj["proof"], "proof"))


def ciphertext_hash(ciphertexts: Sequence[bytes]) -> Digest:
    return hash_elements(Tag.CIPHERTEXTS, bytes_to_elements(b"".join(ciphertexts)))


def public_inputs(root, nullifiers, commitments, public_value_in, public_value_out, asset, public_owner,
                  fee, ct_hash) -> list[int]:
    out = list(root) + list(nullifiers[0]) + list(nullifiers[1]) + list(commitments[0]) + list(commitments[1])
    out += u64_limbs(public_value_in) + u64_limbs(public_value_out) + [asset]
    out += address_limbs(public_owner) + u64_limbs(fee) + list(ct_hash)
    assert len(out) == NUM_PUBLIC_INPUTS
    return out


# -- prover / verifier keys ---------------------------------------------------------------------

@dataclass
class JoinSplitSystem:
    """The join-split circuit of a preset with its keys (built once per process)."""

    preset: Preset
    js: object
    pk: object
    vk: object


@lru_cache(maxsize=None)
def joinsplit_system(preset: Preset) -> JoinSplitSystem:
    js = build_joinsplit(preset.tree_depth, preset.proof)
    pk, vk = setup(js.circuit)
    return JoinSplitSystem(preset, js, pk, vk)


# -- building ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Spend:
    """An owned note to spend, with its position and current path (siblings bottom-up).
    Raises TransactionError naming the field for a malformed one."""

    note: Note
    position: int
    path: Sequence[Digest]

    def __post_init__(self):
        if not isinstance(self.note, Note):
            raise TransactionError(f"spend note must be a Note, got {type(self.note).__name__}")
        if not isinstance(self.position, int) or isinstance(self.position, bool) \
                or not 0 <= self.position < MAX_POSITION:
            raise TransactionError(f"spend position must be an integer in [0, 2^32), got {self.position!r}")
        if isinstance(self.path, (str, bytes, bytearray)):
            raise TransactionError("spend path must be a sequence of digests")
        try:
            path = tuple(check_digest(d, "spend path sibling") for d in self.path)
        except TypeError:
            raise TransactionError("spend path must be a sequence of digests") from None
        except EncodingError as e:
            raise TransactionError(str(e)) from None
        object.__setattr__(self, "path", path)


@dataclass(frozen=True)
class Output:
    """A payment of ``value`` to ``address`` with an optional memo (bytes, at most 31).
    Raises TransactionError naming the field for a malformed one."""

    address: Address
    value: int
    memo: bytes = b""

    def __post_init__(self):
        if not isinstance(self.address, Address):
            hint = " (decode text with Address.decode)" if isinstance(self.address, str) else ""
            raise TransactionError(f"output address must be an Address{hint}, got {type(self.address).__name__}")
        if not isinstance(self.value, int) or isinstance(self.value, bool) or not 0 <= self.value < U64:
            raise TransactionError(f"output value must be in [0, 2^64), got {self.value!r}")
        try:
            object.__setattr__(self, "memo", check_memo(self.memo, "output memo"))
        except EncodingError as e:
            raise TransactionError(str(e)) from None


def _dummy_spend(asset: int, depth: int):
    key = SpendingKey.generate()
    note = Note(asset, 0, key.owner, random_rcm())
    position = int.from_bytes(os.urandom(4), "big") % (1 << depth)
    return key, Spend(note, position, [(0,) * 8] * depth)


def _sequence_of(items, kind, what: str, limit: int) -> list:
    if not isinstance(items, (list, tuple)):
        raise TransactionError(f"{what} must be a list of {kind.__name__}, got {type(items).__name__}")
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise TransactionError(f"{what}[{i}] must be a {kind.__name__}, got {type(item).__name__}")
    if len(items) > limit:
        raise TransactionError(f"at most {NUM_INPUTS} spends and {NUM_OUTPUTS} outputs per transaction")
    return list(items)


def build_transaction(system: JoinSplitSystem, key: SpendingKey, spends: Sequence[Spend],
                      outputs: Sequence[Output], root: Digest, asset: int, fee: int = 0,
                      public_value_in: int = 0, public_value_out: int = 0, public_owner: int = 0,
                      rng=None, progress: Callable | None = None) -> Transaction:
    """Build and prove a transaction: spends and outputs are padded with dummies to 2 + 2, and
    the two outputs are put in a random order.  Before any work (dummies, encryption, proving)
    it raises TransactionError naming the field or rule a request breaks: argument types (a
    JoinSplitSystem, a SpendingKey, lists of Spend and Output, a root of 8 field elements),
    amounts out of range, ownership, asset, stale path, duplicate note, balance."""
    if not isinstance(system, JoinSplitSystem):
        raise TransactionError(f"system must be a JoinSplitSystem (joinsplit_system(preset)), "
                               f"got {type(system).__name__}")
    if not isinstance(key, SpendingKey):
        raise TransactionError(f"key must be a SpendingKey, got {type(key).__name__}")
    spends = _sequence_of(spends, Spend, "spends", NUM_INPUTS)
    outputs = _sequence_of(outputs, Output, "outputs", NUM_OUTPUTS)
    try:
        root = check_digest(root, "root")
    except EncodingError as e:
        raise TransactionError(str(e)) from None
    depth = system.preset.tree_depth
    for name, v, bits in (("fee", fee, 64), ("public_value_in", public_value_in, 64),
                          ("public_value_out", public_value_out, 64), ("public_owner", public_owner, 160),
                          ("asset", asset, 30)):
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < 1 << bits:
            raise TransactionError(f"{name} must be in [0, 2^{bits}), got {v!r}")
    if (public_value_in or public_value_out) and public_owner == 0:
        raise TransactionError("a deposit or withdrawal needs a public owner (L1 address)")
    owner = key.owner
    keyed = []
    seen = set()
    for s in spends:
        if s.note.owner != owner:
            raise TransactionError("a spent note does not belong to this spending key")
        if s.note.asset != asset:
            raise TransactionError(f"a spent note is of asset {s.note.asset}, the transaction of {asset}")
        if not 0 <= s.position < 1 << depth or len(s.path) != depth:
            raise TransactionError(f"a spend needs a position < 2^{depth} and {depth} path siblings")
        cm = note_commitment(s.note)
        if root_from_path(note_leaf(cm), s.position, s.path) != root:
            raise TransactionError("a spend's path does not lead to the given root (stale witness?)")
        if (cm, s.position) in seen:
            raise TransactionError("the same note is spent twice")
        seen.add((cm, s.position))
        keyed.append((key, s))
    total_in = sum(s.note.value for s in spends) + public_value_in
    total_out = sum(o.value for o in outputs) + public_value_out + fee
    if total_in != total_out:
        raise TransactionError(f"inputs {total_in} (notes + public in) do not equal outputs {total_out} "
                               f"(notes + public out + fee)")
    while len(keyed) < NUM_INPUTS:
        keyed.append(_dummy_spend(asset, depth))
    outs = list(outputs)
    out_ovks = [key.ovk] * len(outs)
    while len(outs) < NUM_OUTPUTS:
        dummy = SpendingKey.generate()
        outs.append(Output(dummy.address(), 0))
        out_ovks.append(os.urandom(32))
    # A fixed order (payment first, change or dummy second) would tell anyone who learns the role
    # of one output the role of the other; a fresh random bit swaps the two outputs, commitments
    # and ciphertexts together (SPEC.md, Part II, "Transactions").  Wallets find their notes by
    # trial decryption, whatever the index.
    if secrets.randbits(1):
        outs.reverse()
        out_ovks.reverse()

    nullifiers, in_wit = [], []
    for k, s in keyed:
        cm = note_commitment(s.note)
        nullifiers.append(derive_nullifier(k.nk, cm, s.position))
        in_wit.append(InputWitness(k.ask, k.nk, u64_limbs(s.note.value), s.note.rcm, s.position, s.path))
    notes = [Note(asset, o.value, o.address.owner, random_rcm()) for o in outs]
    commitments = [note_commitment(n) for n in notes]
    ciphertexts = [encrypt_note(n, o.address, ovk, o.memo) for n, o, ovk in zip(notes, outs, out_ovks)]
    out_wit = [OutputWitness(n.owner, u64_limbs(n.value), n.rcm) for n in notes]
    pub = public_inputs(root, nullifiers, commitments, public_value_in, public_value_out, asset,
                        public_owner, fee, ciphertext_hash(ciphertexts))
    js = system.js
    witness = generate_witness(js.circuit, assignment(js, pub, in_wit, out_wit))
    proof, _ = prove(system.pk, witness, rng=rng, progress=progress)
    return Transaction(tuple(root), tuple(nullifiers), tuple(commitments), public_value_in, public_value_out,
                       asset, public_owner, fee, tuple(ciphertexts), encode_proof(proof, system.vk))


# -- verifying and scanning ---------------------------------------------------------------------

def verify_transaction(system: JoinSplitSystem, tx: Transaction) -> None:
    """Check the proof against every public field; raises VerificationError or EncodingError."""
    if tx.nullifiers[0] == tx.nullifiers[1]:
        raise VerificationError("the transaction spends the same nullifier twice")
    proof = decode_proof(tx.proof, system.vk)
    verify(system.vk, tx.public_inputs(), proof)


def scan_incoming(ivk: bytes, owner: Digest, tx: Transaction) -> list[tuple[int, DecryptedNote]]:
    """(output index, note) for every output of ``tx`` addressed to this incoming viewing key."""
    found = []
    for i, (cm, ct) in enumerate(zip(tx.commitments, tx.ciphertexts)):
        try:
            found.append((i, try_decrypt_incoming(ivk, owner, cm, ct)))
        except DecryptionError:
            continue
    return found


def scan_outgoing(ovk: bytes, tx: Transaction) -> list[tuple[int, DecryptedNote]]:
    found = []
    for i, (cm, ct) in enumerate(zip(tx.commitments, tx.ciphertexts)):
        try:
            found.append((i, try_recover_outgoing(ovk, cm, ct)))
        except DecryptionError:
            continue
    return found
