"""Apps import downwards only (style.md habit 13, issue 16): a package import cycle — counting
imports inside functions, the usual way to dodge one — fails here. One remains from before the
one gate and is listed by name, so none can be added; each line says what removes it."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "shouwang"

KNOWN = {
    # users and the audit log sit in accounts, above orgs: the audit log moves below orgs.
    ("accounts", "orgs"),
}


def package_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).parts
        if len(parts) < 2 or "migrations" in parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("shouwang."):
                other = node.module.split(".")[1]  # type: ignore[union-attr]
                if other != parts[0]:
                    edges.setdefault(parts[0], set()).add(other)
    return edges


def test_no_package_imports_another_that_imports_it_back():
    edges = package_edges()
    cycles = {
        (a, b)
        for a, b in itertools.combinations(sorted(edges), 2)
        if b in edges.get(a, ()) and a in edges.get(b, ())
    }
    assert cycles - KNOWN == set()
    assert KNOWN - cycles == set(), "a known cycle is gone: strike it from KNOWN"
