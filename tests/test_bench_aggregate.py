"""tools/bench_aggregate's argument and file handling (the benchmark itself is run by hand and
recorded in BENCHMARKS.md; a valid batch file needs a full setup to verify)."""

from __future__ import annotations

import json

import pytest

from tools.bench_aggregate import FILE_FORMAT, FILE_VERSION, main, verify_file


def _verify(path) -> tuple[int, list]:
    said = []
    return verify_file(str(path), said.append), said


def test_missing_file_is_invalid(tmp_path):
    code, said = _verify(tmp_path / "absent.json")
    assert code == 1 and "cannot read" in said[-1]


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"[1, 2]", b"{\"format\": \"other\"}",
                                     json.dumps({"format": FILE_FORMAT, "version": FILE_VERSION + 1}).encode()])
def test_malformed_files_are_invalid(tmp_path, content):
    path = tmp_path / "batch.json"
    path.write_bytes(content)
    code, said = _verify(path)
    assert code == 1 and said[-1].startswith("invalid")


def test_bad_fields_are_invalid_before_any_setup(tmp_path):
    doc = {"format": FILE_FORMAT, "version": FILE_VERSION, "preset": "real",
           "old_state": {"note_root": [0] * 7, "note_size": 0, "nf_root": [0] * 8, "nf_size": 1},
           "history": [], "calldata": "", "final_public": [], "proof": ""}
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(doc))
    code, said = _verify(path)
    assert code == 1 and "8 integers" in said[-1]
    doc["old_state"]["note_root"] = [0] * 8
    doc["calldata"] = "zz"
    path.write_text(json.dumps(doc))
    assert _verify(path)[0] == 1
    doc["calldata"], doc["preset"] = "", "huge"
    path.write_text(json.dumps(doc))
    assert _verify(path)[0] == 1


@pytest.mark.parametrize("argv", [["--txs", "0"], ["--txs", "2000"], ["--workers", "0"], ["--preset", "x"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert "error" in capsys.readouterr().err
