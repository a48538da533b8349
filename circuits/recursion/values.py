"""Circuit values with arithmetic operators, so generic verifier code can run on wires.

``BaseV`` wraps a base-field var, ``ExtV`` four vars (an extension element).  Both also carry a
known constant when they are constants, so constant subexpressions fold at build time and never
cost a gate.  Operations with Python ints (base constants) and ``Ext`` (extension constants) are
supported; every non-constant operation adds one arithmetic or extension-arithmetic op.
"""

from __future__ import annotations

from shielded.field.ext import Ext
from shielded.field.koalabear import P, inv


class BaseV:
    __slots__ = ("b", "var", "const")

    def __init__(self, b, var=None, const: int | None = None):
        self.b, self.var, self.const = b, var, const

    @classmethod
    def constant(cls, b, value: int) -> "BaseV":
        return cls(b, None, value % P)

    def v(self):
        """The var holding this value (constants become constant vars)."""
        if self.var is None:
            self.var = self.b.constant(self.const)
        return self.var

    def _lift(self, o):
        if isinstance(o, BaseV):
            return o
        if isinstance(o, int):
            return BaseV.constant(self.b, o)
        return None

    def __add__(self, o):
        if isinstance(o, (ExtV, Ext)):
            return ExtV.from_base(self) + o if isinstance(o, Ext) else o + self
        o = self._lift(o)
        if o is None:
            return NotImplemented
        if self.const is not None and o.const is not None:
            return BaseV.constant(self.b, self.const + o.const)
        if o.const is not None:
            return BaseV(self.b, self.b.add_const(self.v(), o.const)) if o.const else self
        if self.const is not None:
            return o + self
        return BaseV(self.b, self.b.add(self.v(), o.v()))

    __radd__ = __add__

    def __neg__(self):
        return self * (P - 1)

    def __sub__(self, o):
        if isinstance(o, ExtV):
            return ExtV.from_base(self) - o
        o = self._lift(o)
        if o is None:
            return NotImplemented
        return self + (-o)

    def __rsub__(self, o):
        return (-self) + o

    def __mul__(self, o):
        if isinstance(o, ExtV):
            return o * self
        if isinstance(o, Ext):
            return ExtV.from_base(self) * o
        o = self._lift(o)
        if o is None:
            return NotImplemented
        if self.const is not None and o.const is not None:
            return BaseV.constant(self.b, self.const * o.const)
        if o.const is not None:
            if o.const == 1:
                return self
            return BaseV(self.b, self.b.scale(self.v(), o.const))
        if self.const is not None:
            return o * self
        return BaseV(self.b, self.b.mul(self.v(), o.v()))

    __rmul__ = __mul__


def _ext_const(e: Ext) -> tuple:
    return tuple(e.c)


class ExtV:
    __slots__ = ("b", "vars", "const")

    def __init__(self, b, vars_=None, const: Ext | None = None):
        self.b, self.vars, self.const = b, vars_, const

    @classmethod
    def constant(cls, b, value) -> "ExtV":
        return cls(b, None, value if isinstance(value, Ext) else Ext(int(value)))

    @classmethod
    def from_base(cls, x: BaseV) -> "ExtV":
        if x.const is not None:
            return cls.constant(x.b, x.const)
        z = x.b.zero()
        return cls(x.b, (x.v(), z, z, z))

    @classmethod
    def from_vars(cls, b, vars_) -> "ExtV":
        return cls(b, tuple(vars_))

    def v(self):
        if self.vars is None:
            self.vars = self.b.ext_constant(self.const)
        return self.vars

    def components(self) -> list:
        """The four base coordinates as BaseV."""
        if self.const is not None:
            return [BaseV.constant(self.b, c) for c in self.const.c]
        return [BaseV(self.b, x) for x in self.vars]

    def _lift(self, o):
        if isinstance(o, ExtV):
            return o
        if isinstance(o, BaseV):
            return ExtV.from_base(o)
        if isinstance(o, (int, Ext)):
            return ExtV.constant(self.b, o)
        return None

    def __add__(self, o):
        o = self._lift(o)
        if o is None:
            return NotImplemented
        if self.const is not None and o.const is not None:
            return ExtV.constant(self.b, self.const + o.const)
        if self.const is not None:
            return o + self
        if o.const is not None and o.const.is_zero():
            return self
        b = self.b
        # a + c: c0 = 1, a * one + 1 * c
        return ExtV(b, b.ext_arithmetic(1, 1, self.v(), b.ext_one(), o.v()))

    __radd__ = __add__

    def __neg__(self):
        return self * (P - 1)

    def __sub__(self, o):
        o = self._lift(o)
        if o is None:
            return NotImplemented
        if self.const is not None and o.const is not None:
            return ExtV.constant(self.b, self.const - o.const)
        if o.const is not None and o.const.is_zero():
            return self
        b = self.b
        return ExtV(b, b.ext_arithmetic(1, P - 1, self.v(), b.ext_one(), o.v()))

    def __rsub__(self, o):
        o = self._lift(o)
        if o is None:
            return NotImplemented
        return o - self

    def __mul__(self, o):
        if isinstance(o, int) or (isinstance(o, BaseV) and o.const is not None):
            k = o if isinstance(o, int) else o.const
            if self.const is not None:
                return ExtV.constant(self.b, self.const * k)
            if k % P == 1:
                return self
            b = self.b
            return ExtV(b, b.ext_arithmetic(k, 0, self.v(), b.ext_one(), b.ext_zero()))
        o = self._lift(o)
        if o is None:
            return NotImplemented
        if self.const is not None and o.const is not None:
            return ExtV.constant(self.b, self.const * o.const)
        if o.const is not None and o.const == Ext(1):
            return self
        if self.const is not None and self.const == Ext(1):
            return o
        b = self.b
        return ExtV(b, b.ext_arithmetic(1, 0, self.v(), o.v(), b.ext_zero()))

    __rmul__ = __mul__

    def mul_add(self, m, a) -> "ExtV":
        """self * m + a in one op."""
        m, a = self._lift(m), self._lift(a)
        if self.const is not None and m.const is not None and a.const is not None:
            return ExtV.constant(self.b, self.const * m.const + a.const)
        b = self.b
        return ExtV(b, b.ext_arithmetic(1, 1, self.v(), m.v(), a.v()))

    def lincomb(self, k1: int, o, k2: int) -> "ExtV":
        """k1 * self + k2 * o in one op (k1, k2 base constants)."""
        o = self._lift(o)
        if self.const is not None and o.const is not None:
            return ExtV.constant(self.b, self.const * k1 + o.const * k2)
        b = self.b
        return ExtV(b, b.ext_arithmetic(k1, k2, self.v(), b.ext_one(), o.v()))

    def inverse(self) -> "ExtV":
        """Witness the inverse and constrain self * inverse = 1 (self = 0 is unsatisfiable)."""
        if self.const is not None:
            return ExtV.constant(self.b, self.const.inverse())
        b = self.b
        out = b.hint(lambda *c: list(Ext(*c).inverse().c) if any(c) else [0, 0, 0, 0], list(self.v()), 4)
        prod = b.ext_mul(self.v(), tuple(out))
        one = b.ext_one()
        for x, y in zip(prod, one):
            b.assert_equal(x, y)
        return ExtV(b, tuple(out))
