"""Generic algebra for constraints.

Gate constraints are written once, with + - * on whatever values they are given:

* Python ints (check mode, reference path; reduce mod p at the end),
* ``TapeVar`` (traced into a tape for the prover and the fast check mode),
* ``Ext`` (the verifier, at the out-of-domain point zeta),
* circuit wires (the recursive verifier).

An extension-field quantity inside a constraint (a challenge, the permutation accumulator) is an
``ExtAlg``: four components of that base type, multiplied with the rule u^4 = W.  Every
constraint is therefore a base-field polynomial identity, and an extension identity is four.
"""

from __future__ import annotations

from shielded.field.ext import W, Ext


class ExtAlg:
    """c0 + c1 u + c2 u^2 + c3 u^3 with components in any algebra (ints allowed)."""

    __slots__ = ("c",)

    def __init__(self, c):
        self.c = tuple(c)
        assert len(self.c) == 4

    @classmethod
    def from_base(cls, x) -> "ExtAlg":
        return cls((x, 0, 0, 0))

    @classmethod
    def constant(cls, e: Ext) -> "ExtAlg":
        return cls(e.c)

    def __add__(self, o):
        if isinstance(o, ExtAlg):
            return ExtAlg(a + b for a, b in zip(self.c, o.c))
        return ExtAlg((self.c[0] + o, self.c[1], self.c[2], self.c[3]))

    __radd__ = __add__

    def __sub__(self, o):
        if isinstance(o, ExtAlg):
            return ExtAlg(a - b for a, b in zip(self.c, o.c))
        return ExtAlg((self.c[0] - o, self.c[1], self.c[2], self.c[3]))

    def __rsub__(self, o):
        return ExtAlg((o - self.c[0], -self.c[1], -self.c[2], -self.c[3]))

    def __neg__(self):
        return ExtAlg(-a for a in self.c)

    def __mul__(self, o):
        if isinstance(o, ExtAlg):
            a0, a1, a2, a3 = self.c
            b0, b1, b2, b3 = o.c
            return ExtAlg((
                a0 * b0 + (a1 * b3 + a2 * b2 + a3 * b1) * W,
                a0 * b1 + a1 * b0 + (a2 * b3 + a3 * b2) * W,
                a0 * b2 + a1 * b1 + a2 * b0 + (a3 * b3) * W,
                a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0,
            ))
        return ExtAlg(a * o for a in self.c)

    __rmul__ = __mul__


def cube(x):
    return x * x * x


def mu_ext(components):
    """mu(c0, c1, c2, c3) = c0 + c1 u + c2 u^2 + c3 u^3 computed in E (SPEC.md, section 8.4).

    mu is the multiplication map E (x) E -> E, a ring homomorphism, so a constraint built from
    ExtAlg values can be evaluated by mapping its inputs through mu and computing in E; the
    verifier does this instead of multiplying 4-tuples of extension values."""
    from shielded.field.ext import U
    c0, c1, c2, c3 = components
    acc = c3
    for c in (c2, c1, c0):
        acc = acc.mul_add(U, c) if hasattr(acc, "mul_add") else acc * U + c
    return acc if not isinstance(acc, int) else _as_ext(acc)


def _as_ext(x: int):
    from shielded.field.ext import Ext
    return Ext(x)
