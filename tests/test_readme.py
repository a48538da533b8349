"""The README's Python examples run as written (documentation must match behaviour).

The examples read like a notebook (the toolkit example uses the first example's circuit), so
they run in order in one namespace."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_examples():
    assert len(_snippets()) >= 3


@pytest.mark.prove
def test_readme_examples_run_in_order():
    namespace: dict = {}
    for index, code in enumerate(_snippets()):
        exec(compile(code, f"README.md example {index}", "exec"), namespace)
    for name, obj in list(namespace.items()):
        if name.startswith("test_") and callable(obj):
            obj()      # the hypothesis-decorated example runs too
