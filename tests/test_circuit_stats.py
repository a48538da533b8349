"""Pinned circuit statistics (DESIGN.md): gadget costs and circuit sizes must not change unnoticed.

If a change is intended, regenerate with `python -m tools.gen_circuit_stats` and commit the file
together with the change; SPEC.md quotes the join-split numbers.
"""

import json

from tools.gen_circuit_stats import OUT, compute


def test_circuit_stats_are_pinned():
    pinned = json.loads(OUT.read_text())
    now = compute()
    for section in ("gadgets", "circuits"):
        for name, stats in now[section].items():
            assert name in pinned[section], f"{section} '{name}' is not pinned: regenerate the stats file"
            assert stats == pinned[section][name], (
                f"{section} '{name}' changed: {pinned[section][name]} -> {stats}; "
                "if intended, run `python -m tools.gen_circuit_stats` and commit the file")
        assert set(pinned[section]) == set(now[section]), f"stale entries in {section}"


def test_joinsplit_size_matches_spec():
    """SPEC.md, section 20 quotes these numbers."""
    js = compute()["circuits"]["joinsplit depth 32, hiding"]
    assert js["rows_used"] == 136 and js["log_n"] == 8
    assert js["gate_rows"]["poseidon2(width=16)"] == 90
