"""The shipped parameter file is the shared one (SPEC.md section 1): the numbers are never retyped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import shielded.data
from shielded.data import load_parameters

NAME = "koalabear_poseidon2.json"
SHIPPED = Path(shielded.data.__file__).resolve().parent / NAME
SHARED = Path(__file__).resolve().parents[2] / "shared" / "vectors" / NAME


def test_shipped_copy_is_byte_identical_to_shared():
    """shielded/data/<file> must equal ../shared/vectors/<file> byte for byte (no drift, no edits)."""
    if not SHARED.exists():
        pytest.skip(f"shared parameter file not present at {SHARED}")
    assert SHIPPED.read_bytes() == SHARED.read_bytes()


def test_load_parameters_reads_the_shipped_file():
    """load_parameters parses exactly the shipped file (and caches one object)."""
    assert load_parameters() == json.loads(SHIPPED.read_text("utf-8"))
    assert load_parameters() is load_parameters()
    assert {"field", "poseidon2"} <= set(load_parameters())
