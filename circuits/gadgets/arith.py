"""Integer and comparison gadgets over field vars.

64-bit values are four 16-bit limbs, little-endian (SPEC.md, Part II, "Values"): each limb is
range-checked, so sums of a handful of limbs stay far below p and limb equations hold over the
integers.
"""

from __future__ import annotations

from typing import Sequence

from shielded.errors import CircuitError
from shielded.field.koalabear import P

LIMB_BITS = 16
VALUE_LIMBS = 4
U64_MAX = (1 << 64) - 1
ADDRESS_LIMB_BITS = 20
ADDRESS_LIMBS = 8          # 160-bit L1 addresses


def u64_limbs(value: int) -> list[int]:
    """Plain twin: the four 16-bit limbs of a 64-bit value, little-endian."""
    if not isinstance(value, int) or not 0 <= value <= U64_MAX:
        raise CircuitError(f"value must be an integer in [0, 2^64), got {value!r}")
    return [(value >> (LIMB_BITS * i)) & 0xFFFF for i in range(VALUE_LIMBS)]


def limbs_u64(limbs: Sequence[int]) -> int:
    return sum(int(x) << (LIMB_BITS * i) for i, x in enumerate(limbs))


def address_limbs(address: int) -> list[int]:
    """Plain twin: the eight 20-bit limbs of a 160-bit L1 address, little-endian."""
    if not isinstance(address, int) or not 0 <= address < (1 << 160):
        raise CircuitError("an L1 address is a 160-bit integer")
    return [(address >> (ADDRESS_LIMB_BITS * i)) & ((1 << ADDRESS_LIMB_BITS) - 1) for i in range(ADDRESS_LIMBS)]


def range_limbs(b, limbs: Sequence, bits: int) -> None:
    for x in limbs:
        b.range_check(x, bits)


def u64_input(b) -> list:
    """Four private 16-bit limbs, range-checked: a 64-bit value."""
    limbs = b.add_inputs(VALUE_LIMBS)
    range_limbs(b, limbs, LIMB_BITS)
    return limbs


def bits_to_element(b, bits: Sequence) -> object:
    """sum b_i 2^i (the caller keeps len(bits) <= 30 so that it cannot wrap)."""
    if len(bits) > 30:
        raise CircuitError("bits_to_element takes at most 30 bits")
    return b.linear_combination([(1 << i, x) for i, x in enumerate(bits)])


def is_nonzero(b, x) -> object:
    """e = 1 if x != 0 else 0.  With inv a hint: e = x * inv and x (1 - e) = 0, so x != 0 forces
    e = 1 and x = 0 gives e = 0 whatever the hint."""
    inv = b.hint(lambda v: pow(v, P - 2, P) if v else 0, [x], 1)[0]
    e = b.mul(x, inv)
    b.assert_zero(b.arithmetic(P - 1, 1, x, e, x))   # x - x*e = 0
    return e


def assert_digests_differ(b, d1: Sequence, d2: Sequence) -> None:
    """At least one of the element pairs differs: prod_k (1 - is_nonzero(d1_k - d2_k)) = 0."""
    acc = None
    for x, y in zip(d1, d2):
        eq = b.sub(b.one(), is_nonzero(b, b.sub(x, y)))
        acc = eq if acc is None else b.mul(acc, eq)
    b.assert_zero(acc)


def assert_digests_equal(b, d1: Sequence, d2: Sequence) -> None:
    for x, y in zip(d1, d2):
        b.assert_equal(x, y)


def select_digest(b, bit, x: Sequence, y: Sequence) -> list:
    return [b.select(bit, xi, yi) for xi, yi in zip(x, y)]


def assert_enabled_equal(b, enabled, d1: Sequence, d2: Sequence) -> None:
    """enabled * (d1_k - d2_k) = 0 for every k: equality enforced only when enabled = 1."""
    for x, y in zip(d1, d2):
        b.assert_zero(b.mul(enabled, b.sub(x, y)))


def assert_conservation(b, inputs: Sequence[Sequence], outputs: Sequence[Sequence]) -> None:
    """sum of the input values = sum of the output values over the integers.

    Limb by limb with signed carries c_k: in_k - out_k + c_(k-1) = 2^16 c_k, c_(-1) = c_3 = 0.
    Each c_k + 4 is range-checked to 3 bits; with at most 4 inputs and 4 outputs of 16-bit limbs
    every quantity stays below 2^20 in absolute value, so the field equations are integer ones."""
    if len(inputs) > 4 or len(outputs) > 4:
        raise CircuitError("conservation supports at most 4 values per side")
    carry_prev = None  # c_(k-1) + 4 as a var
    for k in range(VALUE_LIMBS):
        terms = [(1, v[k]) for v in inputs] + [(P - 1, v[k]) for v in outputs]
        const = 0
        if carry_prev is not None:
            terms.append((1, carry_prev))
            const = P - 4
        s = b.linear_combination(terms, const)          # in_k - out_k + c_(k-1)
        if k == VALUE_LIMBS - 1:
            b.assert_zero(s)                              # c_3 = 0
            return
        carry = b.hint(lambda v: ((v if v < P // 2 else v - P) >> LIMB_BITS) + 4, [s], 1)[0]
        b.range_check(carry, 3)
        # s = 2^16 (carry - 4)
        b.assert_equal(s, b.arithmetic(1 << LIMB_BITS, P - (4 << LIMB_BITS), carry, b.one(), b.one()))
        carry_prev = carry
