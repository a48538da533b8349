"""Arithmetic modulo q = 2^127 - 1 for the batch fingerprint (SPEC.md, section 28).

The L1 contract evaluates the batch fingerprint with one MULMOD per 16 bytes of calldata, so
the fingerprint lives in F_q, q = 2^127 - 1 (a Mersenne prime), not in the proof system's field.
Inside a circuit an F_q value is a list of limbs, little-endian, in one of two forms:

* wide: 8 limbs of 16 bits (``WIDE``): how values are stored, passed and added;
* narrow: 16 limbs of 8 bits (``NARROW``): the form of a multiplier.

``mul_add(a, c, addend)`` proves out = a*c + addend (mod q) with a wide, c narrow and the addend
given as terms v * 2^(8 col).  Its witness (out and the quotient k, both wide) satisfies the
integer identity

    a*c + addend - k*q - out = 0,      k*q = k*2^127 - k,

which is checked column by column in base 2^8: column j collects a_s c_t (2s + t = j), the
addend terms of column j, k_s and -out_s (j = 2s), -2^7 k_s (j = 2s + 15), plus carry_(j-1) -
2^8 carry_j, and must be zero.  Limbs are range-checked (16 bits, bytes 8 bits, the top output
limb 15 bits, so out < 2^127), carries are checked to (-2^16, 2^20 - 2^16).  A column then
stays below 2^27.1 and the whole column equation below 2^28.2 < p in absolute value, so each
field equation is an integer equation and the telescoped sum is the integer identity.  out is
a representative of the residue below 2^127 (canonical except that q itself may stand for 0);
``assert_canonical`` excludes that where a unique encoding matters.

Range checks use only 15-, 16- and 20-bit decompositions, widths the aggregation circuits
already have (a new width would add a gate type, which every verifier of a node proof pays for).
"""

from __future__ import annotations

from typing import Sequence

from circuits.gadgets.arith import is_nonzero
from shielded.errors import CircuitError
from shielded.field.koalabear import P

Q = (1 << 127) - 1
WIDE = 8            # limbs of 16 bits
NARROW = 16         # limbs of 8 bits
COLUMNS = 30        # base-2^8 columns of a*c + addend - k*q - out (2*7 + 15 = 29 is the last)
CARRY_OFFSET = 1 << 16
CARRY_BITS = 20
ADDEND_MAX_BITS = 20   # every addend term is below 2^20 (callers' promise; see element_terms)


# -- plain twins ---------------------------------------------------------------------------------

def wide_limbs(x: int) -> list[int]:
    """The 8 little-endian 16-bit limbs of 0 <= x < 2^128."""
    if not isinstance(x, int) or not 0 <= x < 1 << 128:
        raise CircuitError(f"an F_q limb value is an integer in [0, 2^128), got {x!r}")
    return [(x >> (16 * i)) & 0xFFFF for i in range(WIDE)]


def narrow_limbs(x: int) -> list[int]:
    """The 16 little-endian bytes of 0 <= x < 2^128."""
    if not isinstance(x, int) or not 0 <= x < 1 << 128:
        raise CircuitError(f"an F_q limb value is an integer in [0, 2^128), got {x!r}")
    return [(x >> (8 * i)) & 0xFF for i in range(NARROW)]


def limbs_value(limbs: Sequence[int], bits: int) -> int:
    return sum(int(v) << (bits * i) for i, v in enumerate(limbs))


# -- range checks from existing widths -----------------------------------------------------------

def range_byte(b, x) -> None:
    """0 <= x < 2^8: x < 2^16 and 2^8 x < 2^16 (no wrap: 2^8 x < 2^24 < p)."""
    b.range_check(x, 16)
    b.range_check(b.scale(x, 1 << 8), 16)


def range_wide(b, limbs, top_bits: int = 16) -> None:
    for i, x in enumerate(limbs):
        b.range_check(x, top_bits if i == WIDE - 1 else 16)


# -- conversions ---------------------------------------------------------------------------------

def constant_wide(b, x: int) -> list:
    return [b.constant(v) for v in wide_limbs(x % Q)]


def constant_narrow(b, x: int) -> list:
    return [b.constant(v) for v in narrow_limbs(x % Q)]


def wide_from_narrow(b, x) -> list:
    """limb_s = byte_2s + 2^8 byte_2s+1 (no check needed: bytes are range-checked)."""
    return [b.linear_combination([(1, x[2 * s]), (1 << 8, x[2 * s + 1])]) for s in range(WIDE)]


def narrow_from_wide(b, x) -> list:
    """Split each 16-bit limb into two range-checked bytes: limb = lo + 2^8 hi."""
    out = []
    for limb in x:
        hi = b.hint(lambda v: (v >> 8) & 0xFF, [limb], 1)[0]
        range_byte(b, hi)
        lo = b.linear_combination([(1, limb), (P - (1 << 8), hi)])
        range_byte(b, lo)
        out += [lo, hi]
    return out


def select(b, bit, x, y) -> list:
    """bit ? x : y, limb by limb (bit boolean)."""
    return [b.select(bit, xi, yi) for xi, yi in zip(x, y)]


# -- multiplication ------------------------------------------------------------------------------

def _witness_fn(na: int, nc: int, columns: Sequence[int]):
    def fn(*vals):
        a = limbs_value(vals[:na], 16)
        c = limbs_value(vals[na:na + nc], 8)
        d = sum(int(v) << (8 * col) for col, v in zip(columns, vals[na + nc:]))
        k, out = divmod(a * c + d, Q)
        return wide_limbs(out) + wide_limbs(k)
    return fn


def _carry_fn(v: int) -> int:
    """carry + offset for a column value v (a field element standing for a signed integer that
    the honest witness makes divisible by 2^8)."""
    signed = v if v < P // 2 else v - P
    return (signed >> 8) + CARRY_OFFSET


def mul_add(b, a: Sequence, c: Sequence, addend: Sequence[tuple[int, object]] = ()) -> list:
    """out = a*c + sum(v * 2^(8 col) for col, v in addend) mod q, as 8 wide limbs with out < 2^127.

    a: 8 wide limbs, each < 2^16, a < 2^127 (the output form of this gadget);
    c: 16 bytes, each < 2^8, c < 2^127;
    addend: (column, var) pairs with 0 <= column < 16 and each var < 2^20, at most two per column.
    The callers' bounds are what the module docstring's column bound rests on."""
    a, c = list(a), list(c)
    if len(a) != WIDE or len(c) != NARROW:
        raise CircuitError(f"mul_add takes {WIDE} wide and {NARROW} narrow limbs")
    addend = list(addend)
    per_col: dict[int, int] = {}
    for col, _ in addend:
        if not 0 <= col < 16:
            raise CircuitError(f"an addend column is in [0, 16), got {col}")
        per_col[col] = per_col.get(col, 0) + 1
        if per_col[col] > 2:
            raise CircuitError("at most two addend terms per column")
    columns = [col for col, _ in addend]
    hints = b.hint(_witness_fn(WIDE, NARROW, columns), a + c + [v for _, v in addend], 2 * WIDE)
    out, k = hints[:WIDE], hints[WIDE:]
    range_wide(b, out, top_bits=15)
    range_wide(b, k)
    one = b.one()
    carry_in = None
    final = b.constant(P - (CARRY_OFFSET << 8))
    for j in range(COLUMNS):
        acc = None
        const = P - CARRY_OFFSET if carry_in is not None else 0     # carry_(j-1) = cv_(j-1) - 2^16
        terms = []                                  # (coefficient, x, y): coefficient * x * y
        for s in range(WIDE):
            t = j - 2 * s
            if 0 <= t < NARROW:
                terms.append((1, a[s], c[t]))
        terms += [(1, v, one) for col, v in addend if col == j]
        if j % 2 == 0 and j // 2 < WIDE:
            terms += [(1, k[j // 2], one), (P - 1, out[j // 2], one)]
        if j >= 15 and (j - 15) % 2 == 0:
            terms.append((P - (1 << 7), k[(j - 15) // 2], one))
        if carry_in is not None:
            terms.append((1, carry_in, one))
        for coeff, x, y in terms:
            if acc is None:
                acc = b.arithmetic(coeff, const, x, y, one)
            else:
                acc = b.arithmetic(coeff, 1, x, y, acc)
        if j < COLUMNS - 1:
            # column + carry_in = 2^8 carry_j, carry_j = cv_j - 2^16, cv_j in [0, 2^20)
            cv = b.hint(_carry_fn, [acc], 1)[0]
            b.range_check(cv, CARRY_BITS)
            b.assert_equal(b.arithmetic(P - (1 << 8), 1, cv, one, acc), final)
            carry_in = cv
        else:
            b.assert_zero(acc)
    return out


def mul(b, a: Sequence, c: Sequence) -> list:
    return mul_add(b, a, c, ())


# -- fingerprint data ----------------------------------------------------------------------------

def element_terms(b, e, column: int, bits: int | None = None) -> list[tuple[int, object]]:
    """Addend terms placing the canonical integer value of the field element e at 2^(8 column).

    With ``bits`` (<= 20) the caller guarantees e < 2^bits and e is placed as it is.  Otherwise
    e = lo + 2^16 hi is split with lo < 2^16, hi < 2^15 and lo + 2^16 hi <= p - 1, so that the
    integer is e's canonical value: with p - 1 = (2^15 - 2^8) 2^16 the last condition is
    hi + [lo != 0] + 2^8 - 1 < 2^15.  (Without it an e < 2^24 - 1 could also be split as e + p,
    and a prover choosing representatives after seeing the challenge could steer the
    fingerprint.)"""
    if bits is not None:
        if bits > ADDEND_MAX_BITS:
            raise CircuitError(f"a small element has at most {ADDEND_MAX_BITS} bits")
        return [(column, e)]
    hi = b.hint(lambda v: v >> 16, [e], 1)[0]
    b.range_check(hi, 15)
    lo = b.linear_combination([(1, e), (P - (1 << 16), hi)])
    b.range_check(lo, 16)
    nz = is_nonzero(b, lo)
    b.range_check(b.linear_combination([(1, hi), (1, nz)], (1 << 8) - 1), 15)
    return [(column, lo), (column + 2, hi)]


def assert_canonical(b, x) -> None:
    """x (a gadget output, so x < 2^127) is not q: the wide limbs of q are 0xFFFF x 7, 0x7FFF."""
    terms = [(P - 1, v) for v in x]
    gap = b.linear_combination(terms, 7 * 0xFFFF + 0x7FFF)      # sum of (max limb - limb) >= 0
    b.inverse(gap)                                              # gap != 0
