"""The join-split circuit: 2 input notes, 2 output notes, one asset (SPEC.md, Part II, "Join-split").

Public inputs, in order (69 elements):

    root[8] nf_0[8] nf_1[8] cm_0[8] cm_1[8] public_in[4] public_out[4] asset[1]
    public_owner[8] fee[4] ciphertext_hash[8]

(64-bit amounts as 16-bit limbs, the 160-bit L1 address as 20-bit limbs, little-endian.)

For each input i: ak = H(AK, ask); owner = H(OWNER, ak || nk);
cm = H(NOTE_COMMITMENT, asset || value limbs || owner || rcm); leaf = H(NOTE_LEAF, cm);
the Merkle path from leaf (direction bits = position) gives root_i, and if the value is non-zero
root_i = root; nf_i = H(NULLIFIER, nk || cm || pos_lo || pos_hi) is public.  For each output:
cm = H(NOTE_COMMITMENT, asset || value limbs || owner || rcm) is public.  nf_0 != nf_1; every
limb is range-checked; inputs + public_in = outputs + public_out + fee over the integers.
The ciphertext hash is not used by any gate: as a public input it is bound by the proof.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from circuits.gadgets.arith import (ADDRESS_LIMB_BITS, ADDRESS_LIMBS, LIMB_BITS, VALUE_LIMBS,
                                    assert_conservation, assert_digests_differ, assert_digests_equal,
                                    assert_enabled_equal, bits_to_element, is_nonzero, range_limbs, u64_input)
from circuits.gadgets.hashing import hash_elements
from circuits.gadgets.merkle import merkle_root
from shielded.errors import CircuitError
from shielded.hash.sponge import DIGEST_LEN, Tag
from shielded.proof.builder import CircuitBuilder

NUM_INPUTS = 2
NUM_OUTPUTS = 2
RCM_LEN = 8
MAX_DEPTH = 32
RANGE_VALUES_PER_ROW = 4

PI_FIELDS = (("root", 8), ("nf_0", 8), ("nf_1", 8), ("cm_0", 8), ("cm_1", 8), ("public_in", 4),
             ("public_out", 4), ("asset", 1), ("public_owner", ADDRESS_LIMBS), ("fee", 4),
             ("ciphertext_hash", 8))
PI_OFFSETS: dict[str, tuple[int, int]] = {}
_pos = 0
for _name, _len in PI_FIELDS:
    PI_OFFSETS[_name] = (_pos, _len)
    _pos += _len
NUM_PUBLIC_INPUTS = _pos


@dataclass
class InputHandles:
    ask: list
    nk: list
    value: list
    rcm: list
    bits: list
    siblings: list


@dataclass
class OutputHandles:
    owner: list
    value: list
    rcm: list


@dataclass
class JoinSplitCircuit:
    depth: int
    circuit: object
    public: dict = field(default_factory=dict)   # name -> list of vars
    inputs: list = field(default_factory=list)   # InputHandles
    outputs: list = field(default_factory=list)  # OutputHandles


def note_commitment(b, asset, value: Sequence, owner: Sequence, rcm: Sequence) -> list:
    """cm = H(NOTE_COMMITMENT, asset || value limbs || owner || rcm) (twin: protocol.note)."""
    return hash_elements(b, Tag.NOTE_COMMITMENT, [asset] + list(value) + list(owner) + list(rcm))


def derive_owner(b, ask: Sequence, nk: Sequence) -> list:
    """owner = H(OWNER, H(AK, ask) || nk) (twin: protocol.keys)."""
    ak = hash_elements(b, Tag.AK, ask)
    return hash_elements(b, Tag.OWNER, list(ak) + list(nk))


def derive_nullifier(b, nk: Sequence, cm: Sequence, pos_lo, pos_hi) -> list:
    """nf = H(NULLIFIER, nk || cm || pos_lo || pos_hi) (twin: protocol.note)."""
    return hash_elements(b, Tag.NULLIFIER, list(nk) + list(cm) + [pos_lo, pos_hi])


def build_joinsplit(depth: int, config) -> JoinSplitCircuit:
    if not 1 <= depth <= MAX_DEPTH:
        raise CircuitError(f"tree depth must be in [1, {MAX_DEPTH}], got {depth}")
    # 4 range-checked values per row: ~10 more rows here (n stays 256), ~350 fewer constraints
    # for the aggregation circuit that verifies this proof (SPEC.md, Part III)
    b = CircuitBuilder(config, name=f"joinsplit-depth{depth}", range_values_per_row=RANGE_VALUES_PER_ROW)
    pub = {name: [b.public_input() for _ in range(n)] for name, n in PI_FIELDS}
    asset = pub["asset"][0]
    range_limbs(b, pub["public_in"] + pub["public_out"] + pub["fee"], LIMB_BITS)
    range_limbs(b, pub["public_owner"], ADDRESS_LIMB_BITS)
    js = JoinSplitCircuit(depth, None, pub)
    in_values = []
    for i in range(NUM_INPUTS):
        ask, nk = b.add_inputs(DIGEST_LEN), b.add_inputs(DIGEST_LEN)
        value = u64_input(b)
        rcm = b.add_inputs(RCM_LEN)
        bits = b.add_inputs(depth)
        siblings = [b.add_inputs(DIGEST_LEN) for _ in range(depth)]
        owner = derive_owner(b, ask, nk)
        cm = note_commitment(b, asset, value, owner, rcm)
        leaf = hash_elements(b, Tag.NOTE_LEAF, cm)
        root = merkle_root(b, leaf, bits, siblings)          # also makes every bit boolean
        enabled = is_nonzero(b, b.linear_combination([(1, x) for x in value]))
        assert_enabled_equal(b, enabled, root, pub["root"])
        pos_lo = bits_to_element(b, bits[:16])
        pos_hi = bits_to_element(b, bits[16:]) if depth > 16 else b.zero()
        nf = derive_nullifier(b, nk, cm, pos_lo, pos_hi)
        assert_digests_equal(b, nf, pub[f"nf_{i}"])
        js.inputs.append(InputHandles(ask, nk, value, rcm, bits, siblings))
        in_values.append(value)
    assert_digests_differ(b, pub["nf_0"], pub["nf_1"])
    out_values = []
    for j in range(NUM_OUTPUTS):
        owner = b.add_inputs(DIGEST_LEN)
        value = u64_input(b)
        rcm = b.add_inputs(RCM_LEN)
        cm = note_commitment(b, asset, value, owner, rcm)
        assert_digests_equal(b, cm, pub[f"cm_{j}"])
        js.outputs.append(OutputHandles(owner, value, rcm))
        out_values.append(value)
    assert_conservation(b, in_values + [pub["public_in"]],
                        out_values + [pub["public_out"], pub["fee"]])
    js.circuit = b.build()
    return js


@dataclass
class InputWitness:
    ask: Sequence[int]
    nk: Sequence[int]
    value_limbs: Sequence[int]
    rcm: Sequence[int]
    position: int
    siblings: Sequence[Sequence[int]]


@dataclass
class OutputWitness:
    owner: Sequence[int]
    value_limbs: Sequence[int]
    rcm: Sequence[int]


def assignment(js: JoinSplitCircuit, public: Sequence[int], inputs: Sequence[InputWitness],
               outputs: Sequence[OutputWitness]) -> dict:
    """Map every input var of the circuit to its value (plain ints in, {Var: int} out)."""
    if len(public) != NUM_PUBLIC_INPUTS or len(inputs) != NUM_INPUTS or len(outputs) != NUM_OUTPUTS:
        raise CircuitError("join-split takes 69 public inputs, 2 inputs and 2 outputs")
    out = {}
    flat_pub = [v for name, _ in PI_FIELDS for v in js.public[name]]
    out.update(zip(flat_pub, public))
    for h, w in zip(js.inputs, inputs):
        if len(w.siblings) != js.depth or not 0 <= w.position < (1 << js.depth):
            raise CircuitError(f"input path must have {js.depth} siblings and a position < 2^{js.depth}")
        out.update(zip(h.ask, w.ask))
        out.update(zip(h.nk, w.nk))
        out.update(zip(h.value, w.value_limbs))
        out.update(zip(h.rcm, w.rcm))
        out.update(zip(h.bits, [(w.position >> k) & 1 for k in range(js.depth)]))
        for hv, sv in zip(h.siblings, w.siblings):
            out.update(zip(hv, sv))
    for h, w in zip(js.outputs, outputs):
        out.update(zip(h.owner, w.owner))
        out.update(zip(h.value, w.value_limbs))
        out.update(zip(h.rcm, w.rcm))
    return out
