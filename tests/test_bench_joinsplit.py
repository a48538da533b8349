"""tools/bench_joinsplit: flags, the JSON result, --tx-out and --verify (issue 3, item 6).

The benchmark runs at the insecure-test preset (the cheapest that exercises every code path:
the same circuit shape, fewer FRI queries) with --repeat 1; the real-preset figures are run by
hand and recorded in BENCHMARKS.md.  One transaction file is written once per module and then
verified as is, with one byte changed at several places, under the wrong preset, and replaced by
garbage, an empty file, a directory or nothing at all.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from shielded.protocol.params import INSECURE_TEST
from shielded.protocol.transaction import Transaction, joinsplit_system
from tools.bench_joinsplit import main

FAST = ["--preset", "insecure-test", "--repeat", "1"]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """(exit code, stdout JSON, path of the written transaction) of one --json --tx-out run."""
    path = tmp_path_factory.mktemp("bench") / "tx.bin"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(FAST + ["--json", "--tx-out", str(path)])
    return code, out.getvalue(), err.getvalue(), path


def verify(path, *extra) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["--preset", "insecure-test", "--verify", str(path), *extra])
    return code, err.getvalue()


# -- a run ----------------------------------------------------------------------------------------

@pytest.mark.prove
def test_json_result_has_the_documented_keys(bench):
    code, out, err, path = bench
    assert code == 0
    assert err == ""                                   # --json: nothing but the JSON object
    result = json.loads(out)
    assert {"rows", "prove_s", "verify_s", "proof_bytes"} <= set(result)
    assert result["rows"] == joinsplit_system(INSECURE_TEST).js.circuit.n
    assert result["preset"] == "insecure-test" and result["repeat"] == 1
    assert isinstance(result["prove_s"], float) and 0 < result["prove_s"] < 60
    assert isinstance(result["verify_s"], float) and 0 < result["verify_s"] < 10
    tx = Transaction.from_bytes(path.read_bytes())
    assert result["proof_bytes"] == len(tx.proof) and result["tx_bytes"] == len(path.read_bytes())


@pytest.mark.prove
def test_text_output_and_progress(capsys):
    assert main(FAST) == 0
    captured = capsys.readouterr()
    assert "proof_bytes:" in captured.out and "prove_s:" in captured.out
    assert captured.err != ""                           # progress while proving goes to stderr
    with pytest.raises(ValueError):
        json.loads(captured.out)


@pytest.mark.prove
def test_written_transaction_verifies(bench):
    code, said = verify(bench[3])
    assert code == 0 and "valid" in said


@pytest.mark.prove
@pytest.mark.parametrize("where", ["magic", "version", "root", "fee", "ciphertext", "proof-length",
                                   "proof-start", "proof-middle", "proof-end"])
def test_a_changed_byte_is_invalid(bench, tmp_path, where):
    data = bytearray(bench[3].read_bytes())
    at = {"magic": 0, "version": 4, "root": 10, "fee": 210, "ciphertext": 300, "proof-length": 689,
          "proof-start": 691, "proof-middle": (691 + len(data)) // 2, "proof-end": len(data) - 1}[where]
    data[at] ^= 0x01
    path = tmp_path / "changed.bin"
    path.write_bytes(bytes(data))
    code, said = verify(path)
    assert code == 1 and said.startswith("invalid")


@pytest.mark.prove
@pytest.mark.parametrize("preset", ["small", "real"])
def test_a_file_of_another_preset_is_invalid(bench, preset):
    """The insecure-test proof under the small and real keys (the default preset is real)."""
    err = io.StringIO()
    argv = ["--verify", str(bench[3])] + (["--preset", preset] if preset != "real" else [])
    with contextlib.redirect_stderr(err):
        assert main(argv) == 1
    assert err.getvalue().startswith("invalid")


@pytest.mark.prove
def test_truncated_and_extended_files_are_invalid(bench, tmp_path):
    data = bench[3].read_bytes()
    for bad in (data[:-1], data[:691], data + b"\x00"):
        path = tmp_path / "bad.bin"
        path.write_bytes(bad)
        assert verify(path)[0] == 1


# -- files that are no transaction at all ------------------------------------------------------

@pytest.mark.parametrize("content", [b"", b"garbage", bytes(range(256)) * 8, b"SHTX\x01" + bytes(700),
                                     b"SHTX\x02" + bytes(2000)],
                         ids=["empty", "text", "bytes", "zeros", "version-2"])
def test_garbage_is_invalid(tmp_path, content):
    path = tmp_path / "garbage.bin"
    path.write_bytes(content)
    code, said = verify(path)
    assert code == 1 and said.startswith("invalid")


def test_missing_file_is_invalid(tmp_path):
    code, said = verify(tmp_path / "absent.bin")
    assert code == 1 and "cannot read" in said


def test_a_directory_is_invalid(tmp_path):
    code, said = verify(tmp_path)
    assert code == 1 and "cannot read" in said


def test_an_empty_path_is_a_missing_file_not_a_benchmark():
    """Regression: ``--verify ''`` was falsy and ran the benchmark instead."""
    code, said = verify("")
    assert code == 1 and "cannot read" in said


# -- bad arguments: exit 2 before any work --------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["--preset", "huge"], ["--repeat", "0"], ["--repeat", "-3"], ["--repeat", "x"],
    ["--verify", "a.bin", "--tx-out", "b.bin"], ["--unknown"]],
    ids=["preset", "repeat-0", "repeat-negative", "repeat-text", "verify-and-tx-out", "unknown"])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert "error" in capsys.readouterr().err


def test_tx_out_into_a_missing_directory_exits_2_before_proving(tmp_path, capsys):
    target = tmp_path / "no" / "such" / "dir" / "tx.bin"
    with pytest.raises(SystemExit) as e:
        main(FAST + ["--tx-out", str(target)])
    assert e.value.code == 2 and "not a file in an existing directory" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_tx_out_onto_a_directory_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(FAST + ["--tx-out", str(tmp_path)])
    assert e.value.code == 2


def test_help_names_every_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--json", "--tx-out", "--verify", "--repeat", "--preset"):
        assert flag in text
