"""The README's Python examples run as written (documentation must match behaviour)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_examples():
    assert len(_snippets()) >= 3


@pytest.mark.prove
@pytest.mark.parametrize("index", range(len(_snippets())))
def test_readme_example_runs(index):
    namespace: dict = {}
    exec(compile(_snippets()[index], f"README.md example {index}", "exec"), namespace)
    for name, obj in list(namespace.items()):
        if name.startswith("test_") and callable(obj):
            obj()      # run hypothesis-decorated examples too
