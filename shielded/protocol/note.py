"""Notes, note commitments and nullifiers (SPEC.md, Part II, "Notes").

    note       = (asset, value, owner, rcm): asset < 2^30, value < 2^64, owner a digest,
                 rcm 8 random elements
    cm         = H(NOTE_COMMITMENT, asset || value limbs || owner || rcm)
    leaf       = H(NOTE_LEAF, cm)              the note-tree leaf
    nf         = H(NULLIFIER, nk || cm || pos_lo || pos_hi)   pos = the leaf position (32 bits)

Position binding: the nullifier depends on where the commitment sits in the tree, so two notes
with equal contents (equal cm) at different positions have different nullifiers, and nobody can
make another's note unspendable: that would need a note at the same position (impossible: the
tree is append-only) or a collision of the hash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from circuits.gadgets.arith import u64_limbs
from circuits.joinsplit import RCM_LEN
from shielded.errors import EncodingError
from shielded.field.koalabear import P
from shielded.hash.sponge import Tag, hash_elements
from shielded.protocol.encoding import Digest, check_digest, check_int

MAX_ASSET = 1 << 30
MAX_POSITION = 1 << 32


def random_rcm() -> tuple[int, ...]:
    """8 uniform field elements (64-bit samples reduced mod p; bias < 2^-32)."""
    raw = os.urandom(8 * RCM_LEN)
    return tuple(int.from_bytes(raw[8 * i:8 * i + 8], "big") % P for i in range(RCM_LEN))


@dataclass(frozen=True)
class Note:
    asset: int
    value: int
    owner: Digest
    rcm: tuple[int, ...]

    def __post_init__(self):
        check_int(self.asset, 0, MAX_ASSET, "note asset")
        check_int(self.value, 0, 1 << 64, "note value")
        object.__setattr__(self, "owner", check_digest(self.owner, "note owner"))
        rcm = tuple(self.rcm)
        if len(rcm) != RCM_LEN or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < P for x in rcm):
            raise EncodingError("note rcm must be 8 field elements")
        object.__setattr__(self, "rcm", rcm)


def note_commitment(note: Note) -> Digest:
    return hash_elements(Tag.NOTE_COMMITMENT, [note.asset] + u64_limbs(note.value) + list(note.owner) + list(note.rcm))


def note_leaf(cm: Digest) -> Digest:
    return hash_elements(Tag.NOTE_LEAF, list(cm))


def derive_nullifier(nk: Digest, cm: Digest, position: int) -> Digest:
    if not 0 <= position < MAX_POSITION:
        raise EncodingError("note position must be a 32-bit integer")
    return hash_elements(Tag.NULLIFIER, list(nk) + list(cm) + [position & 0xFFFF, position >> 16])
