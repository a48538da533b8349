"""Import lint: imports only point down the layer order (DESIGN.md "Layers", shielded/__init__.py).

field < hash < poly < commit < proof < circuits < protocol < state < l1 < operator < wallet.
shielded.errors and shielded.data may be imported from anywhere (and import no layer);
shielded.testing, shielded.cli and tools/ may import anything; a module may import its own layer.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import shielded

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["field", "hash", "poly", "commit", "proof", "circuits", "protocol", "state", "l1", "operator", "wallet"]
BASE = {"shielded", "shielded.errors", "shielded.data"}     # below every layer, importable everywhere
FREE = {"shielded.testing", "shielded.cli"}                  # may import anything, nobody imports them
RANK = {name: i for i, name in enumerate(LAYERS)}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def group(module: str) -> str | None:
    """The layer-ish group of a project module: a layer name, 'base', 'free'; None if not ours."""
    parts = module.split(".")
    if parts[0] == "circuits":
        return "circuits"
    if parts[0] != "shielded":
        return None
    top = ".".join(parts[:2])
    if module == "shielded" or top in BASE:
        return "base"
    if top in FREE:
        return "free"
    return parts[1] if parts[1] in RANK else f"unknown:{top}"


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the source, including lazy and relative ones."""
    out = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if target in ("shielded", "circuits"):  # "from shielded import field" names a subpackage
                out += [(node.lineno, f"{target}.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, target))
    return out


def violations(module: str, imports: list[tuple[int, str]]) -> list[str]:
    src = group(module)
    bad = []
    for line, target in imports:
        dst = group(target)
        if dst is None or src == "free":
            continue
        if dst.startswith("unknown") or src.startswith("unknown"):
            bad.append(f"{module}:{line} imports {target} (module outside the known layers)")
        elif dst == "base":
            continue
        elif dst == "free" or src == "base" or RANK[dst] > RANK[src]:
            bad.append(f"{module}:{line} imports {target} ({src} -> {dst} points up)")
    return bad


def project_files() -> list[Path]:
    return sorted(p for d in ("shielded", "circuits") for p in (ROOT / d).rglob("*.py"))


def test_layer_order_matches_package_docstring():
    """The order enforced here is the order the package documents (shielded/__init__.py)."""
    m = re.search(r"field -> hash ->[^.]*wallet", " ".join(shielded.__doc__.split()))
    assert m, "layer order not found in shielded/__init__.py"
    assert [s.strip() for s in m.group(0).split("->")] == LAYERS


def test_every_module_belongs_to_a_layer():
    """Each module under shielded/ and circuits/ is in a known layer (new packages must be placed)."""
    files = project_files()
    assert len(files) > 20
    unknown = [module_name(p) for p in files if group(module_name(p)) is None
               or group(module_name(p)).startswith("unknown")]
    assert unknown == []


def test_imports_point_down():
    """No module imports a higher layer (all existing imports, lazy ones included)."""
    bad, seen = [], 0
    for path in project_files():
        mod = module_name(path)
        imports = imported_modules(path.read_text("utf-8"), mod, path.name == "__init__.py")
        seen += sum(group(t) is not None for _, t in imports)
        bad += violations(mod, imports)
    assert seen > 50  # the lint really saw the project's imports
    assert bad == [], "\n".join(bad)


@pytest.mark.parametrize("module,source,expect_bad", [
    ("shielded.field.vec", "from shielded.proof.prover import prove", True),
    ("shielded.hash.sponge", "def f():\n    import shielded.commit.fri", True),
    ("shielded.poly.ntt", "from shielded import commit", True),
    ("shielded.commit.fri", "from ..proof import keys", True),
    ("shielded.proof.prover", "import circuits.joinsplit", True),
    ("shielded.field.ext", "from shielded.testing import field_elements", True),
    ("shielded.errors", "from shielded.field import koalabear", True),
    ("shielded.commit.fri", "from shielded.poly.ntt import coset_intt\nfrom .merkle import MerkleTree", False),
    ("shielded.proof.prover", "from shielded.errors import ProvingError\nimport shielded.data", False),
    ("shielded.testing.circuits", "from shielded.wallet import keys", False),
    ("circuits.joinsplit", "from shielded.proof.builder import CircuitBuilder\nimport numpy", False),
    ("shielded.wallet.sync", "from shielded.field import vec\nfrom circuits import joinsplit", False),
])
def test_lint_detects_violations(module, source, expect_bad):
    """The checker itself: upward, lazy, relative and subpackage imports are caught; legal ones pass."""
    is_package = False
    assert bool(violations(module, imported_modules(source, module, is_package))) == expect_bad
