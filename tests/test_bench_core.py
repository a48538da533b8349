"""tools/bench_core: its flags, its JSON object, the proof file and ``--verify`` exit codes, and the
refusal (argparse-style, exit code 2, one line) of every size it cannot prove as asked.  The tool
runs in-process through ``main(argv)`` on small circuits (2^4 rows, 2^7 in hiding mode)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from shielded.commit.security import security_report
from shielded.errors import ParameterError
from shielded.field.koalabear import P
from shielded.proof.keys import setup
from tools.bench_core import (MIN_SECURITY_BITS, log_rows_error, main, make_config, synthetic_circuit,
                              valid_log_rows)

REQUIRED_KEYS = {"log_rows", "columns", "prove_s", "verify_s", "proof_bytes", "security_bits"}
HEADER = 4 + 1 + 4        # magic, version, log_rows / zk / hash / log_blowup
PUBLIC_AT = HEADER + 2    # after the u16 public-input count


def run(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def refused(argv, capsys) -> str:
    """Run argv, expect an argparse-style refusal (exit 2, no traceback); return the message."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("python -m tools.bench_core: error: ")
    return last


@pytest.fixture(scope="module")
def proved(tmp_path_factory):
    """{zk: (JSON object, proof file bytes)} from two runs: K = 4 plain, K = 7 hiding."""
    out = {}
    for zk, k in ((False, 4), (True, 7)):
        path = tmp_path_factory.mktemp("bench") / "proof.bin"
        buf = io.StringIO()
        argv = ["--log-rows", str(k), "--json", "--repeat", "1", "--proof-out", str(path)]
        with contextlib.redirect_stdout(buf):
            assert main(argv + (["--zk"] if zk else [])) == 0
        out[zk] = (json.loads(buf.getvalue()), path.read_bytes())
    return out


# -- the JSON object and the human-readable report ------------------------------------------------------

@pytest.mark.prove
@pytest.mark.parametrize("zk", [False, True], ids=["plain", "hiding"])
def test_json_object_has_the_documented_keys_and_values(proved, zk):
    result, data = proved[zk]
    assert REQUIRED_KEYS <= set(result)
    k = 7 if zk else 4
    config = make_config(zk)
    circuit, _ = synthetic_circuit(k, config)
    _, vk = setup(circuit)
    assert result["log_rows"] == k == circuit.log_n
    assert result["columns"] == vk.layout.total_columns
    assert result["zk"] is zk
    assert result["security_bits"] == security_report(config.fri, k)["conjectured_bits"] >= MIN_SECURITY_BITS
    assert result["num_queries"] == config.fri.num_queries and result["pow_bits"] == config.fri.pow_bits
    assert isinstance(result["prove_s"], float) and result["prove_s"] > 0
    assert isinstance(result["verify_s"], float) and result["verify_s"] > 0
    # the proof file holds the proof whose size was reported, after its header and public inputs
    n_pub = int.from_bytes(data[HEADER:HEADER + 2], "big")
    proof_at = PUBLIC_AT + 4 * n_pub + 4
    assert int.from_bytes(data[proof_at - 4:proof_at], "big") == result["proof_bytes"] == len(data) - proof_at


@pytest.mark.prove
def test_report_without_json_lists_every_key(capsys):
    code, out, err = run(["--log-rows", "4", "--repeat", "1"], capsys)
    assert code == 0
    names = {line.split(":")[0].strip() for line in out.splitlines()}
    assert REQUIRED_KEYS <= names
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


# -- --verify FILE ------------------------------------------------------------------------------------

@pytest.mark.prove
@pytest.mark.parametrize("zk", [False, True], ids=["plain", "hiding"])
def test_verify_accepts_the_proof_file(proved, zk, tmp_path, capsys):
    path = tmp_path / "proof.bin"
    path.write_bytes(proved[zk][1])
    code, out, err = run(["--verify", str(path)], capsys)
    assert code == 0 and err.startswith("valid proof")
    assert run(["--verify", str(path), "--json"], capsys)[0] == 0     # quiet form


def _flip(data: bytes, pos: int, mask: int = 1) -> bytes:
    b = bytearray(data)
    b[pos] ^= mask
    return bytes(b)


@pytest.mark.prove
@pytest.mark.parametrize("zk", [False, True], ids=["plain", "hiding"])
def test_verify_rejects_a_flipped_byte_anywhere(proved, zk, tmp_path, capsys):
    """Every header byte, every public-input byte and a spread of proof bytes: exit code 1 and a
    one-line message."""
    data = proved[zk][1]
    n_pub = int.from_bytes(data[HEADER:HEADER + 2], "big")
    proof_at = PUBLIC_AT + 4 * n_pub + 4
    positions = list(range(proof_at)) + list(range(proof_at, len(data), max(1, (len(data) - proof_at) // 40)))
    positions.append(len(data) - 1)
    path = tmp_path / "bad.bin"
    for pos in positions:
        path.write_bytes(_flip(data, pos))
        code, out, err = run(["--verify", str(path)], capsys)
        assert code == 1, f"byte {pos} flipped: exit code {code}"
        assert err.startswith("invalid") and len(err.strip().splitlines()) == 1


@pytest.mark.prove
def test_verify_rejects_every_changed_public_input(proved, tmp_path, capsys):
    data = proved[False][1]
    n_pub = int.from_bytes(data[HEADER:HEADER + 2], "big")
    assert n_pub == 2
    path = tmp_path / "bad.bin"
    for k in range(n_pub):
        at = PUBLIC_AT + 4 * k
        value = int.from_bytes(data[at:at + 4], "big")
        for changed in ((value + 1) % P, (value - 1) % P, 0 if value else 1):
            path.write_bytes(data[:at] + changed.to_bytes(4, "big") + data[at + 4:])
            code, out, err = run(["--verify", str(path)], capsys)
            assert code == 1 and "constraints do not hold at zeta" in err


@pytest.mark.prove
def test_verify_rejects_a_truncated_or_extended_file(proved, tmp_path, capsys):
    data = proved[False][1]
    path = tmp_path / "bad.bin"
    for bad in (data[:-1], data[:len(data) // 2], data[:PUBLIC_AT], data + b"\x00"):
        path.write_bytes(bad)
        assert run(["--verify", str(path)], capsys)[0] == 1


@pytest.mark.parametrize("content", [b"", b"hello", b"SHBC", b"SHBC\x02" + bytes(20), bytes(64), b"\xff" * 100])
def test_verify_rejects_garbage(content, tmp_path, capsys):
    path = tmp_path / "garbage.bin"
    path.write_bytes(content)
    code, out, err = run(["--verify", str(path)], capsys)
    assert code == 1 and err.startswith("invalid") and "Traceback" not in err


@pytest.mark.parametrize("log_rows,zk,log_blowup", [(30, 0, 3), (19, 0, 3), (3, 0, 3), (7, 1, 2), (4, 2, 3), (4, 0, 9)])
def test_verify_rejects_a_well_formed_file_naming_a_size_or_mode_the_tool_refuses(log_rows, zk, log_blowup,
                                                                               tmp_path, capsys):
    """Header, no public inputs, a one-byte proof: refused from the parameters, before any setup."""
    path = tmp_path / "params.bin"
    path.write_bytes(b"SHBC\x01" + bytes([log_rows, zk, 0, log_blowup]) + b"\x00\x00" + b"\x00\x00\x00\x01\x00")
    code, out, err = run(["--verify", str(path)], capsys)
    assert code == 1 and err.startswith("invalid")
    assert ("out of range" in err) if zk > 1 or log_blowup > 5 else (f"--log-rows {log_rows}:" in err)


def test_verify_rejects_a_missing_file_or_a_directory(tmp_path, capsys):
    for path in (str(tmp_path / "absent.bin"), str(tmp_path), ""):
        code, out, err = run(["--verify", path], capsys)
        assert code == 1 and err.startswith("invalid")


# -- sizes: the advertised range is the real one --------------------------------------------------------

@pytest.mark.parametrize("argv,expect", [
    (["--log-rows", "19"], "below 100"),
    (["--log-rows", "20"], "below 100"),
    (["--log-rows", "20", "--log-blowup", "5"], "exceeds 2^24"),
    (["--log-rows", "24", "--log-blowup", "2"], "exceeds 2^24"),
    (["--zk", "--log-blowup", "2", "--log-rows", "7"], "blinding rows"),
    (["--zk", "--log-rows", "6"], "blinding rows"),
    (["--log-rows", "3"], "at least 2^4"),
    (["--log-rows", "0"], "at least 2^4"),
    (["--log-rows", "-1"], "at least 2^4"),
])
def test_sizes_that_cannot_be_proved_as_asked_are_refused(argv, expect, capsys):
    msg = refused(argv, capsys)
    assert expect in msg
    zk, lb = "--zk" in argv, int(argv[argv.index("--log-blowup") + 1]) if "--log-blowup" in argv else 3
    valid = valid_log_rows(make_config(zk, log_blowup=lb))
    assert msg.endswith(f"K must be in {valid[0]}..{valid[-1]}")


@pytest.mark.parametrize("argv", [[], ["--zk"], ["--log-rows", "x"], ["--log-rows", "4", "--log-blowup", "6"],
                                  ["--log-rows", "4", "--hash", "sha256"]])
def test_bad_arguments_are_refused(argv, capsys):
    refused(argv, capsys)


def test_proof_out_into_a_missing_directory_is_refused_before_proving(tmp_path, capsys):
    msg = refused(["--log-rows", "4", "--proof-out", str(tmp_path / "no" / "proof.bin")], capsys)
    assert "no such directory" in msg


def test_help_states_the_valid_range(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    assert "2^K rows (4..18 with the default options" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("zk", [False, True], ids=["plain", "hiding"])
@pytest.mark.parametrize("log_blowup", [2, 3, 4, 5])
def test_valid_range_matches_the_security_policy_and_the_builder(zk, log_blowup):
    """valid_log_rows is contiguous; at its top the conjectured figure (the one setup() checks)
    is >= 100 bits and one row-doubling more it is not, or the domain is too large; at its bottom
    the synthetic circuit is exactly 2^K rows and one size less is refused by synthetic_circuit."""
    config = make_config(zk, log_blowup=log_blowup)
    valid = valid_log_rows(config)
    lo, hi = valid[0], valid[-1]
    assert valid == list(range(lo, hi + 1))
    assert hi == 18 and lo == (config.min_log_rows() if zk else 4)
    assert security_report(config.fri, hi, num_routed=config.num_routed)["conjectured_bits"] >= 100
    assert security_report(config.fri, hi + 1, num_routed=config.num_routed)["conjectured_bits"] < 100
    for k in (lo, lo + 1):
        circuit, inputs = synthetic_circuit(k, config)
        assert circuit.log_n == k and len(inputs) == len(circuit.inputs)
    assert log_rows_error(lo - 1, config) is not None
    with pytest.raises(ParameterError, match="--log-rows"):
        synthetic_circuit(lo - 1, config)
