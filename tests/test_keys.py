"""Verifying keys (SPEC.md, section 11) and gate names: byte round trips, a circuit digest that
commits to every field of the key, robust decoding, and gate_from_name."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shielded.commit.fri import FriConfig
from shielded.errors import CircuitError, EncodingError, ParameterError, VerificationError
from shielded.field.koalabear import P
from shielded.hash.keccak import keccak256
from shielded.hash.sponge import Tag, hash_elements
from shielded.proof.config import MAX_NUM_WIRES, ProofConfig
from shielded.proof.gates import (MAX_DECOMPOSE_BITS, ArithmeticGate, ConstantGate, DecomposeGate,
                                  ExtArithmeticGate, Poseidon2Gate, all_gate_types, gate_from_name)
from shielded.proof.keys import MAX_GATE_TYPES, VK_MAGIC, VK_VERSION, VerifyingKey, setup
from shielded.proof.prover import prove
from shielded.proof.verifier import verify

from helpers_circuits import mixed_circuit, square_circuit

CONFIGS = {
    "poseidon2": ProofConfig(fri=FriConfig(pow_bits=4)),
    "poseidon2-zk": ProofConfig(zk=True, fri=FriConfig(pow_bits=4)),
    "keccak": ProofConfig(fri=FriConfig(pow_bits=4, hash="keccak")),
}
_keys: dict = {}


def key_for(name: str) -> VerifyingKey:
    if name not in _keys:
        _keys[name] = setup(mixed_circuit(CONFIGS[name], seed=31).circuit)[1]
    return _keys[name]


configs = pytest.mark.parametrize("name", list(CONFIGS))


def digest_per_spec(data: bytes, hash_name: str):
    """SPEC.md section 11, written out independently of keys.py: the key bytes end with the cap
    (u16 count, then 8 elements per digest); the shape bytes are everything before it."""
    if hash_name == "keccak":
        return keccak256(data)
    # locate the cap: the last u16 count followed by count * 32 bytes ends the key
    for count in range(1, 257):
        start = len(data) - 32 * count - 2
        if start > 0 and int.from_bytes(data[start:start + 2], "big") == count:
            break
    shape, cap = data[:start], data[start + 2:]
    padded = shape + bytes(-len(shape) % 3)
    shape_digest = hash_elements(Tag.CIRCUIT_SHAPE, [len(shape)] + [int.from_bytes(padded[i:i + 3], "big")
                                                                      for i in range(0, len(padded), 3)])
    cap_elems = [int.from_bytes(cap[i:i + 4], "big") for i in range(0, len(cap), 4)]
    return hash_elements(Tag.CIRCUIT_DIGEST, list(shape_digest) + cap_elems)


# -- round trip and digest -------------------------------------------------------------------------

@configs
def test_round_trip(name):
    vk = key_for(name)
    data = vk.to_bytes()
    back = VerifyingKey.from_bytes(data)
    assert back.to_bytes() == data
    assert back == vk and np.array_equal(back.preprocessed_cap, vk.preprocessed_cap)
    assert back.digest == vk.digest
    assert back.layout == vk.layout and back.num_terms == vk.num_terms
    assert [g.name for g in back.gates] == list(vk.gate_names)
    assert data.startswith(VK_MAGIC) and data[4] == VK_VERSION
    for other in (bytearray(data), memoryview(data)):
        assert VerifyingKey.from_bytes(other).to_bytes() == data


@configs
def test_digest_is_stable(name):
    """The same circuit built again gives the same key bytes and digest; the digest is the one
    SPEC.md defines, with the documented type."""
    vk = key_for(name)
    again = setup(mixed_circuit(CONFIGS[name], seed=99).circuit)[1]   # inputs differ, circuit does not
    assert again.to_bytes() == vk.to_bytes() and again.digest == vk.digest
    assert vk.digest == digest_per_spec(vk.to_bytes(), vk.config.fri.hash)
    if name == "keccak":
        assert isinstance(vk.digest, bytes) and len(vk.digest) == 32
    else:
        assert len(vk.digest) == 8 and all(0 <= x < P for x in vk.digest)


def key_variants(vk: VerifyingKey) -> dict[str, VerifyingKey]:
    cfg, fri = vk.config, vk.config.fri
    cap = vk.preprocessed_cap

    def with_fri(**kw):
        return replace(vk, config=replace(cfg, fri=replace(fri, **kw)))

    cap_changed = cap.copy()
    cap_changed[3, 5] = (int(cap_changed[3, 5]) + 1) % (256 if fri.hash == "keccak" else P)
    other_hash = "poseidon2" if fri.hash == "keccak" else "keccak"
    other_cap = (np.zeros((cap.shape[0], 32), np.uint8) if other_hash == "keccak"
                 else np.zeros((cap.shape[0], 8), np.uint32))
    names = list(vk.gate_names)
    return {
        "num_wires": replace(vk, config=replace(cfg, num_wires=cfg.num_wires + 1)),
        "num_routed": replace(vk, config=replace(cfg, num_routed=cfg.num_routed + 1)),
        "num_constants": replace(vk, config=replace(cfg, num_constants=cfg.num_constants + 1)),
        "zk": replace(vk, config=replace(cfg, zk=not cfg.zk)),
        "log_blowup": with_fri(log_blowup=fri.log_blowup + 1),
        "num_queries": with_fri(num_queries=fri.num_queries - 1),
        "pow_bits": with_fri(pow_bits=fri.pow_bits + 1),
        "arity_bits": with_fri(arity_bits=fri.arity_bits - 1),
        "log_final_len": with_fri(log_final_len=fri.log_final_len + 1),
        "cap_height": replace(vk, config=replace(cfg, fri=replace(fri, cap_height=fri.cap_height - 1)),
                              preprocessed_cap=cap[:cap.shape[0] // 2].copy()),
        "hash": replace(vk, config=replace(cfg, fri=replace(fri, hash=other_hash)), preprocessed_cap=other_cap),
        "log_n": replace(vk, log_n=vk.log_n + 1),
        "num_active": replace(vk, num_active=vk.num_active - 1),
        "num_public_inputs": replace(vk, num_public_inputs=vk.num_public_inputs + 1),
        "gate dropped": replace(vk, gate_names=tuple(names[:-1])),
        "gate added": replace(vk, gate_names=tuple(sorted(names + ["decompose(values=1,bits=2,routed)"]))),
        "gate renamed": replace(vk, gate_names=tuple(["arithmetic(ops=8)"] + names[1:])),
        "cap element": replace(vk, preprocessed_cap=cap_changed),
        "cap digests swapped": replace(vk, preprocessed_cap=cap[[1, 0] + list(range(2, cap.shape[0]))]),
    }


def test_cap_of_the_wrong_size_is_rejected():
    """The preprocessed cap has exactly 2^min(cap_height, log2 N) digests."""
    vk = key_for("poseidon2")
    with pytest.raises(ParameterError, match="preprocessed cap"):
        replace(vk, preprocessed_cap=vk.preprocessed_cap[:-1])


@configs
def test_digest_changes_when_anything_in_the_key_changes(name):
    vk = key_for(name)
    variants = key_variants(vk)
    digests = {"original": vk.digest}
    for what, variant in variants.items():
        assert variant.to_bytes() != vk.to_bytes(), what
        digests[what] = variant.digest
        # and the change survives the byte round trip
        assert VerifyingKey.from_bytes(variant.to_bytes()).digest == variant.digest, what
    seen: dict = {}
    for what, d in digests.items():
        assert d not in seen, f"{what} has the same digest as {seen.get(d)}"
        seen[d] = what


def test_unsorted_or_repeated_gate_names_are_rejected():
    """A key lists each gate type once, sorted by name (SPEC.md, "Keys"): anything else is invalid."""
    vk = key_for("poseidon2")
    names = list(vk.gate_names)
    for bad in ([names[1], names[0]] + names[2:], names + [names[-1]]):
        with pytest.raises(ParameterError):
            replace(vk, gate_names=tuple(bad))


def test_security_policy_is_not_part_of_the_key():
    """min_security_bits is policy (config.py): keys differing only in it are the same circuit."""
    cfg = CONFIGS["poseidon2"]
    vk = key_for("poseidon2")
    strict = replace(vk, config=replace(cfg, min_security_bits=60))
    assert strict.to_bytes() == vk.to_bytes() and strict.digest == vk.digest


def test_different_circuits_have_different_digests():
    cfg = CONFIGS["poseidon2"]
    a = setup(square_circuit(cfg).circuit)[1]
    b = setup(square_circuit(cfg, offset=1).circuit)[1]
    assert a.gate_names == b.gate_names and a.log_n == b.log_n
    assert a.digest != b.digest and a.to_bytes() != b.to_bytes()


def test_keys_of_different_circuits_are_not_equal():
    cfg = CONFIGS["poseidon2"]
    a = setup(square_circuit(cfg).circuit)[1]
    b = setup(square_circuit(cfg, offset=1).circuit)[1]
    assert a != b


# -- decoding malformed bytes ------------------------------------------------------------------------

@configs
def test_every_truncation_raises_encoding_error(name):
    data = key_for(name).to_bytes()
    for n in range(len(data)):
        with pytest.raises(EncodingError):
            VerifyingKey.from_bytes(data[:n])


@configs
def test_trailing_bytes_raise(name):
    data = key_for(name).to_bytes()
    for tail in (b"\x00", b"\x01\x02\x03", data):
        with pytest.raises(EncodingError, match="trailing"):
            VerifyingKey.from_bytes(data + tail)


@configs
def test_single_byte_changes_fail_or_change_the_digest(name):
    """Every position, two masks: EncodingError, or a key whose bytes are exactly the changed bytes
    (decoding is canonical) and whose digest differs.  Never another exception."""
    vk = key_for(name)
    data = vk.to_bytes()
    rnd = random.Random(f"vk-{name}")
    decoded = 0
    for pos in range(len(data)):
        for mask in (0x01, rnd.randrange(2, 256)):
            d = bytearray(data)
            d[pos] ^= mask
            try:
                key = VerifyingKey.from_bytes(bytes(d))
            except EncodingError:
                continue
            decoded += 1
            assert key.to_bytes() == bytes(d), pos
            assert key.digest != vk.digest, pos
    assert decoded > 0


@configs
def test_wrong_magic_and_version_have_clear_messages(name):
    data = key_for(name).to_bytes()
    with pytest.raises(EncodingError, match="magic"):
        VerifyingKey.from_bytes(b"SHPF" + data[4:])
    for version in (0, VK_VERSION + 1, 255):
        with pytest.raises(EncodingError, match="version"):
            VerifyingKey.from_bytes(data[:4] + bytes([version]) + data[5:])


@pytest.mark.parametrize("value", ["key", None, 5, [0, 1], np.zeros(4, np.uint8)])
def test_non_bytes_raise_encoding_error(value):
    with pytest.raises(EncodingError, match="expected bytes"):
        VerifyingKey.from_bytes(value)


@given(st.binary(max_size=2048))
def test_random_bytes_raise_encoding_error(data):
    with pytest.raises(EncodingError):
        VerifyingKey.from_bytes(data)


@given(st.binary(max_size=512))
def test_random_bytes_after_a_valid_header_never_raise_anything_else(tail):
    """Past magic and version the fields are parsed and validated: anything goes wrong as
    EncodingError, and anything that decodes re-encodes to the same bytes."""
    data = VK_MAGIC + bytes([VK_VERSION]) + tail
    try:
        key = VerifyingKey.from_bytes(data)
    except EncodingError:
        return
    assert key.to_bytes() == data


def _key_with_gate(name: str, old: str, new: str) -> bytes:
    data = key_for(name).to_bytes()
    assert data.count(old.encode()) == 1 and len(old) == len(new)
    return data.replace(old.encode(), new.encode())


GATES_OUTSIDE_THE_LAYOUT = [
    ("constant(count=4)", "constant(count=5)"),                        # 5 constants, the layout has 4
    ("decompose(values=8,bits=20)", "decompose(values=9,bits=20)"),    # 189 wires, the layout has 181
    ("decompose(values=8,bits=20)", "decompose(values=8,bits=24)"),    # 200 wires
]


@pytest.mark.parametrize("old,new", GATES_OUTSIDE_THE_LAYOUT)
def test_key_with_a_gate_outside_the_layout_is_rejected(old, new):
    with pytest.raises(EncodingError):
        VerifyingKey.from_bytes(_key_with_gate("poseidon2", old, new))


# -- limits on what a key may describe (a hostile key cannot make the verifier build a huge tape) ------

GATE_COUNT_AT = 28       # offset of the u16 gate count (SPEC.md section 11)


def key_with(vk: VerifyingKey, num_wires: int | None = None, gate_names=None) -> bytes:
    """The bytes of ``vk`` with W and/or the gate list replaced, written per SPEC.md section 11
    (so that keys VerifyingKey itself refuses to build can be decoded)."""
    data = vk.to_bytes()
    head = bytearray(data[:GATE_COUNT_AT])
    assert head[:4] == VK_MAGIC and int.from_bytes(data[GATE_COUNT_AT:GATE_COUNT_AT + 2], "big") == len(vk.gate_names)
    if num_wires is not None:
        head[5:7] = num_wires.to_bytes(2, "big")
    names = vk.gate_names if gate_names is None else gate_names
    body = len(names).to_bytes(2, "big") + b"".join(len(g).to_bytes(2, "big") + g.encode() for g in names)
    return bytes(head) + body + vk._cap_bytes()


def test_key_with_writes_the_same_bytes_as_the_key():
    vk = key_for("poseidon2")
    assert key_with(vk) == vk.to_bytes()
    assert VerifyingKey.from_bytes(key_with(vk, num_wires=vk.config.num_wires)) == vk


@pytest.mark.parametrize("num_wires", [257, 1000, 65535, 180, 0])
def test_key_with_too_many_or_too_few_wires_is_refused(num_wires):
    with pytest.raises(EncodingError, match="num_wires"):
        VerifyingKey.from_bytes(key_with(key_for("poseidon2"), num_wires=num_wires))
    with pytest.raises(ParameterError, match="num_wires"):
        ProofConfig(num_wires=num_wires)


def test_key_with_the_most_wires_decodes():
    key = VerifyingKey.from_bytes(key_with(key_for("poseidon2"), num_wires=MAX_NUM_WIRES))
    assert key.config.num_wires == MAX_NUM_WIRES == 256


def _many_gates(count: int) -> tuple[str, ...]:
    """``count`` distinct gates that fit the default layout, sorted."""
    names = [f"decompose(values=1,bits={b})" for b in range(1, MAX_DECOMPOSE_BITS + 1)]
    names += [f"decompose(values=2,bits={b})" for b in range(1, MAX_DECOMPOSE_BITS + 1)]
    names += ["arithmetic(ops=9)", "constant(count=4)", "poseidon2(width=16)"]
    assert len(names) >= count
    return tuple(sorted(names[:count]))


@pytest.mark.parametrize("count", [MAX_GATE_TYPES + 1, 64])
def test_key_with_too_many_gate_types_is_refused(count):
    vk = key_for("poseidon2")
    with pytest.raises(EncodingError, match=f"gate count = {count} exceeds the maximum {MAX_GATE_TYPES}"):
        VerifyingKey.from_bytes(key_with(vk, gate_names=_many_gates(count)))
    with pytest.raises(ParameterError, match="gate count"):
        replace(vk, gate_names=_many_gates(count))


def test_key_with_the_most_gate_types_decodes():
    key = VerifyingKey.from_bytes(key_with(key_for("poseidon2"), gate_names=_many_gates(MAX_GATE_TYPES)))
    assert len(key.gate_names) == MAX_GATE_TYPES == 32


@pytest.mark.parametrize("bits", [MAX_DECOMPOSE_BITS + 1, 40, 179, 9999])
def test_key_with_a_decomposition_of_too_many_bits_is_refused(bits):
    vk = key_for("poseidon2")
    names = tuple(sorted(set(vk.gate_names) | {f"decompose(values=1,bits={bits})"}))
    with pytest.raises(EncodingError, match="bits must be in"):
        VerifyingKey.from_bytes(key_with(vk, gate_names=names))
    with pytest.raises(CircuitError, match="bits"):
        DecomposeGate(1, bits)
    assert DecomposeGate(1, MAX_DECOMPOSE_BITS).num_bits == 31


def test_the_largest_decodable_constraint_system_is_bounded():
    """Each gate has at most as many constraints as wires, so a decodable key has at most
    MAX_GATE_TYPES * MAX_NUM_WIRES gate constraints; a key at the limits (the widest layout, 32
    decompositions as wide as it allows) decodes, stays under that bound and compiles."""
    for gate in (ConstantGate(8), ArithmeticGate(31), ExtArithmeticGate(7), Poseidon2Gate(),
                 DecomposeGate(126, 1), DecomposeGate(8, 31), DecomposeGate(1, 31, True)):
        assert gate.num_constraints() <= gate.num_wires
    cfg = ProofConfig(num_wires=MAX_NUM_WIRES, num_routed=126, num_constants=8, fri=FriConfig(pow_bits=4))
    names = sorted({DecomposeGate(min(MAX_NUM_WIRES // (b + 1), 126), b).name for b in range(1, 32)}
                   | {DecomposeGate(1, b, True).name for b in range(29, 32)})[:MAX_GATE_TYPES]
    vk = VerifyingKey(cfg, 10, 1000, 0, tuple(names), np.zeros((16, 8), np.uint32))
    key = VerifyingKey.from_bytes(vk.to_bytes())
    gate_constraints = sum(g.num_constraints() for g in key.gates)
    assert 6000 < gate_constraints <= MAX_GATE_TYPES * MAX_NUM_WIRES
    from shielded.proof.prover import build_constraint_tape
    assert len(build_constraint_tape(key).output_map) >= gate_constraints


# -- a changed key never verifies a valid proof ------------------------------------------------------

_proved: dict = {}


def proved(name: str):
    if name not in _proved:
        inst = mixed_circuit(CONFIGS[name], seed=31)
        pk, vk = setup(inst.circuit)
        proof, public = prove(pk, inst.witness(), rng=np.random.default_rng(9))
        verify(vk, public, proof)
        _proved[name] = (vk, proof, public)
    return _proved[name]


def gate_name_region(data: bytes, vk: VerifyingKey) -> range:
    start = data.index(vk.gate_names[0].encode()) - 2
    end = data.index(vk.gate_names[-1].encode()) + len(vk.gate_names[-1])
    return range(start, end)


@pytest.mark.prove
@configs
def test_changed_key_rejects_a_valid_proof(name):
    """A seeded sample of single-byte changes outside the gate names (changed gate names are
    covered by the two tests below): the key fails to decode, or the valid proof fails to verify
    under it."""
    vk, proof, public = proved(name)
    data = vk.to_bytes()
    names = gate_name_region(data, vk)
    rnd = random.Random(f"vk-verify-{name}")
    positions = [p for p in range(len(data)) if p not in names]
    for pos in sorted(rnd.sample(positions, 60)) + list(range(5, 24)):
        d = bytearray(data)
        d[pos] ^= rnd.randrange(1, 256)
        try:
            key = VerifyingKey.from_bytes(bytes(d))
        except EncodingError:
            continue
        with pytest.raises(VerificationError):
            verify(key, public, proof)


@pytest.mark.prove
@pytest.mark.parametrize("old,new", GATES_OUTSIDE_THE_LAYOUT)
def test_changed_gate_name_never_crashes_the_verifier(old, new):
    vk, proof, public = proved("poseidon2")
    try:
        key = VerifyingKey.from_bytes(_key_with_gate("poseidon2", old, new))
    except EncodingError:
        return
    with pytest.raises(VerificationError):
        verify(key, public, proof)


@pytest.mark.prove
def test_changed_gate_names_that_fit_the_layout_are_rejected():
    vk, proof, public = proved("poseidon2")
    for old, new in [("arithmetic(ops=9)", "arithmetic(ops=8)"), ("arithmetic(ops=9)", "arithmetic(ops=0)"),
                     ("decompose(values=8,bits=20)", "decompose(values=7,bits=20)"),
                     ("constant(count=4)", "constant(count=3)")]:
        # rejected either when the key decodes (ops=0 is not a gate) or when the proof is checked
        with pytest.raises((EncodingError, VerificationError)):
            key = VerifyingKey.from_bytes(_key_with_gate("poseidon2", old, new))
            verify(key, public, proof)


# -- gate names ---------------------------------------------------------------------------------------

gates = st.one_of(
    st.integers(1, 8).map(ConstantGate),
    st.integers(1, 64).map(ArithmeticGate),
    st.integers(1, 16).map(ExtArithmeticGate),
    st.builds(DecomposeGate, st.integers(1, 181), st.integers(1, 31), st.booleans()),
    st.just(Poseidon2Gate()),
)


@given(gates)
def test_gate_from_name_round_trips(gate):
    back = gate_from_name(gate.name)
    assert back == gate and type(back) is type(gate) and back.name == gate.name
    assert (back.num_wires, back.num_routed, back.num_constants) == \
           (gate.num_wires, gate.num_routed, gate.num_constants)


def test_gate_from_name_round_trips_for_every_gate_a_circuit_uses():
    used = set(all_gate_types(36).values())
    for cfg in CONFIGS.values():
        used |= set(mixed_circuit(cfg).circuit.gates)
    for r in (36, 48, 64):
        used |= set(all_gate_types(r).values())
    kinds = {g.name.split("(")[0] for g in used}
    assert kinds == {"constant", "arithmetic", "ext_arithmetic", "decompose", "poseidon2"}
    for g in used:
        assert gate_from_name(g.name) == g


@pytest.mark.parametrize("name", [
    "", "arithmetic", "arithmetic()", "arithmetic(ops=)", "arithmetic(ops=x)", "arithmetic(ops=-1)",
    "arithmetic(ops=09)", "arithmetic(ops=+9)", "arithmetic(ops=9,)", "arithmetic( ops=9)",
    "arithmetic(ops=9 )", "arithmetic(ops=9)\n", " arithmetic(ops=9)", "Arithmetic(ops=9)",
    "arithmetic(ops=9,ops=9)", "arithmetic(ops=1_0)", "arithmetic(ops=99999)", "arithmetic(count=9)",
    "arithmetic(ops=9,routed)", "arithmetic(ops=٩)", "arithmetic(ops=𝟗)",
    "constant(count=4,ops=1)", "constant()", "ext_arithmetic(ops=2,ops=3)",
    "decompose(values=1)", "decompose(bits=3,values=1)", "decompose(values=1,bits=3,routed=1)",
    "decompose(values=1,bits=3,routed,routed)", "decompose(values=1,bits=3,foo)",
    "decompose(values=1,bits=3,routed,)", "decompose(values=01,bits=3)",
    "poseidon2()", "poseidon2(width=24)", "poseidon2(width=016)", "poseidon2(width=16,routed)",
    "keccak(width=25)", "unknown(ops=1)", "arithmetic(ops=9)(ops=9)",
])
def test_gate_from_name_rejects_unknown_and_non_canonical_names(name):
    with pytest.raises(CircuitError):
        gate_from_name(name)


@given(st.text(alphabet="acdeghimnoprstuwxlbk_0123456789(),= -", max_size=40))
def test_gate_from_name_never_raises_anything_but_circuit_error(name):
    try:
        gate = gate_from_name(name)
    except CircuitError:
        return
    assert gate.name == name


@pytest.mark.parametrize("name", ["arithmetic(ops=²)", "constant(count=³)", "decompose(values=1,bits=¹)"])
def test_gate_from_name_rejects_superscript_digits_with_circuit_error(name):
    with pytest.raises(CircuitError):
        gate_from_name(name)
