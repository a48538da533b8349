"""Notes, commitments, leaves and nullifiers (SPEC.md section 18), recomputed from the SPEC text.

    cm   = H(20, asset || value limbs || owner || rcm)      21 elements, limbs 16-bit little-endian
    leaf = H(21, cm)
    nf   = H(22, nk || cm || pos_lo || pos_hi)              pos_lo = pos mod 2^16, pos_hi = pos div 2^16
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shielded.errors import EncodingError
from shielded.field.koalabear import P
from shielded.hash.sponge import hash_elements
from shielded.protocol.keys import SpendingKey
from shielded.protocol.note import Note, derive_nullifier, note_commitment, note_leaf, random_rcm
from shielded.testing.protocol import note_values, spending_keys

TAG_CM, TAG_LEAF, TAG_NF = 20, 21, 22
ELEMENT = st.integers(0, P - 1)
DIGEST = st.tuples(*([ELEMENT] * 8))
ASSET = st.integers(0, (1 << 30) - 1)
POSITION = st.integers(0, (1 << 32) - 1)


def spec_limbs(v: int) -> list[int]:
    return [(v >> 16 * i) % 65536 for i in range(4)]


def spec_cm(asset, value, owner, rcm):
    inputs = [asset] + spec_limbs(value) + list(owner) + list(rcm)
    assert len(inputs) == 21
    return tuple(hash_elements(TAG_CM, inputs))


def spec_nf(nk, cm, pos):
    return tuple(hash_elements(TAG_NF, list(nk) + list(cm) + [pos % 65536, pos // 65536]))


@given(ASSET, note_values(), DIGEST, DIGEST)
def test_commitment_and_leaf_match_spec(asset, value, owner, rcm):
    note = Note(asset, value, owner, rcm)
    cm = note_commitment(note)
    assert cm == spec_cm(asset, value, owner, rcm)
    assert note_leaf(cm) == tuple(hash_elements(TAG_LEAF, list(cm)))
    assert len(cm) == 8 and all(0 <= x < P for x in cm)


def test_value_enters_as_limbs_not_mod_p():
    """value and value + p are different notes (limbs, never v mod p)."""
    owner, rcm = (1,) * 8, (2,) * 8
    a, b = Note(0, 5, owner, rcm), Note(0, 5 + P, owner, rcm)
    assert note_commitment(a) != note_commitment(b)
    assert note_commitment(b) == spec_cm(0, 5 + P, owner, rcm)
    # a single limb moved to its neighbour is a different note too
    assert note_commitment(Note(0, 1 << 16, owner, rcm)) != note_commitment(Note(0, 1, owner, rcm))


@given(DIGEST, DIGEST, POSITION)
def test_nullifier_matches_spec(nk, cm, pos):
    assert derive_nullifier(nk, cm, pos) == spec_nf(nk, cm, pos)


@pytest.mark.parametrize("pos", [0, 1, 0xFFFF, 0x10000, 0x10001, 0xFFFF0000, (1 << 32) - 1])
def test_nullifier_position_split(pos):
    nk, cm = tuple(range(8)), tuple(range(8, 16))
    assert derive_nullifier(nk, cm, pos) == spec_nf(nk, cm, pos)


@given(spending_keys(), ASSET, note_values(), DIGEST, POSITION, POSITION)
def test_position_binding(key, asset, value, rcm, p1, p2):
    """Equal notes at different positions have different nullifiers."""
    assume(p1 != p2)
    cm = note_commitment(Note(asset, value, key.owner, rcm))
    assert derive_nullifier(key.nk, cm, p1) != derive_nullifier(key.nk, cm, p2)


def test_position_binding_limb_swap():
    """pos_lo/pos_hi are not interchangeable: 1 and 2^16 differ."""
    nk, cm = (3,) * 8, (4,) * 8
    assert derive_nullifier(nk, cm, 1) != derive_nullifier(nk, cm, 1 << 16)


@given(spending_keys(), spending_keys(), DIGEST, POSITION)
def test_different_nk_different_nullifier(k1, k2, cm, pos):
    assume(k1.sk != k2.sk)
    assert derive_nullifier(k1.nk, cm, pos) != derive_nullifier(k2.nk, cm, pos)


def test_nullifier_uses_nk_not_other_keys():
    key = SpendingKey(bytes(range(32)))
    cm = (9,) * 8
    nf = derive_nullifier(key.nk, cm, 5)
    assert nf == spec_nf(key.nk, cm, 5)
    assert nf != spec_nf(key.ask, cm, 5)


def test_commitment_binds_every_field():
    base = dict(asset=3, value=1000, owner=(1,) * 8, rcm=(2,) * 8)
    cm = note_commitment(Note(**base))
    for field, other in (("asset", 4), ("value", 1001), ("owner", (1,) * 7 + (0,)), ("rcm", (2,) * 7 + (3,))):
        assert note_commitment(Note(**dict(base, **{field: other}))) != cm, field


@pytest.mark.parametrize("pos", [-1, 1 << 32, 1 << 40])
def test_nullifier_rejects_bad_position(pos):
    with pytest.raises(EncodingError, match="position"):
        derive_nullifier((0,) * 8, (0,) * 8, pos)


def test_random_rcm():
    seen = set()
    for _ in range(50):
        r = random_rcm()
        assert len(r) == 8 and all(isinstance(x, int) and 0 <= x < P for x in r)
        Note(0, 0, (0,) * 8, r)
        seen.add(r)
    assert len(seen) == 50


# -- validation -------------------------------------------------------------------------------

OWNER, RCM = (1,) * 8, (2,) * 8


def test_note_accepts_boundaries_and_normalises():
    n = Note((1 << 30) - 1, (1 << 64) - 1, list(OWNER), list(RCM))
    assert n.owner == OWNER and n.rcm == RCM              # stored as tuples
    assert Note(0, 0, OWNER, (P - 1,) * 8).value == 0


@pytest.mark.parametrize("asset", [1 << 30, (1 << 31), -1, 1.0, "1", None],
                         ids=["2^30", "2^31", "negative", "float", "str", "None"])
def test_note_rejects_bad_asset(asset):
    with pytest.raises(EncodingError, match="asset"):
        Note(asset, 1, OWNER, RCM)


def test_note_rejects_bool_asset():
    with pytest.raises(EncodingError, match="asset"):
        Note(True, 1, OWNER, RCM)


@pytest.mark.parametrize("value", [1 << 64, (1 << 64) + 5, -1, True, False, 1.0, "1", None],
                         ids=["2^64", "2^64+5", "negative", "True", "False", "float", "str", "None"])
def test_note_rejects_bad_value(value):
    with pytest.raises(EncodingError, match="value"):
        Note(0, value, OWNER, RCM)


@pytest.mark.parametrize("owner", [(1,) * 7, (1,) * 9, (P,) + (1,) * 7, (-1,) + (1,) * 7, (True,) + (1,) * 7,
                                   ("1",) + (1,) * 7],
                         ids=["7", "9", "p", "negative", "bool", "str"])
def test_note_rejects_bad_owner(owner):
    with pytest.raises(EncodingError, match="owner"):
        Note(0, 1, owner, RCM)


@pytest.mark.parametrize("rcm", [(2,) * 7, (2,) * 9, (P,) + (2,) * 7, (-1,) + (2,) * 7, (2.0,) + (2,) * 7,
                                 ("2",) + (2,) * 7, ()],
                         ids=["7", "9", "p", "negative", "float", "str", "empty"])
def test_note_rejects_bad_rcm(rcm):
    with pytest.raises(EncodingError, match="rcm"):
        Note(0, 1, OWNER, rcm)


def test_note_rejects_bool_rcm_element():
    with pytest.raises(EncodingError, match="rcm"):
        Note(0, 1, OWNER, (True,) + (2,) * 7)
