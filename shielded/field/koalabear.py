"""The KoalaBear prime field F_p, p = 2^31 - 2^24 + 1, on Python integers.

Elements are ints in [0, p).  These scalar functions are the reference path; the vector kernels
in ``shielded.field.vec`` are checked against them.  Parameters come from
``shielded/data/koalabear_poseidon2.json`` (a copy of ../shared/vectors).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from shielded.data import load_parameters
from shielded.errors import ParameterError

_FIELD = load_parameters()["field"]

P: int = _FIELD["p"]
"""The modulus 2^31 - 2^24 + 1."""
TWO_ADICITY: int = _FIELD["two_adicity"]
"""p - 1 = 2^24 * 127."""
GENERATOR: int = 3
"""A generator of the multiplicative group F_p^*; checked in tests/test_field.py."""

_TWO_ADIC_GENERATORS: tuple[int, ...] = tuple(_FIELD["two_adic_generators"])

if P != 2**31 - 2**24 + 1 or len(_TWO_ADIC_GENERATORS) != TWO_ADICITY + 1:
    raise ParameterError("koalabear_poseidon2.json: field parameters are not KoalaBear's")


def two_adic_generator(log_order: int) -> int:
    """A primitive 2^log_order-th root of unity (entry k squared is entry k-1)."""
    if not 0 <= log_order <= TWO_ADICITY:
        raise ParameterError(f"log_order must be in [0, {TWO_ADICITY}], got {log_order}")
    return _TWO_ADIC_GENERATORS[log_order]


def add(a: int, b: int) -> int:
    return (a + b) % P


def sub(a: int, b: int) -> int:
    return (a - b) % P


def neg(a: int) -> int:
    return (-a) % P


def mul(a: int, b: int) -> int:
    return (a * b) % P


def exp(a: int, e: int) -> int:
    return pow(a, e, P)


def inv(a: int) -> int:
    """Multiplicative inverse; raises ZeroDivisionError for 0."""
    if a % P == 0:
        raise ZeroDivisionError("inverse of zero in F_p")
    return pow(a, P - 2, P)


def batch_inverse(values: Sequence[int]) -> list[int]:
    """Inverses of many non-zero elements with one exponentiation (Montgomery's trick)."""
    prefix = []
    acc = 1
    for v in values:
        if v % P == 0:
            raise ZeroDivisionError("inverse of zero in F_p")
        prefix.append(acc)
        acc = acc * v % P
    acc_inv = inv(acc)
    out = [0] * len(values)
    for i in range(len(values) - 1, -1, -1):
        out[i] = prefix[i] * acc_inv % P
        acc_inv = acc_inv * values[i] % P
    return out


def is_canonical(a: object) -> bool:
    """True if ``a`` is an int in [0, p) (bool excluded)."""
    return isinstance(a, int) and not isinstance(a, bool) and 0 <= a < P


def check_elements(values: Iterable[object], what: str) -> list[int]:
    """Return ``values`` as a list of canonical elements, or raise ParameterError naming ``what``."""
    out = []
    for i, v in enumerate(values):
        if not is_canonical(v):
            raise ParameterError(f"{what}[{i}] must be an int in [0, p), got {v!r}")
        out.append(v)
    return out
