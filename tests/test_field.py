"""KoalaBear base field, quartic extension and the numba vector kernels (SPEC.md section 1).

The scalar functions are checked against Python integers mod p; the Ext class against a schoolbook
product reduced with u^4 = W; every vector kernel against its scalar twin.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shielded.data import load_parameters
from shielded.errors import ParameterError
from shielded.field import koalabear as kb
from shielded.field import vec
from shielded.field.ext import DEGREE, ONE, W, ZERO, Ext, ext_batch_inverse, ext_powers
from shielded.field.koalabear import GENERATOR, P, TWO_ADICITY

FIELD = load_parameters()["field"]

# Values that stress reductions: 0, 1, p-1, p-2, (p-1)/2, 2^30, 2^31 - 2^24 (p-1), 2^24.
EDGE = [0, 1, 2, P - 1, P - 2, (P - 1) // 2, (P + 1) // 2, 1 << 30, 1 << 24, (1 << 32) % P]

elements = st.one_of(st.integers(0, P - 1), st.sampled_from(EDGE))
nonzero = elements.filter(lambda x: x != 0)
exts = st.builds(Ext, elements, elements, elements, elements)
nonzero_exts = exts.filter(lambda e: not e.is_zero())
vectors = st.lists(elements, min_size=0, max_size=40)


def ref_ext_mul(a: Ext, b: Ext) -> Ext:
    """Schoolbook product of two cubics, then fold u^(4+k) = W u^k: independent of Ext.__mul__."""
    prod = [0] * 7
    for i, x in enumerate(a.c):
        for j, y in enumerate(b.c):
            prod[i + j] += x * y
    return Ext(*(prod[k] + (W * prod[k + 4] if k + 4 < 7 else 0) for k in range(4)))


def ref_ext_pow(a: Ext, e: int) -> Ext:
    """Square-and-multiply with the reference product."""
    acc, base = Ext(1), a
    while e:
        if e & 1:
            acc = ref_ext_mul(acc, base)
        base = ref_ext_mul(base, base)
        e >>= 1
    return acc


def arr(values) -> np.ndarray:
    return np.array(values, dtype=np.uint32).reshape(len(values))


def ext_arr(values) -> np.ndarray:
    return np.array([v.c for v in values], dtype=np.uint32).reshape(len(values), 4)


# -- base field ------------------------------------------------------------------------------

def test_modulus_and_factorisation():
    """p is KoalaBear's prime and p - 1 = 2^24 * 127 with 127 prime: the structure the rest relies on."""
    assert P == FIELD["p"] == 2**31 - 2**24 + 1
    assert TWO_ADICITY == FIELD["two_adicity"] == 24
    assert P - 1 == 2**24 * 127
    assert all(127 % d for d in range(2, 12))
    assert all(P % d for d in range(2, 46341))  # trial division up to sqrt(p): p is prime


@given(elements, elements, elements)
def test_ring_laws_against_int(a, b, c):
    """add/sub/mul/neg agree with Python ints mod p and satisfy the ring axioms."""
    assert kb.add(a, b) == (a + b) % P
    assert kb.sub(a, b) == (a - b) % P
    assert kb.mul(a, b) == (a * b) % P
    assert kb.neg(a) == (-a) % P
    assert kb.add(kb.add(a, b), c) == kb.add(a, kb.add(b, c))
    assert kb.mul(kb.mul(a, b), c) == kb.mul(a, kb.mul(b, c))
    assert kb.mul(a, kb.add(b, c)) == kb.add(kb.mul(a, b), kb.mul(a, c))
    assert kb.add(a, kb.neg(a)) == 0
    assert kb.exp(a, 5) == a**5 % P


@given(nonzero)
def test_inverse(a):
    """inv(a) * a = 1 and inv matches Fermat's little theorem computed with Python ints."""
    assert kb.inv(a) * a % P == 1
    assert kb.inv(a) == pow(a, P - 2, P)


def test_inverse_of_zero_raises():
    """0 has no inverse: inv and batch_inverse raise ZeroDivisionError rather than return 0."""
    with pytest.raises(ZeroDivisionError):
        kb.inv(0)
    with pytest.raises(ZeroDivisionError):
        kb.inv(P)
    with pytest.raises(ZeroDivisionError):
        kb.batch_inverse([3, 0, 5])


@given(st.lists(nonzero, max_size=30))
def test_batch_inverse(values):
    """Montgomery's trick returns the element-wise inverses (including the empty list)."""
    assert kb.batch_inverse(values) == [pow(v, P - 2, P) for v in values]


def test_generator_generates_multiplicative_group():
    """g = 3 has order p - 1: g^((p-1)/q) != 1 for the prime factors q in {2, 127} of p - 1."""
    assert pow(GENERATOR, P - 1, P) == 1
    for q in (2, 127):
        assert pow(GENERATOR, (P - 1) // q, P) != 1
    # and a non-generator is caught by the same test (so the test can fail): 9 = 3^2 is a square
    assert pow(9, (P - 1) // 2, P) == 1


def test_two_adic_generators():
    """Entry k is a primitive 2^k-th root of unity, squares to entry k-1, and matches the file."""
    gens = FIELD["two_adic_generators"]
    assert len(gens) == TWO_ADICITY + 1
    for k in range(TWO_ADICITY + 1):
        w = kb.two_adic_generator(k)
        assert w == gens[k]
        assert pow(w, 1 << k, P) == 1
        if k > 0:
            assert pow(w, 1 << (k - 1), P) == P - 1  # primitive: order exactly 2^k
            assert w * w % P == kb.two_adic_generator(k - 1)
    assert kb.two_adic_generator(0) == 1


@pytest.mark.parametrize("k", [-1, TWO_ADICITY + 1])
def test_two_adic_generator_out_of_range(k):
    """No 2^k-th root of unity exists beyond the two-adicity: ParameterError."""
    with pytest.raises(ParameterError):
        kb.two_adic_generator(k)


@pytest.mark.parametrize("bad", [-1, P, P + 5, True, 1.0, "3", None])
def test_check_elements_rejects(bad):
    """check_elements accepts only ints in [0, p) (bools excluded) and names the field."""
    with pytest.raises(ParameterError, match=r"thing\[1\]"):
        kb.check_elements([0, bad], "thing")
    assert kb.check_elements([0, P - 1], "thing") == [0, P - 1]


# -- extension field ---------------------------------------------------------------------------

def _polymod_gcd(a: list[int], b: list[int]) -> list[int]:
    """gcd of two polynomials over F_p (coefficient lists, low degree first), made monic."""
    def trim(x):
        x = [c % P for c in x]
        while x and x[-1] == 0:
            x.pop()
        return x

    a, b = trim(a), trim(b)
    while b:
        r = list(a)
        inv_lead = pow(b[-1], P - 2, P)
        while len(r) >= len(b):
            f = r[-1] * inv_lead % P
            shift = len(r) - len(b)
            for i, c in enumerate(b):
                r[shift + i] = (r[shift + i] - f * c) % P
            r = trim(r)
            if not r:
                break
        a, b = b, r
    return [c * pow(a[-1], P - 2, P) % P for c in a]


def test_extension_modulus_irreducible():
    """u^4 - 3 is irreducible, so F_p[u]/(u^4 - 3) is a field.

    Capelli: x^4 - a is irreducible iff a is not a square and a is not in -4F^4; as p = 1 mod 4,
    -4 = (1 + i)^4 is a fourth power, so only "3 is a non-square" (Euler: 3^((p-1)/2) = -1) matters.
    Independently, Rabin's test: u^(p^4) = u and gcd(u^(p^2) - u, u^4 - 3) = 1.
    """
    assert W == FIELD["extension"]["W"] == 3 and DEGREE == 4
    assert P % 4 == 1
    assert pow(W, (P - 1) // 2, P) == P - 1
    u = Ext(0, 1)
    assert ref_ext_pow(u, P**4) == u
    h = ref_ext_pow(u, P**2) - u
    assert _polymod_gcd([-W, 0, 0, 0, 1], list(h.c)) == [1]
    # the same test does detect a reducible modulus: u^4 - 4 = (u^2 - 2)(u^2 + 2)
    assert len(_polymod_gcd([-4, 0, 0, 0, 1], [-2, 0, 1])) == 3


@given(exts, exts, exts)
def test_ext_field_laws(a, b, c):
    """Ext +, -, * match the schoolbook reference and satisfy the ring axioms."""
    assert a * b == ref_ext_mul(a, b)
    assert (a + b).c == tuple((x + y) % P for x, y in zip(a.c, b.c))
    assert (a - b).c == tuple((x - y) % P for x, y in zip(a.c, b.c))
    assert a * b == b * a
    assert (a * b) * c == a * (b * c)
    assert a * (b + c) == a * b + a * c
    assert a - a == ZERO and a + (-a) == ZERO
    assert a * ONE == a


@given(exts, elements)
def test_ext_mixed_with_base(a, k):
    """An int operand acts as the base-field element k (embedding F_p into E)."""
    assert a + k == a + Ext(k)
    assert k + a == a + Ext(k)
    assert a - k == a - Ext(k)
    assert k - a == Ext(k) - a
    assert a * k == a * Ext(k) == k * a


@given(nonzero_exts)
def test_ext_inverse(a):
    """a * a^-1 = 1, division agrees with inverse, and a^(-1) = a^(p^4 - 2)."""
    ai = a.inverse()
    assert ref_ext_mul(a, ai) == ONE
    assert ONE / a == ai
    assert a / a == ONE
    assert a ** -1 == ai


def test_ext_inverse_of_zero_raises():
    """Zero in E has no inverse: ZeroDivisionError from inverse, / and int division."""
    with pytest.raises(ZeroDivisionError):
        ZERO.inverse()
    with pytest.raises(ZeroDivisionError):
        Ext(1) / ZERO
    with pytest.raises(ZeroDivisionError):
        Ext(1, 2) / 0


@given(exts)
def test_frobenius_is_pth_power(a):
    """frobenius(a) = a^p (computed with the reference product), and order 4: phi^4 = id."""
    f = a.frobenius()
    assert f == ref_ext_pow(a, P)
    assert f.frobenius().frobenius().frobenius() == a


@given(st.lists(nonzero_exts, max_size=12))
def test_ext_batch_inverse(values):
    """ext_batch_inverse equals element-wise inverse, for the empty list too."""
    assert ext_batch_inverse(values) == [v.inverse() for v in values]


def test_ext_batch_inverse_zero_raises():
    """A zero anywhere in the batch raises instead of silently returning garbage."""
    with pytest.raises(ZeroDivisionError):
        ext_batch_inverse([Ext(1), ZERO, Ext(2)])


@given(exts, st.integers(0, 10))
def test_ext_powers(base, count):
    """ext_powers returns [1, b, b^2, ...] of the requested length."""
    assert ext_powers(base, count) == [ref_ext_pow(base, i) for i in range(count)]


def test_ext_immutable_and_from_coeffs():
    """Ext values are immutable and from_coeffs insists on 4 coefficients."""
    a = Ext(1, 2, 3, 4)
    with pytest.raises(AttributeError):
        a.c = (0, 0, 0, 0)
    assert Ext.from_coeffs([1, 2, 3, 4]) == a
    assert Ext(P + 1) == 1 and Ext(-1) == Ext(P - 1)
    with pytest.raises(ParameterError):
        Ext.from_coeffs([1, 2, 3])


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_ext_copy_and_pickle(how):
    """An immutable value must survive copy, deepcopy and pickling (proofs hold Ext values)."""
    a = Ext(1, 2, 3, P - 1)
    f = {"copy": copy.copy, "deepcopy": copy.deepcopy, "pickle": lambda x: pickle.loads(pickle.dumps(x))}[how]
    assert f(a) == a
    assert f([a, Ext(5)]) == [a, Ext(5)]


# -- vector kernels ----------------------------------------------------------------------------

@given(st.data(), st.integers(0, 40))
def test_vec_base_kernels(data, n):
    """add/sub/mul/scale on uint32 arrays equal the scalar twins element-wise (incl. n = 0, 1)."""
    a = data.draw(st.lists(elements, min_size=n, max_size=n))
    b = data.draw(st.lists(elements, min_size=n, max_size=n))
    c = data.draw(elements)
    A, B = arr(a), arr(b)
    for kernel, scalar in ((vec.add, kb.add), (vec.sub, kb.sub), (vec.mul, kb.mul)):
        out = kernel(A, B)
        assert out.dtype == np.uint32 and out.shape == (n,)
        assert out.tolist() == [scalar(x, y) for x, y in zip(a, b)]
    assert vec.scale(A, c).tolist() == [kb.mul(x, c) for x in a]


@given(elements, st.integers(0, 40))
def test_vec_powers(base, count):
    """powers(b, n) = [1, b, ..., b^(n-1)] computed with Python pow."""
    assert vec.powers(base, count).tolist() == [pow(base, i, P) for i in range(count)]


@given(st.lists(nonzero, max_size=40))
def test_vec_batch_inverse(values):
    """The numba batch inverse equals the scalar one, including empty and length-1 arrays."""
    assert vec.batch_inverse(arr(values)).tolist() == [pow(v, P - 2, P) for v in values]


def test_vec_batch_inverse_zero_raises():
    """A zero element raises ZeroDivisionError from inside the kernel."""
    with pytest.raises(ZeroDivisionError):
        vec.batch_inverse(arr([1, 2, 0]))
    with pytest.raises(ZeroDivisionError):
        vec.ext_batch_inverse(ext_arr([Ext(1), ZERO]))


@given(st.data(), st.integers(0, 20))
def test_vec_ext_kernels(data, n):
    """ext_mul/add/sub/scale_base on (n, 4) arrays equal Ext arithmetic row by row."""
    a = data.draw(st.lists(exts, min_size=n, max_size=n))
    b = data.draw(st.lists(exts, min_size=n, max_size=n))
    s = data.draw(st.lists(elements, min_size=n, max_size=n))
    A, B = ext_arr(a), ext_arr(b)
    out = vec.ext_mul(A, B)
    assert out.shape == (n, 4) and out.dtype == np.uint32
    assert vec.array_to_ext(out) == [ref_ext_mul(x, y) for x, y in zip(a, b)]
    assert vec.array_to_ext(vec.ext_add(A, B)) == [x + y for x, y in zip(a, b)]
    assert vec.array_to_ext(vec.ext_sub(A, B)) == [x - y for x, y in zip(a, b)]
    assert vec.array_to_ext(vec.ext_scale_base(A, arr(s))) == [x * k for x, k in zip(a, s)]


@given(st.lists(nonzero_exts, max_size=20))
def test_vec_ext_batch_inverse(values):
    """The numba extension batch inverse equals Ext.inverse row by row."""
    out = vec.ext_batch_inverse(ext_arr(values))
    assert vec.array_to_ext(out) == [v.inverse() for v in values]


@given(st.lists(exts, max_size=10))
def test_ext_array_roundtrip(values):
    """ext_to_array and array_to_ext are inverse conversions."""
    a = vec.ext_to_array(values)
    assert a.shape == (len(values), 4)
    assert vec.array_to_ext(a) == values


@given(st.lists(elements, min_size=1, max_size=20))
def test_as_field_array_accepts_canonical(values):
    """Canonical values (list, int64 or uint32 array) convert to an equal uint32 array."""
    for src in (values, np.array(values, dtype=np.int64), np.array(values, dtype=np.uint32)):
        out = vec.as_field_array(src)
        assert out.dtype == np.uint32 and out.tolist() == values


def test_as_field_array_empty_arrays():
    """Empty integer arrays are valid (vacuously canonical) and give an empty uint32 array."""
    for src in (np.zeros(0, np.uint32), np.zeros(0, np.int64)):
        out = vec.as_field_array(src)
        assert out.dtype == np.uint32 and out.shape == (0,)


def test_as_field_array_empty_list():
    """An empty Python list is a valid (empty) list of field elements."""
    out = vec.as_field_array([])
    assert out.dtype == np.uint32 and out.shape == (0,)


@pytest.mark.parametrize("bad", [
    [P], [0, P - 1, P], [-1], np.array([P], np.uint32), np.array([2**32 - 1], np.uint32),
    np.array([-1], np.int64), np.array([P], np.uint64), [2**70], np.array([1.0]), np.array([True]),
])
def test_as_field_array_rejects(bad):
    """Out-of-range or non-integer input raises ParameterError naming the field."""
    with pytest.raises(ParameterError, match="widget"):
        vec.as_field_array(bad, "widget")
