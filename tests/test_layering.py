"""Import direction: knowledge → rag → model → eval. A module imports only its own layer or those left of it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["knowledge", "rag", "model", "eval"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_layers_import_only_leftwards() -> None:
    violations = []
    checked = 0
    for rank, layer in enumerate(LAYERS):
        forbidden = set(LAYERS[rank + 1 :])
        for path in (ROOT / layer).rglob("*.py"):
            checked += 1
            bad = _imports(path) & forbidden
            if bad:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert checked > 10
    assert violations == []


def test_no_bare_import_eval() -> None:
    # `import eval` would shadow the builtin inside the importing module (house naming rule).
    offenders = [
        str(p.relative_to(ROOT))
        for layer in LAYERS
        for p in (ROOT / layer).rglob("*.py")
        if any(
            isinstance(n, ast.Import) and any(a.name == "eval" for a in n.names)
            for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    ]
    assert offenders == []
