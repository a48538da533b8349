"""NTTs, coset low-degree extension and evaluation at extension points (SPEC.md section 3).

Every transform is compared with direct (quadratic) evaluation, and every evaluator with Horner's
rule over Ext.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shielded.errors import ParameterError
from shielded.field.ext import Ext
from shielded.field.koalabear import GENERATOR, P, two_adic_generator
from shielded.poly.evaluate import barycentric_eval, barycentric_weights, combine_rows, dot_rows, eval_coeffs_at
from shielded.poly.ntt import coset_intt, coset_lde, coset_ntt, intt, naive_dft, ntt

elements = st.one_of(st.integers(0, P - 1), st.sampled_from([0, 1, P - 1]))
exts = st.builds(Ext, elements, elements, elements, elements)


def horner_int(coeffs, x: int) -> int:
    """Direct evaluation over Python ints, independent of naive_dft."""
    return sum(c * pow(x, i, P) for i, c in enumerate(coeffs)) % P


def horner_ext(coeffs, z: Ext) -> Ext:
    acc = Ext()
    for c in reversed(list(coeffs)):
        acc = acc * z + int(c)
    return acc


def domain(log_n: int, shift: int = 1) -> list[int]:
    w = two_adic_generator(log_n)
    return [shift * pow(w, j, P) % P for j in range(1 << log_n)]


@st.composite
def matrices(draw, max_log=8, max_rows=3):
    """(rows, 2^k) uint32 matrix of field elements, k <= max_log."""
    log_n = draw(st.integers(0, max_log))
    rows = draw(st.integers(1, max_rows))
    n = 1 << log_n
    seed = draw(st.integers(0, 2**32 - 1))
    mat = np.random.default_rng(seed).integers(0, P, (rows, n), dtype=np.uint32)
    # mix in extreme values so reductions at p - 1 are exercised
    edge = draw(st.lists(st.tuples(st.integers(0, rows - 1), st.integers(0, n - 1), st.sampled_from([0, 1, P - 1])),
                         max_size=4))
    for r, c, v in edge:
        mat[r, c] = v
    return mat


def test_naive_dft_is_evaluation():
    """naive_dft (the reference the transforms are held to) is plain polynomial evaluation."""
    coeffs = [5, 0, P - 1, 7]
    pts = [0, 1, 2, P - 1, 12345]
    assert naive_dft(coeffs, pts) == [horner_int(coeffs, x) for x in pts]


@given(matrices())
def test_ntt_matches_naive_dft(mat):
    """ntt evaluates each row on H_n in natural order (entry j at w_n^j), sizes 1..2^8."""
    log_n = mat.shape[1].bit_length() - 1
    out = ntt(mat)
    assert out.shape == mat.shape and out.dtype == np.uint32
    pts = domain(log_n)
    for r in range(mat.shape[0]):
        assert out[r].tolist() == naive_dft(mat[r].tolist(), pts)


@given(matrices())
def test_intt_inverts_ntt(mat):
    """intt(ntt(c)) = c and ntt(intt(v)) = v."""
    assert np.array_equal(intt(ntt(mat)), mat)
    assert np.array_equal(ntt(intt(mat)), mat)


def test_ntt_all_sizes_deterministic():
    """Every size 2^0..2^8 (not left to chance), one row with values near p."""
    for log_n in range(9):
        n = 1 << log_n
        row = [(P - 1 - 3 * i) % P for i in range(n)]
        assert ntt(np.array([row], np.uint32))[0].tolist() == naive_dft(row, domain(log_n))


def test_ntt_one_dimensional_input():
    """A 1-D input is treated as one row."""
    v = np.array([1, 2, 3, 4], np.uint32)
    assert ntt(v).shape == (1, 4)
    assert ntt(v)[0].tolist() == naive_dft([1, 2, 3, 4], domain(2))


@given(matrices(max_log=6, max_rows=2), st.integers(0, 4), st.sampled_from([GENERATOR, 7, P - 1]))
def test_coset_lde_matches_evaluation(coeffs, log_blowup, shift):
    """coset_lde(values on H_n) = the polynomial's values on shift * H_(n*blowup) in natural order
    (blowups 1 to 16: every zero-padded transform starts at stage log blowup)."""
    n = coeffs.shape[1]
    log_n = n.bit_length() - 1
    evals = np.array([naive_dft(row.tolist(), domain(log_n)) for row in coeffs], np.uint32)
    lde = coset_lde(evals, 1 << log_blowup, shift)
    pts = domain(log_n + log_blowup, shift)
    assert lde.shape == (coeffs.shape[0], n << log_blowup)
    for r in range(coeffs.shape[0]):
        assert lde[r].tolist() == naive_dft(coeffs[r].tolist(), pts)


def test_coset_lde_default_shift_is_generator():
    """Without a shift argument the LDE lives on g * H_N, g = 3 (SPEC 3)."""
    coeffs = [4, 3, 2, 1]
    evals = np.array([naive_dft(coeffs, domain(2))], np.uint32)
    assert coset_lde(evals, 2)[0].tolist() == naive_dft(coeffs, domain(3, GENERATOR))


@given(matrices(max_log=6, max_rows=2), st.integers(0, 4), st.sampled_from([GENERATOR, 5, P - 1]))
def test_coset_ntt_and_inverse(coeffs, log_extra, shift):
    """coset_ntt zero-pads to out_len and evaluates on shift*H_out; coset_intt undoes it."""
    n = coeffs.shape[1]
    out_len = n << log_extra
    vals = coset_ntt(coeffs, shift, out_len)
    pts = domain(out_len.bit_length() - 1, shift)
    for r in range(coeffs.shape[0]):
        assert vals[r].tolist() == naive_dft(coeffs[r].tolist(), pts)
    padded = np.zeros((coeffs.shape[0], out_len), np.uint32)
    padded[:, :n] = coeffs
    assert np.array_equal(coset_intt(vals, shift), padded)
    assert np.array_equal(coset_intt(coset_ntt(coeffs, shift), shift), coeffs)


@pytest.mark.parametrize("n", [0, 3, 5, 6, 12, 100])
def test_non_power_of_two_rejected(n):
    """Transform lengths must be powers of two: ParameterError, not a wrong answer."""
    mat = np.ones((1, n), np.uint32)
    for f in (ntt, intt, lambda m: coset_ntt(m, GENERATOR), lambda m: coset_intt(m, GENERATOR)):
        with pytest.raises(ParameterError):
            f(mat)


def test_bad_out_len_and_blowup_rejected():
    """coset_ntt needs a power-of-two out_len >= n; coset_lde a power-of-two blowup >= 1."""
    mat = np.ones((1, 4), np.uint32)
    for out_len in (2, 6, 12):
        with pytest.raises(ParameterError):
            coset_ntt(mat, GENERATOR, out_len)
    for blowup in (0, 3, 6, -2):
        with pytest.raises(ParameterError):
            coset_lde(mat, blowup)


# -- evaluation at extension points -------------------------------------------------------------

@given(matrices(max_log=6, max_rows=3), exts)
def test_eval_coeffs_at_matches_horner(coeffs, z):
    """eval_coeffs_at(c, z) = sum c_i z^i (Horner over Ext) for every row."""
    out = eval_coeffs_at(coeffs, z)
    assert out.shape == (coeffs.shape[0], 4)
    for r in range(coeffs.shape[0]):
        assert Ext(*map(int, out[r])) == horner_ext(coeffs[r], z)


@given(matrices(max_log=6, max_rows=3), exts)
def test_barycentric_eval_matches_horner(coeffs, z):
    """barycentric_eval of the values on H_n equals Horner on the coefficients at z outside H_n."""
    n = coeffs.shape[1]
    log_n = n.bit_length() - 1
    if z.is_base() and pow(z.c[0], n, P) == 1:
        z = z + Ext(0, 1)  # keep z off the domain
    evals = np.array([naive_dft(row.tolist(), domain(log_n)) for row in coeffs], np.uint32)
    out = barycentric_eval(evals, z)
    for r in range(coeffs.shape[0]):
        assert Ext(*map(int, out[r])) == horner_ext(coeffs[r], z)


def test_barycentric_base_point_outside_domain():
    """A base-field z outside H_n (e.g. the generator) is evaluated correctly too."""
    coeffs = [9, 8, 7, 6, 5, 4, 3, 2]
    evals = np.array([naive_dft(coeffs, domain(3))], np.uint32)
    out = barycentric_eval(evals, Ext(GENERATOR))
    assert Ext(*map(int, out[0])) == Ext(horner_int(coeffs, GENERATOR))


@pytest.mark.parametrize("log_n", [0, 1, 3, 5])
def test_barycentric_rejects_point_in_domain(log_n):
    """Every point of H_n is refused with ParameterError (the formula would divide by zero)."""
    for x in domain(log_n):
        with pytest.raises(ParameterError):
            barycentric_weights(1 << log_n, Ext(x))


@pytest.mark.parametrize("n", [0, 3, 6])
def test_barycentric_rejects_bad_domain(n):
    """The domain size must be a power of two."""
    with pytest.raises(ParameterError):
        barycentric_weights(n, Ext(0, 1))


@given(st.integers(0, 4), st.integers(0, 20), st.data())
def test_dot_rows_matches_loop(rows, n, data):
    """dot_rows(mat, w)[r] = sum_j mat[r, j] w_j computed with Ext, including empty shapes."""
    mat = data.draw(st.lists(st.lists(elements, min_size=n, max_size=n), min_size=rows, max_size=rows))
    w = data.draw(st.lists(exts, min_size=n, max_size=n))
    m = np.array(mat, np.uint32).reshape(rows, n)
    wa = np.array([e.c for e in w], np.uint32).reshape(n, 4)
    out = dot_rows(m, wa)
    assert out.shape == (rows, 4)
    for r in range(rows):
        expect = Ext()
        for j in range(n):
            expect = expect + w[j] * mat[r][j]
        assert Ext(*map(int, out[r])) == expect


@given(st.integers(0, 4), st.integers(0, 20), st.data())
def test_combine_rows_matches_loop(rows, n, data):
    """combine_rows(mat, c)[j] = sum_r c_r mat[r, j] computed with Ext."""
    mat = data.draw(st.lists(st.lists(elements, min_size=n, max_size=n), min_size=rows, max_size=rows))
    c = data.draw(st.lists(exts, min_size=rows, max_size=rows))
    m = np.array(mat, np.uint32).reshape(rows, n)
    ca = np.array([e.c for e in c], np.uint32).reshape(rows, 4)
    out = combine_rows(m, ca)
    assert out.shape == (n, 4)
    for j in range(n):
        expect = Ext()
        for r in range(rows):
            expect = expect + c[r] * mat[r][j]
        assert Ext(*map(int, out[j])) == expect


def test_combine_rows_across_blocks():
    """More than one 1024-column block, with all-(p-1) data (largest unreduced sums)."""
    m = np.full((3, 2050), P - 1, np.uint32)
    c = np.full((3, 4), P - 1, np.uint32)
    out = combine_rows(m, c)
    expect = (3 * (P - 1) * (P - 1)) % P
    assert np.all(out == expect)


def test_shape_mismatch_rejected():
    """dot_rows/combine_rows refuse weights of the wrong shape with ParameterError."""
    m = np.zeros((2, 4), np.uint32)
    with pytest.raises(ParameterError):
        dot_rows(m, np.zeros((3, 4), np.uint32))
    with pytest.raises(ParameterError):
        combine_rows(m, np.zeros((4, 4), np.uint32))
