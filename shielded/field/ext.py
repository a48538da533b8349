"""The quartic extension F_p[u]/(u^4 - 3), the field all verifier challenges live in.

An ``Ext`` is an immutable 4-tuple of coefficients (c0, c1, c2, c3) meaning
c0 + c1 u + c2 u^2 + c3 u^3.  It has about 124 bits, which is what makes a random challenge
sound (DESIGN.md: a challenge from the 31-bit base field gives ~31 bits).
"""

from __future__ import annotations

from shielded.data import load_parameters
from shielded.errors import ParameterError
from shielded.field.koalabear import P

_EXT = load_parameters()["field"]["extension"]
W: int = _EXT["W"]
"""u^4 = W."""
DEGREE: int = _EXT["degree"]
if DEGREE != 4 or _EXT["kind"] != "binomial":
    raise ParameterError("koalabear_poseidon2.json: expected a binomial quartic extension")


class Ext:
    """An element of F_p^4.  Arithmetic with ints treats the int as a base-field element."""

    __slots__ = ("c",)
    c: tuple[int, int, int, int]

    def __init__(self, c0: int = 0, c1: int = 0, c2: int = 0, c3: int = 0):
        object.__setattr__(self, "c", (c0 % P, c1 % P, c2 % P, c3 % P))

    @classmethod
    def _raw(cls, c: tuple[int, int, int, int]) -> "Ext":
        obj = object.__new__(cls)
        object.__setattr__(obj, "c", c)
        return obj

    @classmethod
    def from_coeffs(cls, coeffs) -> "Ext":
        coeffs = tuple(coeffs)
        if len(coeffs) != 4:
            raise ParameterError(f"an extension element has 4 coefficients, got {len(coeffs)}")
        return cls(*coeffs)

    def __setattr__(self, name, value):
        raise AttributeError("Ext is immutable")

    def __reduce__(self):
        return (Ext, self.c)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    # -- comparisons ---------------------------------------------------------------------
    def __eq__(self, other) -> bool:
        if isinstance(other, Ext):
            return self.c == other.c
        if isinstance(other, int):
            return self.c == (other % P, 0, 0, 0)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.c)

    def __repr__(self) -> str:
        return f"Ext{self.c}"

    def is_zero(self) -> bool:
        return self.c == (0, 0, 0, 0)

    def is_base(self) -> bool:
        return self.c[1] == self.c[2] == self.c[3] == 0

    # -- ring operations -----------------------------------------------------------------
    def __add__(self, o):
        a = self.c
        if isinstance(o, Ext):
            b = o.c
            return Ext._raw(((a[0] + b[0]) % P, (a[1] + b[1]) % P, (a[2] + b[2]) % P, (a[3] + b[3]) % P))
        if isinstance(o, int):
            return Ext._raw(((a[0] + o) % P, a[1], a[2], a[3]))
        return NotImplemented

    __radd__ = __add__

    def __neg__(self):
        a = self.c
        return Ext._raw(((-a[0]) % P, (-a[1]) % P, (-a[2]) % P, (-a[3]) % P))

    def __sub__(self, o):
        a = self.c
        if isinstance(o, Ext):
            b = o.c
            return Ext._raw(((a[0] - b[0]) % P, (a[1] - b[1]) % P, (a[2] - b[2]) % P, (a[3] - b[3]) % P))
        if isinstance(o, int):
            return Ext._raw(((a[0] - o) % P, a[1], a[2], a[3]))
        return NotImplemented

    def __rsub__(self, o):
        if isinstance(o, int):
            a = self.c
            return Ext._raw(((o - a[0]) % P, (-a[1]) % P, (-a[2]) % P, (-a[3]) % P))
        return NotImplemented

    def __mul__(self, o):
        a = self.c
        if isinstance(o, Ext):
            a0, a1, a2, a3 = a
            b0, b1, b2, b3 = o.c
            return Ext._raw((
                (a0 * b0 + W * (a1 * b3 + a2 * b2 + a3 * b1)) % P,
                (a0 * b1 + a1 * b0 + W * (a2 * b3 + a3 * b2)) % P,
                (a0 * b2 + a1 * b1 + a2 * b0 + W * a3 * b3) % P,
                (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0) % P,
            ))
        if isinstance(o, int):
            return Ext._raw(((a[0] * o) % P, (a[1] * o) % P, (a[2] * o) % P, (a[3] * o) % P))
        return NotImplemented

    __rmul__ = __mul__

    def square(self) -> "Ext":
        return self * self

    def __pow__(self, e: int) -> "Ext":
        if e < 0:
            return self.inverse() ** (-e)
        result = ONE
        base = self
        while e:
            if e & 1:
                result = result * base
            base = base * base
            e >>= 1
        return result

    def inverse(self) -> "Ext":
        """Inverse via the norm to F_p[w]/(w^2 - W), w = u^2.  Raises ZeroDivisionError for 0.

        Write a = A + u B with A = a0 + a2 w, B = a1 + a3 w.  Then a (A - u B) = A^2 - w B^2 =
        c0 + c1 w, whose inverse is (c0 - c1 w) / (c0^2 - W c1^2).
        """
        a0, a1, a2, a3 = self.c
        # A^2 = (a0^2 + W a2^2) + 2 a0 a2 w ;  w B^2 = W 2 a1 a3 + (a1^2 + W a3^2) w
        c0 = (a0 * a0 + W * a2 * a2 - W * 2 * a1 * a3) % P
        c1 = (2 * a0 * a2 - a1 * a1 - W * a3 * a3) % P
        norm = (c0 * c0 - W * c1 * c1) % P
        if norm == 0:
            raise ZeroDivisionError("inverse of zero in F_p^4")
        ninv = pow(norm, P - 2, P)
        d0, d1 = c0 * ninv % P, (-c1) * ninv % P  # (c0 + c1 w)^-1 = d0 + d1 w
        # conj = A - u B = a0 - a1 u + a2 u^2 - a3 u^3 ; multiply by d0 + d1 u^2
        return Ext(a0, -a1, a2, -a3) * Ext._raw((d0, 0, d1, 0))

    def __truediv__(self, o):
        if isinstance(o, Ext):
            return self * o.inverse()
        if isinstance(o, int):
            return self * pow(o % P, P - 2, P) if o % P else _zero_div()
        return NotImplemented

    def __rtruediv__(self, o):
        if isinstance(o, int):
            return self.inverse() * o
        return NotImplemented

    def frobenius(self) -> "Ext":
        """a -> a^p.  u^p = u * W^((p-1)/4)."""
        return Ext._raw(tuple(ci * f % P for ci, f in zip(self.c, _FROB)))  # type: ignore[arg-type]


def _zero_div():
    raise ZeroDivisionError("division by zero in F_p")


_gamma = pow(W, (P - 1) // 4, P)
_FROB = (1, _gamma, _gamma * _gamma % P, pow(_gamma, 3, P))

ZERO = Ext._raw((0, 0, 0, 0))
ONE = Ext._raw((1, 0, 0, 0))
U = Ext._raw((0, 1, 0, 0))


def ext_batch_inverse(values: list[Ext]) -> list[Ext]:
    """Inverses of many non-zero extension elements with one inversion."""
    prefix = []
    acc = ONE
    for v in values:
        prefix.append(acc)
        acc = acc * v
    acc_inv = acc.inverse()
    out: list[Ext] = [ZERO] * len(values)
    for i in range(len(values) - 1, -1, -1):
        out[i] = prefix[i] * acc_inv
        acc_inv = acc_inv * values[i]
    return out


def ext_powers(base: Ext, count: int) -> list[Ext]:
    """[1, base, base^2, ..., base^(count-1)]."""
    out = []
    acc = ONE
    for _ in range(count):
        out.append(acc)
        acc = acc * base
    return out
