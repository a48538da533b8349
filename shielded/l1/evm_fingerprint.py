"""The batch fingerprint as EVM code (SPEC.md, sections 28 and 31).

The L1 contract recomputes F = rho^m + sum_j c_j rho^(m-1-j) mod q, q = 2^127 - 1, from the
batch calldata (section 28): per record a flag byte, then 5 or 7 words of 32 bytes, each word
two 16-byte chunks c_j; a record without public amounts (flag 0) omits its last two words,
which stand for four zero chunks (acc <- acc * rho^4).  This module assembles that loop by hand
(``fingerprint_runtime``) and carries an equivalent Vyper version (``VYPER_SOURCE``), so that
``tools/bench_l1_fingerprint.py`` and the tests can run both on an EVM and measure their gas:
the hand-written loop is the cost the L1 contract can have, the Vyper one what a first
straightforward contract would pay.

Calling convention of the hand-assembled code: calldata = rho (32 bytes) || batch calldata;
it returns two words, F and the gas the fingerprint loop used (measured with GAS).
"""

from __future__ import annotations

from circuits.gadgets.fq import Q

_OPS = {
    "STOP": 0x00, "ADD": 0x01, "MULMOD": 0x09, "LT": 0x10, "EQ": 0x14, "ISZERO": 0x15, "AND": 0x16,
    "SHR": 0x1C, "SUB": 0x03, "MUL": 0x02, "MOD": 0x06, "CALLDATALOAD": 0x35, "POP": 0x50,
    "MSTORE": 0x52, "JUMP": 0x56, "JUMPI": 0x57, "GAS": 0x5A, "JUMPDEST": 0x5B, "RETURN": 0xF3,
    "CODECOPY": 0x39,
}
for _i in range(1, 17):
    _OPS[f"DUP{_i}"] = 0x7F + _i
    _OPS[f"SWAP{_i}"] = 0x8F + _i

HEADER_BYTES = 7 + 160           # magic, version, record count, then the five header words
MASK128 = (1 << 128) - 1


def assemble(program: list) -> bytes:
    """A minimal assembler: items are opcode names, ("PUSH", value[, width]), ("LABEL", name)
    and ("PUSHLABEL", name) (a 2-byte jump target)."""
    def size(item) -> int:
        if isinstance(item, str):
            return 1
        kind = item[0]
        if kind == "LABEL":
            return 1
        if kind == "PUSHLABEL":
            return 3
        value = item[1]
        width = item[2] if len(item) > 2 else max(1, (value.bit_length() + 7) // 8)
        return 1 + width
    labels, pos = {}, 0
    for item in program:
        if isinstance(item, tuple) and item[0] == "LABEL":
            labels[item[1]] = pos
        pos += size(item)
    out = bytearray()
    for item in program:
        if isinstance(item, str):
            out.append(_OPS[item])
        elif item[0] == "LABEL":
            out.append(_OPS["JUMPDEST"])
        elif item[0] == "PUSHLABEL":
            out += bytes([0x61]) + labels[item[1]].to_bytes(2, "big")
        else:
            value = item[1]
            width = item[2] if len(item) > 2 else max(1, (value.bit_length() + 7) // 8)
            out += bytes([0x5F + width]) + value.to_bytes(width, "big")
    return bytes(out)


def _program() -> list:
    """The loop; stack comments list the top first."""
    return [
        "GAS",                                          # g0
        ("PUSH", Q, 16),                                # q g0
        ("PUSH", 0), "CALLDATALOAD",                    # rho q g0
        "DUP2", "DUP2", "DUP1", "MULMOD",               # rho^2 rho q g0
        "DUP3", "SWAP1", "DUP1", "MULMOD",              # rho4 rho q g0
        ("PUSH", 32 + 5), "CALLDATALOAD", ("PUSH", 240), "SHR",   # n rho4 rho q g0
        ("PUSH", 1),                                    # acc n rho4 rho q g0
        ("PUSH", 32 + HEADER_BYTES),                    # pos acc n rho4 rho q g0
        ("LABEL", "record"),
        "DUP3", "ISZERO", ("PUSHLABEL", "done"), "JUMPI",
        "SWAP2", ("PUSH", 1), "SWAP1", "SUB", "SWAP2",  # pos acc n-1 rho4 rho q g0
        "DUP1", "CALLDATALOAD", ("PUSH", 248), "SHR",   # flag pos acc n rho4 rho q g0
        "SWAP1", ("PUSH", 1), "ADD",                    # pos flag acc n rho4 rho q g0
        "DUP2", ("PUSH", 64), "MUL", ("PUSH", 160), "ADD", "DUP2", "ADD",   # end pos flag acc n rho4 rho q g0
        "SWAP1",                                        # pos end flag acc n rho4 rho q g0
        ("LABEL", "word"),
        "DUP1", "CALLDATALOAD",                         # w pos end flag acc n rho4 rho q g0
        "DUP9", "DUP9", "DUP7", "MULMOD",               # m1 w pos end flag acc n rho4 rho q g0
        "DUP2", ("PUSH", 128), "SHR", "ADD",            # a1 w pos end flag acc n rho4 rho q g0
        "DUP10", "DUP10", "DUP3", "MULMOD",             # m2 a1 w pos end flag acc ...
        "SWAP1", "POP",                                 # m2 w pos end flag acc ...
        "SWAP1", ("PUSH", MASK128, 16), "AND", "ADD",   # a2 pos end flag acc ...
        "SWAP4", "POP",                                 # pos end flag a2 n rho4 rho q g0
        ("PUSH", 32), "ADD",                            # pos' end flag acc ...
        "DUP2", "DUP2", "LT", ("PUSHLABEL", "word"), "JUMPI",
        "SWAP2",                                        # flag end pos acc n rho4 rho q g0
        ("PUSHLABEL", "full"), "JUMPI",                 # end pos acc n rho4 rho q g0
        "DUP7", "DUP6", "DUP5", "MULMOD", "SWAP3", "POP",   # end pos acc*rho4 n ...
        ("LABEL", "full"),
        "POP",                                          # pos acc n rho4 rho q g0
        ("PUSHLABEL", "record"), "JUMP",
        ("LABEL", "done"),                              # pos acc 0 rho4 rho q g0
        "POP", "DUP5", "SWAP1", "MOD",                  # F 0 rho4 rho q g0
        ("PUSH", 0), "MSTORE",                          # 0 rho4 rho q g0
        "POP", "POP", "POP", "POP", "GAS", "SWAP1", "SUB",   # used
        ("PUSH", 32), "MSTORE",
        ("PUSH", 64), ("PUSH", 0), "RETURN",
    ]


def fingerprint_runtime() -> bytes:
    """Runtime code of the hand-written loop."""
    return assemble(_program())


def deployment_code(runtime: bytes) -> bytes:
    """Init code that returns ``runtime`` as the contract's code."""
    n = len(runtime)
    init = assemble([("PUSH", n, 2), ("PUSH", 0, 2), ("PUSH", 0, 1), "CODECOPY",
                     ("PUSH", n, 2), ("PUSH", 0, 1), "RETURN"])
    init = assemble([("PUSH", n, 2), ("PUSH", len(init), 2), ("PUSH", 0, 1), "CODECOPY",
                     ("PUSH", n, 2), ("PUSH", 0, 1), "RETURN"])
    return init + runtime


VYPER_SOURCE = """# pragma version 0.4.3
# The batch fingerprint (SPEC.md, section 28) as a straightforward Vyper loop over the batch
# calldata, which follows the ABI-encoded arguments at byte ``offset`` of msg.data.
Q: constant(uint256) = 2**127 - 1
MASK: constant(uint256) = 2**128 - 1


@external
@view
def fingerprint(rho: uint256, offset: uint256) -> (uint256, uint256):
    g0: uint256 = msg.gas
    n: uint256 = (convert(convert(slice(msg.data, offset, 32), bytes32), uint256) >> 200) & 65535
    rho4: uint256 = uint256_mulmod(rho, rho, Q)
    rho4 = uint256_mulmod(rho4, rho4, Q)
    acc: uint256 = 1
    pos: uint256 = offset + 167
    for i: uint256 in range(n, bound=1024):
        flag: uint256 = convert(convert(slice(msg.data, pos, 32), bytes32), uint256) >> 248
        pos += 1
        words: uint256 = 5
        if flag == 1:
            words = 7
        for k: uint256 in range(words, bound=7):
            w: uint256 = convert(convert(slice(msg.data, pos, 32), bytes32), uint256)
            acc = unsafe_add(uint256_mulmod(acc, rho, Q), w >> 128)
            acc = unsafe_add(uint256_mulmod(acc, rho, Q), w & MASK)
            pos += 32
        if flag == 0:
            acc = uint256_mulmod(acc, rho4, Q)
    return acc % Q, g0 - msg.gas
"""
