"""Apps import downwards only (style.md habit 13, issue 16): a package import cycle — counting
imports inside functions, the usual way to dodge one — fails here. The audit log sits below the
org tree (every app records to it), the gate (accounts) above the tree, and the tree's scoped
reads and pages (units) above the gate."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "shouwang"

# The lowest layers, bottom first: each imports only packages before it in this list.
FOUNDATION = ["core", "audit", "orgs", "accounts"]


def package_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).parts
        if len(parts) < 2 or "migrations" in parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("shouwang."):
                other = node.module.split(".")[1]  # type: ignore[union-attr]
                if other != parts[0] and (SRC / other).is_dir():  # a package, not settings
                    edges.setdefault(parts[0], set()).add(other)
    return edges


def test_no_package_imports_another_that_imports_it_back():
    edges = package_edges()
    cycles = {
        (a, b)
        for a, b in itertools.combinations(sorted(edges), 2)
        if b in edges.get(a, ()) and a in edges.get(b, ())
    }
    assert cycles == set()


def test_the_audit_log_the_tree_and_the_gate_import_only_what_lies_below_them():
    edges = package_edges()
    for level, package in enumerate(FOUNDATION):
        assert edges.get(package, set()) <= set(FOUNDATION[:level]), package
