"""Poseidon2 parameters for KoalaBear, loaded from the shared parameter file.

The file gives round constants and the internal diagonal as written in the Poseidon2 reference
(e.g. "1/2^8", "-1/2"); ``parse_diagonal`` turns those into field elements, accepting exactly
the forms the file uses and rejecting anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from shielded.data import load_parameters
from shielded.errors import ParameterError
from shielded.field.koalabear import P, check_elements

WIDTHS = (16, 24)
RATE = 8
"""Sponge rate for width 16 (capacity 8 elements = 248 bits, DESIGN.md)."""

_TOKEN = re.compile(r"^(-?)(?:([0-9]+)|1/([0-9]+)|1/2\^([0-9]+))$", re.ASCII)


def parse_diagonal(text: str) -> list[int]:
    """Parse "[-2, 1, 1/2, 1/2^8, -1/2^24, ...]" into field elements."""
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise ParameterError(f"internal diagonal must be a bracketed list, got {text[:30]!r}")
    out = []
    for token in text[1:-1].split(","):
        m = _TOKEN.match(token.strip())
        if not m:
            raise ParameterError(f"unrecognised diagonal entry {token.strip()!r}")
        sign, integer, denom, log2 = m.groups()
        if integer is not None:
            value = int(integer) % P
        else:
            d = int(denom) if denom is not None else 1 << int(log2)
            if d % P == 0:
                raise ParameterError(f"diagonal entry {token.strip()!r} divides by zero")
            value = pow(d, P - 2, P)
        out.append((-value) % P if sign else value)
    return out


@dataclass(frozen=True)
class Poseidon2Params:
    width: int
    external_initial: tuple[tuple[int, ...], ...]
    internal: tuple[int, ...]
    external_final: tuple[tuple[int, ...], ...]
    diagonal: tuple[int, ...]

    @property
    def partial_rounds(self) -> int:
        return len(self.internal)


@lru_cache(maxsize=None)
def params(width: int) -> Poseidon2Params:
    if width not in WIDTHS:
        raise ParameterError(f"Poseidon2 width must be one of {WIDTHS}, got {width}")
    p2 = load_parameters()["poseidon2"]
    if p2["sbox_degree"] != 3 or p2["full_rounds"] != 8:
        raise ParameterError("Poseidon2 parameters: expected x^3 S-box and 8 full rounds")
    rc = p2["round_constants"][str(width)]
    ext_init = tuple(tuple(check_elements(r, "external_initial")) for r in rc["external_initial"])
    ext_final = tuple(tuple(check_elements(r, "external_final")) for r in rc["external_final"])
    internal = tuple(check_elements(rc["internal"], "internal"))
    diagonal = tuple(parse_diagonal(p2["internal_diagonal"][str(width)]))
    if (len(ext_init) != 4 or len(ext_final) != 4 or any(len(r) != width for r in ext_init + ext_final)
            or len(internal) != p2["partial_rounds"][str(width)] or len(diagonal) != width):
        raise ParameterError(f"Poseidon2 width {width}: parameter shapes are inconsistent")
    return Poseidon2Params(width, ext_init, internal, ext_final, diagonal)
