"""How every benchmark prints its result: one JSON object with --json, else one aligned
"key: value" line per figure."""

from __future__ import annotations

import json


def print_result(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    width = max((len(k) for k in result), default=0)
    for k, v in result.items():
        print(f"{k:>{width}}: {v}")
