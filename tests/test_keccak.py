"""The batched Keccak-256 kernel against pycryptodome (the reference the project already trusts),
and the Keccak Merkle hasher against its definition (SPEC.md section 2.3, hashers.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from shielded.commit.hashers import KECCAK
from shielded.hash.keccak import keccak256
from shielded.hash.keccak_batch import RATE, keccak256_rows


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
