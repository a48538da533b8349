"""Poseidon2 (widths 16 and 24), its parameters, the sponge and compression, and Keccak-256
(SPEC.md section 2).

The reference for Poseidon2 is written here straight from ../shared/vectors/README.md (explicit M4
matrix, own parser for the diagonal), so it shares no code with shielded.hash.poseidon2.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shielded.data import load_parameters
from shielded.errors import ParameterError
from shielded.field.ext import Ext
from shielded.field.koalabear import P
from shielded.hash import poseidon2_generic as generic
from shielded.hash.keccak import keccak256
from shielded.hash.poseidon2 import (absorb_blocks, external_linear_layer, internal_linear_layer, permute,
                                     permute_batch)
from shielded.hash.poseidon2_params import WIDTHS, params, parse_diagonal
from shielded.hash.sponge import Tag, compress, compress_pairs, compress_reference, hash_columns, hash_elements

P2 = load_parameters()["poseidon2"]
PROTOCOL_TAG = 16  # SPEC 2.2: protocol tags start at 16; any field element is a valid tag
M4 = [[2, 3, 1, 1], [1, 2, 3, 1], [1, 1, 2, 3], [3, 1, 1, 2]]

elements = st.one_of(st.integers(0, P - 1), st.sampled_from([0, 1, P - 1, P - 2]))


def state_of(width: int):
    return st.lists(elements, min_size=width, max_size=width)


# -- independent reference (README) ------------------------------------------------------------

def ref_parse_entry(token: str) -> int:
    """'-1/2^8' -> -(2^8)^-1 mod p, written without regular expressions."""
    token = token.strip()
    neg = token.startswith("-")
    num, _, den = token.lstrip("-").partition("/")
    if "^" in den:
        base, exp = den.split("^")
        d = int(base) ** int(exp)
    else:
        d = int(den or "1")
    v = int(num) * pow(d, -1, P) % P
    return (-v) % P if neg else v


def ref_diagonal(width: int) -> list[int]:
    return [ref_parse_entry(t) for t in P2["internal_diagonal"][str(width)].strip("[]").split(",")]


def ref_external(s: list[int]) -> list[int]:
    """Each block of 4 times M4, then add s_(i mod 4) = sum of the (i mod 4)-th block elements."""
    blocks = [[sum(M4[r][c] * s[b + c] for c in range(4)) for r in range(4)] for b in range(0, len(s), 4)]
    flat = [x for blk in blocks for x in blk]
    sums = [sum(blk[k] for blk in blocks) for k in range(4)]
    return [(x + sums[i % 4]) % P for i, x in enumerate(flat)]


def ref_permute(state: list[int]) -> list[int]:
    """Poseidon2 exactly as the README's four steps describe it, parameters read from the json."""
    width = len(state)
    rc = P2["round_constants"][str(width)]
    diag = ref_diagonal(width)
    s = ref_external(list(state))
    for row in rc["external_initial"]:
        s = ref_external([pow(x + c, 3, P) for x, c in zip(s, row)])
    for c in rc["internal"]:
        s[0] = pow(s[0] + c, 3, P)
        total = sum(s)
        s = [(total + d * x) % P for x, d in zip(s, diag)]
    for row in rc["external_final"]:
        s = ref_external([pow(x + c, 3, P) for x, c in zip(s, row)])
    return s


# -- permutation -------------------------------------------------------------------------------

def test_known_answer_width16():
    """The width-16 test vector of the parameter file is reproduced by all three implementations."""
    vectors = P2["test_vectors"]["16"]
    assert vectors
    for v in vectors:
        assert permute(v["input"]) == v["output"]
        assert ref_permute(v["input"]) == v["output"]
        batch = permute_batch(np.array([v["input"]], np.uint32))
        assert batch.tolist() == [v["output"]]


def test_parameter_shapes_match_file():
    """params(width) has the file's round counts, constants and a diagonal parsed independently."""
    for width in WIDTHS:
        prm = params(width)
        rc = P2["round_constants"][str(width)]
        assert prm.partial_rounds == P2["partial_rounds"][str(width)] == len(rc["internal"])
        assert [list(r) for r in prm.external_initial] == rc["external_initial"]
        assert [list(r) for r in prm.external_final] == rc["external_final"]
        assert len(prm.external_initial) + len(prm.external_final) == P2["full_rounds"]
        assert list(prm.diagonal) == ref_diagonal(width)


@pytest.mark.parametrize("width", WIDTHS)
@given(data=st.data())
def test_permute_matches_readme_reference(width, data):
    """permute equals the README construction for both widths (the only check width 24 gets)."""
    state = data.draw(state_of(width))
    assert permute(state) == ref_permute(state)


@pytest.mark.parametrize("width", WIDTHS)
@given(data=st.data(), n=st.integers(0, 6))
def test_permute_batch_matches_plain(width, data, n):
    """The numba batch kernel equals the plain permutation row by row (including n = 0)."""
    states = data.draw(st.lists(state_of(width), min_size=n, max_size=n))
    out = permute_batch(np.array(states, np.uint32).reshape(n, width))
    assert out.dtype == np.uint32 and out.shape == (n, width)
    assert out.tolist() == [permute(s) for s in states]


@given(data=st.data(), n=st.one_of(st.integers(1, 5), st.just(70)))
def test_gate_trace_kernel_matches_plain_row(data, n):
    """The witness generator's Poseidon2 gate rows (numba, used for every batch size; serial
    below 64 rows, threaded from 64) equal the plain ``poseidon2_trace`` rows, for swaps 0, 1
    and non-boolean (only invalid witnesses have those) and both feed-forward flags."""
    from shielded.proof.gates import poseidon2_trace
    from shielded.proof.poseidon2_trace import trace_batch
    inputs = data.draw(st.lists(state_of(16), min_size=n, max_size=n))
    swaps = data.draw(st.lists(st.one_of(st.sampled_from([0, 1]), elements), min_size=n, max_size=n))
    ffs = data.draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n))
    rows = trace_batch(np.array(inputs, np.uint32), np.array(swaps, np.uint32), np.array(ffs, np.uint32))
    assert rows.tolist() == [poseidon2_trace(i, s, f) for i, s, f in zip(inputs, swaps, ffs)]


@pytest.mark.parametrize("width", WIDTHS)
def test_permute_batch_across_lane_chunks(width):
    """More rows than one 128-lane chunk (and a ragged last chunk) still match the plain path."""
    rng = np.random.default_rng(width)
    states = rng.integers(0, P, (130, width), dtype=np.uint32)
    out = permute_batch(states.astype(np.int64))  # a non-uint32 dtype is converted, not misread
    for i in (0, 1, 127, 128, 129):
        assert out[i].tolist() == permute(states[i].tolist())


@pytest.mark.parametrize("width", [0, 4, 8, 15, 17, 23, 25, 32])
def test_permute_rejects_bad_width(width):
    """Only widths 16 and 24 exist: any other length raises ParameterError."""
    with pytest.raises(ParameterError, match="width"):
        permute([0] * width)
    with pytest.raises(ParameterError):
        permute_batch(np.zeros((1, width), np.uint32))


@pytest.mark.parametrize("bad", [P, P + 1, -1, 2**32, True, 1.5])
def test_permute_rejects_non_canonical(bad):
    """A state element outside [0, p) (or not an int) raises ParameterError, it is not reduced."""
    with pytest.raises(ParameterError):
        permute([0] * 15 + [bad])
    with pytest.raises(ParameterError):
        permute([bad] + [0] * 23)


@pytest.mark.parametrize("bad", [np.array([[P] * 16], np.uint32), np.array([[2**32 - 1] * 16], np.uint32),
                                 np.array([[-1] * 16], np.int64), np.array([[P] * 24], np.int64)])
def test_permute_batch_rejects_non_canonical(bad):
    """permute_batch checks its input range for uint32 and for other integer dtypes."""
    with pytest.raises(ParameterError):
        permute_batch(bad)


def test_permute_batch_rejects_bad_shape():
    """A 1-D state is not silently treated as a batch."""
    with pytest.raises(ParameterError):
        permute_batch(np.zeros(16, np.uint32))


@given(state_of(16), st.lists(st.lists(elements, min_size=8, max_size=8), max_size=4))
def test_absorb_blocks_matches_plain_duplex(state, blocks):
    """absorb_blocks = for each block: overwrite the rate, permute (plain loop)."""
    s = list(state)
    for blk in blocks:
        s = permute(blk + s[8:])
    out = absorb_blocks(np.array(state, np.uint32), np.array(blocks, np.uint32).reshape(len(blocks), 8))
    assert out.tolist() == s


# -- parameters --------------------------------------------------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
def test_parse_diagonal_file_strings(width):
    """The file's diagonal strings parse to the independently parsed field elements."""
    text = P2["internal_diagonal"][str(width)]
    assert parse_diagonal(text) == ref_diagonal(width)
    assert len(parse_diagonal(text)) == width


def test_parse_diagonal_forms():
    """Each accepted form denotes the right element: n, -n, 1/n, 1/2^k, -1/2^k (spaces tolerated)."""
    assert parse_diagonal("[ 5, -2, 1/3, 1/2^8, -1/2^24 ]") == [
        5, P - 2, pow(3, -1, P), pow(256, -1, P), (-pow(2**24, -1, P)) % P]


@pytest.mark.parametrize("text", ["[1/0]", "[abc]", "1,2", "[1/2^x]", "[]", "[1,,2]", "[2/3]", "[1/2^-1]",
                                  "[1.5]", "[--1]", f"[1/{P}]", "[1, 2", "1, 2]"])
def test_parse_diagonal_rejects_malformed(text):
    """Malformed entries raise ParameterError instead of parsing to some number."""
    with pytest.raises(ParameterError):
        parse_diagonal(text)


def test_parse_diagonal_rejects_non_ascii_digits():
    """Only the ASCII forms the file uses are accepted ("rejecting anything else")."""
    with pytest.raises(ParameterError):
        parse_diagonal("[\u0661\u0662]")


@pytest.mark.parametrize("width", [8, 20, 32])
def test_params_rejects_unknown_width(width):
    """No parameters exist for other widths."""
    with pytest.raises(ParameterError):
        params(width)


# -- generic linear layers ---------------------------------------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
@given(data=st.data())
def test_generic_layers_on_ints_match_plain(width, data):
    """The algebra-generic layers (used by the gate) reduce to the plain layers on ints."""
    s = data.draw(state_of(width))
    diag = params(width).diagonal
    assert [x % P for x in generic.external_layer(s)] == external_linear_layer(s) == ref_external(s)
    assert [x % P for x in generic.internal_layer(s, diag)] == internal_linear_layer(s, diag)


@given(state_of(16))
def test_generic_layers_on_ext_match_plain(s):
    """On base elements embedded in Ext the generic layers still agree (the gate's algebra)."""
    diag = params(16).diagonal
    assert generic.external_layer([Ext(x) for x in s]) == [Ext(x) for x in external_linear_layer(s)]
    assert generic.internal_layer([Ext(x) for x in s], diag) == [Ext(x) for x in internal_linear_layer(s, diag)]


# -- sponge and compression --------------------------------------------------------------------

def ref_sponge(tag: int, inputs: list[int]) -> tuple[int, ...]:
    """SPEC 2.2: state = (0^8, tag, L, 0^6); overwrite the rate with each zero-padded block; permute."""
    state = [0] * 8 + [tag, len(inputs)] + [0] * 6
    blocks = [inputs[i:i + 8] for i in range(0, len(inputs), 8)] or [[]]
    for blk in blocks:
        state = ref_permute(blk + [0] * (8 - len(blk)) + state[8:])
    return tuple(state[:8])


@given(st.one_of(st.sampled_from(list(Tag)), elements), st.lists(elements, max_size=20))
def test_hash_elements_matches_spec(tag, inputs):
    """hash_elements equals the sponge of SPEC 2.2 built on the README permutation."""
    assert hash_elements(tag, inputs) == ref_sponge(int(tag), inputs)


def test_hash_elements_empty_input():
    """An empty input costs one permutation of (0^8, tag, 0, 0^6) and differs per tag."""
    for tag in Tag:
        assert hash_elements(tag, []) == tuple(permute([0] * 8 + [int(tag), 0] + [0] * 6)[:8])
    assert len({hash_elements(tag, []) for tag in Tag}) == len(Tag)


def test_hash_elements_domain_separation():
    """Tags and lengths separate domains: zero padding does not collide with explicit zeros."""
    inputs = [7, 8, 9]
    tags = [int(t) for t in Tag] + [0, 16, 17]
    assert len({hash_elements(tag, inputs) for tag in tags}) == len(set(tags))
    lengths = [[], [0], [0] * 7, [0] * 8, [0] * 9, [0] * 16]
    assert len({hash_elements(PROTOCOL_TAG, x) for x in lengths}) == len(lengths)
    assert hash_elements(PROTOCOL_TAG, [1, 2]) != hash_elements(PROTOCOL_TAG, [2, 1])


@pytest.mark.parametrize("bad", [[P], [-1], [1, 2, 2**40]])
def test_hash_elements_rejects_non_canonical(bad):
    """Inputs outside [0, p) raise ParameterError."""
    with pytest.raises(ParameterError):
        hash_elements(PROTOCOL_TAG, bad)


@given(state_of(8), state_of(8))
def test_compress_matches_hand_computation(left, right):
    """compress(l, r) = first 8 of P(l || r) + (l || r), with the README permutation."""
    y = ref_permute(left + right)
    expect = tuple((y[i] + (left + right)[i]) % P for i in range(8))
    assert compress(left, right) == expect
    assert compress_reference(left, right) == expect
    assert compress(right, left) != expect or left == right


@pytest.mark.parametrize("left,right", [([0] * 7, [0] * 8), ([0] * 8, [0] * 9), ([0] * 4, [0] * 12)])
def test_compress_rejects_wrong_lengths(left, right):
    """Both halves must be 8-element digests, even when the total is 16."""
    with pytest.raises(ParameterError):
        compress(left, right)


@given(st.data(), st.integers(0, 20), st.integers(1, 5), st.integers(0, 5))
def test_hash_columns_matches_hash_elements(data, rows, cols, salt_rows):
    """hash_columns digests column j of [mat; salt] exactly as hash_elements would."""
    mat = data.draw(st.lists(st.lists(elements, min_size=cols, max_size=cols), min_size=rows, max_size=rows))
    salt = data.draw(st.lists(st.lists(elements, min_size=cols, max_size=cols),
                              min_size=salt_rows, max_size=salt_rows))
    m = np.array(mat, np.uint32).reshape(rows, cols)
    s = np.array(salt, np.uint32).reshape(salt_rows, cols)
    tag = data.draw(st.sampled_from(list(Tag)))
    out = hash_columns(m, tag, s if salt_rows else None)
    assert out.shape == (cols, 8)
    for j in range(cols):
        column = [r[j] for r in mat] + [r[j] for r in salt]
        assert tuple(out[j].tolist()) == hash_elements(tag, column)


def test_hash_columns_many_leaves():
    """More columns than one 128-lane chunk: spot-check both chunks against hash_elements."""
    rng = np.random.default_rng(5)
    m = rng.integers(0, P, (11, 200), dtype=np.uint32)
    out = hash_columns(m, Tag.MERKLE_LEAF)
    for j in (0, 127, 128, 199):
        assert tuple(out[j].tolist()) == hash_elements(Tag.MERKLE_LEAF, m[:, j].tolist())


def test_hash_columns_salt_shape_checked():
    """A salt with the wrong number of columns raises ParameterError."""
    with pytest.raises(ParameterError):
        hash_columns(np.zeros((2, 4), np.uint32), Tag.MERKLE_LEAF, np.zeros((1, 3), np.uint32))


@given(st.lists(st.tuples(state_of(8), state_of(8)), max_size=5))
def test_compress_pairs_matches_compress(pairs):
    """compress_pairs is row-wise compress (including an empty batch)."""
    n = len(pairs)
    left = np.array([p[0] for p in pairs], np.uint32).reshape(n, 8)
    right = np.array([p[1] for p in pairs], np.uint32).reshape(n, 8)
    out = compress_pairs(left, right)
    assert [tuple(r) for r in out.tolist()] == [compress(a, b) for a, b in pairs]


def test_compress_pairs_rejects_bad_shapes():
    """Mismatched or non-digest shapes raise ParameterError."""
    with pytest.raises(ParameterError):
        compress_pairs(np.zeros((2, 8), np.uint32), np.zeros((3, 8), np.uint32))
    with pytest.raises(ParameterError):
        compress_pairs(np.zeros((2, 4), np.uint32), np.zeros((2, 4), np.uint32))


# -- Keccak-256 --------------------------------------------------------------------------------

_KECCAK_ROUNDS = 24


def _rc_bit(t: int) -> int:
    r = 1
    for _ in range(t % 255):
        r <<= 1
        if r & 0x100:
            r ^= 0x171
    return r & 1


_RC = [sum(_rc_bit(j + 7 * i) << ((1 << j) - 1) for j in range(7)) for i in range(_KECCAK_ROUNDS)]
_ROT = [[0] * 5 for _ in range(5)]
_x, _y = 1, 0
for _t in range(24):
    _ROT[_x][_y] = ((_t + 1) * (_t + 2) // 2) % 64
    _x, _y = _y, (2 * _x + 3 * _y) % 5
_MASK = (1 << 64) - 1


def _rol(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _MASK if n else v


def _keccak_f(a: list[int]) -> list[int]:
    """Keccak-f[1600] on 25 lanes indexed x + 5y (FIPS 202 step mappings)."""
    for rnd in range(_KECCAK_ROUNDS):
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [a[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = _rol(a[x + 5 * y], _ROT[x][y])
        a = [b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]) for y in range(5) for x in range(5)]
        a[0] ^= _RC[rnd]
    return a


def ref_keccak256(msg: bytes) -> bytes:
    """Original Keccak padding (0x01 ... 0x80, not SHA-3's 0x06), rate 136 bytes."""
    rate = 136
    padded = bytearray(msg) + b"\x01" + bytes((-len(msg) - 1) % rate)
    padded[-1] |= 0x80
    state = [0] * 25
    for off in range(0, len(padded), rate):
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(padded[off + 8 * i:off + 8 * i + 8], "little")
        state = _keccak_f(state)
    return b"".join(lane.to_bytes(8, "little") for lane in state[:4])


@pytest.mark.parametrize("msg,digest", [
    (b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
    (b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
    (b"The quick brown fox jumps over the lazy dog",
     "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"),
])
def test_keccak256_known_answers(msg, digest):
    """Ethereum Keccak-256 known answers (the pure-Python reference reproduces them too)."""
    assert keccak256(msg).hex() == digest
    assert ref_keccak256(msg).hex() == digest


def test_keccak256_is_not_sha3():
    """Keccak-256 differs from NIST SHA3-256 (padding), and gives the familiar EVM selectors."""
    assert keccak256(b"") != hashlib.sha3_256(b"").digest()
    assert keccak256(b"abc") != hashlib.sha3_256(b"abc").digest()
    assert keccak256(b"transfer(address,uint256)")[:4].hex() == "a9059cbb"
    assert keccak256(b"balanceOf(address)")[:4].hex() == "70a08231"


@given(st.one_of(st.binary(max_size=300), st.integers(130, 140).map(lambda n: bytes(range(n)))))
def test_keccak256_matches_reference(msg):
    """keccak256 equals the pure-Python sponge, including lengths around the 136-byte rate."""
    assert keccak256(msg) == ref_keccak256(msg)
