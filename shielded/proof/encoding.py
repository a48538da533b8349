"""Versioned proof bytes (SPEC.md, "Proof encoding").

    proof    = "SHPF" version:u8 hash:u8 cap(wires) cap(perm) cap(quotient)
               u32 n_open, n_open*4 elements (openings at zeta), 16 elements (Z at omega*zeta)
               pcs
    cap      = u16 count, count digests (8 elements, or 32 bytes for Keccak)
    pcs      = u8 n_batches, n_batches tree_opening, fri
    fri      = u8 n_layers, n_layers cap, u16 final_len, final_len*4 elements, u32 pow_nonce,
               n_layers tree_opening
    tree_opening = u16 rows, u16 width, rows*width elements, u32 n_siblings, n_siblings digests

Elements are 4-byte big-endian words and must be canonical (< p).  Decoding takes the verifying
key and bounds every count by what that key allows before reading, so malformed or truncated
bytes raise EncodingError and never allocate more than the valid proof would.
"""

from __future__ import annotations

import numpy as np

from shielded.commit.fri import FriProof, PcsProof, TreeOpening
from shielded.commit.merkle import BatchOpening
from shielded.errors import EncodingError
from shielded.field.ext import Ext
from shielded.field.koalabear import P
from shielded.proof.encoding_util import Reader, Writer
from shielded.proof.proof import Proof

PROOF_MAGIC = b"SHPF"
PROOF_VERSION = 2
_HASH_IDS = {"poseidon2": 0, "keccak": 1}


def _write_digests(w: Writer, digests: np.ndarray, hash_name: str) -> None:
    if hash_name == "keccak":
        w.raw(np.asarray(digests, np.uint8).tobytes())
    else:
        w.elements(np.asarray(digests).reshape(-1))


def _read_digests(r: Reader, count: int, hash_name: str, field: str) -> np.ndarray:
    if hash_name == "keccak":
        return np.frombuffer(r.raw(32 * count, field), np.uint8).reshape(count, 32).copy()
    return r.elements(8 * count, field).reshape(count, 8)


def _write_cap(w: Writer, cap: np.ndarray, hash_name: str) -> None:
    w.u16(cap.shape[0])
    _write_digests(w, cap, hash_name)


def _read_cap(r: Reader, expected: int, hash_name: str, field: str) -> np.ndarray:
    n = r.count(f"{field} size", expected, 2)
    if n != expected:
        raise EncodingError(f"proof: {field} has {n} digests, expected {expected}")
    return _read_digests(r, n, hash_name, field)


def _write_tree(w: Writer, op: TreeOpening, hash_name: str) -> None:
    w.u16(op.rows.shape[0])
    w.u16(op.rows.shape[1])
    w.elements(op.rows.reshape(-1))
    w.u32(op.opening.siblings.shape[0])
    _write_digests(w, op.opening.siblings, hash_name)


def _read_tree(r: Reader, max_rows: int, width: int, max_siblings: int, hash_name: str, field: str) -> TreeOpening:
    rows = r.count(f"{field} rows", max_rows, 2)
    wd = r.count(f"{field} width", width, 2)
    if wd != width:
        raise EncodingError(f"proof: {field} leaves have width {wd}, expected {width}")
    vals = r.elements(rows * width, f"{field} leaves").reshape(rows, width)
    ns = r.count(f"{field} siblings", max_siblings, 4)
    return TreeOpening(vals, BatchOpening(_read_digests(r, ns, hash_name, f"{field} siblings")))


def encode_proof(proof: Proof, vk) -> bytes:
    hash_name = vk.config.fri.hash
    w = Writer()
    w.raw(PROOF_MAGIC)
    w.u8(PROOF_VERSION)
    w.u8(_HASH_IDS[hash_name])
    for cap in (proof.wires_cap, proof.perm_cap, proof.quotient_cap):
        _write_cap(w, cap, hash_name)
    w.u32(proof.openings.shape[0])
    w.elements(proof.openings.reshape(-1))
    w.elements(proof.openings_next.reshape(-1))
    pcs = proof.pcs
    w.u8(len(pcs.batches))
    for op in pcs.batches:
        _write_tree(w, op, hash_name)
    fri = pcs.fri
    w.u8(len(fri.layer_caps))
    for cap in fri.layer_caps:
        _write_cap(w, cap, hash_name)
    w.u16(len(fri.final_poly))
    w.elements([c for e in fri.final_poly for c in e.c])
    w.u32(fri.pow_nonce)
    for op in fri.layers:
        _write_tree(w, op, hash_name)
    return w.bytes()


def decode_proof(data: bytes, vk) -> Proof:
    """Parse proof bytes for ``vk``; raises EncodingError on anything malformed."""
    cfg, fri_cfg, L = vk.config, vk.config.fri, vk.layout
    hash_name = fri_cfg.hash
    r = Reader(data, "proof")
    if r.raw(4, "magic") != PROOF_MAGIC:
        raise EncodingError("proof: bad magic (not a shielded proof)")
    version = r.u8("version")
    if version != PROOF_VERSION:
        raise EncodingError(f"proof: unsupported version {version} (this build reads {PROOF_VERSION})")
    hid = r.u8("hash")
    if hid != _HASH_IDS[hash_name]:
        raise EncodingError(f"proof: hash id {hid} does not match the verifying key ({hash_name})")
    cap_len = vk.preprocessed_cap.shape[0]
    caps = [_read_cap(r, cap_len, hash_name, name) for name in ("wires cap", "perm cap", "quotient cap")]
    n_open = r.count("openings", L.total_columns)
    if n_open != L.total_columns:
        raise EncodingError(f"proof: {n_open} openings, expected {L.total_columns}")
    openings = r.elements(4 * n_open, "openings").reshape(n_open, 4)
    openings_next = r.elements(16, "openings at omega*zeta").reshape(4, 4)
    q = fri_cfg.num_queries
    log_domain = vk.log_n + fri_cfg.log_blowup
    log_cap = cap_len.bit_length() - 1
    max_sib = q * max(0, log_domain - log_cap)
    nb = r.count("batches", 4, 1)
    if nb != 4:
        raise EncodingError(f"proof: {nb} opened batches, expected 4")
    salt = cfg.salt_size
    widths = [L.batch_sizes[0], L.batch_sizes[1] + salt, L.batch_sizes[2] + salt, L.batch_sizes[3] + salt]
    batches = [_read_tree(r, q, wd, max_sib, hash_name, f"batch {b}") for b, wd in enumerate(widths)]
    schedule = fri_cfg.arity_schedule(vk.log_n)
    nl = r.count("FRI layers", len(schedule), 1)
    if nl != len(schedule):
        raise EncodingError(f"proof: {nl} FRI layers, expected {len(schedule)}")
    layer_caps = []
    log_n = log_domain
    for k, ab in enumerate(schedule):
        log_n -= ab
        expect = 1 << min(fri_cfg.cap_height, log_n)
        layer_caps.append(_read_cap(r, expect, hash_name, f"FRI layer {k} cap"))
    final_len = 1 << min(fri_cfg.log_final_len, vk.log_n)
    fl = r.count("final polynomial length", final_len, 2)
    if fl != final_len:
        raise EncodingError(f"proof: final polynomial has {fl} coefficients, expected {final_len}")
    fp = r.elements(4 * fl, "final polynomial").reshape(fl, 4)
    nonce = r.u32("proof-of-work nonce")
    if nonce >= P:
        raise EncodingError("proof: proof-of-work nonce is not a field element (>= p)")
    layers = []
    log_n = log_domain
    for k, ab in enumerate(schedule):
        log_n -= ab
        layers.append(_read_tree(r, q, 4 << ab, q * log_n, hash_name, f"FRI layer {k}"))
    r.expect_end()
    fri = FriProof(layer_caps, [Ext(*map(int, c)) for c in fp], nonce, layers)
    return Proof(caps[0], caps[1], caps[2], openings, openings_next, PcsProof(batches, fri))
