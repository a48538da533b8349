"""The batched Keccak-256 kernel against pycryptodome (the reference the project already trusts),
and the Keccak Merkle hasher against its definition (SPEC.md section 2.3, hashers.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from shielded.commit.hashers import KECCAK
from shielded.hash.keccak import keccak256
from shielded.hash.keccak_batch import RATE, keccak256_columns, keccak256_rows


@given(st.integers(0, 3 * RATE + 5), st.integers(1, 4), st.randoms(use_true_random=False))
def test_batch_matches_reference(length, count, rnd):
    msgs = np.array([[rnd.randrange(256) for _ in range(length)] for _ in range(count)], np.uint8)
    msgs = msgs.reshape(count, length)
    got = keccak256_rows(msgs)
    assert [g.tobytes() for g in got] == [keccak256(m.tobytes()) for m in msgs]


def test_every_padding_boundary():
    rng = np.random.default_rng(7)
    for length in [0, 1, RATE - 2, RATE - 1, RATE, RATE + 1, 2 * RATE - 1, 2 * RATE, 2 * RATE + 1]:
        msgs = rng.integers(0, 256, (3, length), dtype=np.uint8)
        got = keccak256_rows(msgs)
        assert [g.tobytes() for g in got] == [keccak256(m.tobytes()) for m in msgs], length


def test_known_answer_of_the_empty_message():
    # Keccak-256("") as the EVM computes it
    assert keccak256_rows(np.zeros((1, 0), np.uint8))[0].tobytes().hex() == \
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


@given(st.lists(st.lists(st.integers(0, 2**31 - 2**24), min_size=3, max_size=3), min_size=1, max_size=5))
def test_merkle_hasher_follows_its_definition(rows):
    arr = np.array(rows, np.uint32)
    leaves = KECCAK.hash_rows(arr)
    for row, leaf in zip(rows, leaves):
        assert leaf.tobytes() == keccak256(b"\x00" + b"".join(v.to_bytes(4, "big") for v in row))
    node = KECCAK.compress(leaves[:1], leaves[-1:])
    assert node[0].tobytes() == keccak256(b"\x01" + leaves[0].tobytes() + leaves[-1].tobytes())


def test_rejects_a_non_matrix():
    with pytest.raises(ValueError):
        keccak256_rows(np.zeros(5, np.uint8))


def _column_message(prefix: int, mat, salt, j) -> bytes:
    words = [int(v) for v in mat[:, j]] + ([int(v) for v in salt[:, j]] if salt is not None else [])
    return bytes([prefix]) + b"".join(v.to_bytes(4, "big") for v in words)


@given(st.integers(0, 2 * RATE // 4 + 3), st.integers(0, 5), st.integers(1, 4), st.integers(0, 255),
       st.randoms(use_true_random=False))
def test_columns_match_the_reference(columns, salt_rows, n, prefix, rnd):
    """keccak256_columns reads prefix || column || salt in place: every length around the padding
    boundaries (1 + 4 (C + S) bytes) against pycryptodome."""
    mat = np.array([[rnd.randrange(2**32) for _ in range(n)] for _ in range(columns)], np.uint32).reshape(columns, n)
    salt = np.array([[rnd.randrange(2**32) for _ in range(n)] for _ in range(salt_rows)], np.uint32).reshape(salt_rows, n)
    got = keccak256_columns(mat, salt if salt_rows else None, prefix)
    assert [g.tobytes() for g in got] == [keccak256(_column_message(prefix, mat, salt if salt_rows else None, j))
                                          for j in range(n)]


def test_merkle_leaves_of_columns_equal_leaves_of_rows():
    rng = np.random.default_rng(3)
    mat = rng.integers(0, 2**31 - 2**24, (37, 9), dtype=np.uint32)
    salt = rng.integers(0, 2**31 - 2**24, (4, 9), dtype=np.uint32)
    assert np.array_equal(KECCAK.hash_leaves(mat, salt), KECCAK.hash_rows(np.concatenate([mat, salt]).T))
    assert np.array_equal(KECCAK.hash_leaves(mat), KECCAK.hash_rows(mat.T))


def test_columns_reject_bad_shapes():
    with pytest.raises(ValueError):
        keccak256_columns(np.zeros(5, np.uint32))
    with pytest.raises(ValueError):
        keccak256_columns(np.zeros((2, 5), np.uint32), np.zeros((1, 4), np.uint32))
    with pytest.raises(ValueError):
        keccak256_columns(np.zeros((2, 5), np.uint32), prefix=256)
