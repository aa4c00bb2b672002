"""The spreadsheet toolkit sits below the apps that read and write sheets (style.md habit 13):
core.sheets imports no area app, only the audit log and the maskers its one writer needs, and
nothing those import leads back to it."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "shouwang"
TOOLKIT = "shouwang.core.sheets"
# The writer audits every export and masks ID numbers and phones.
BELOW = {"shouwang.audit.services", "shouwang.audit.models", "shouwang.core.validators"}
SPREADSHEET_MODULES = {"reader", "layout", "columns", "report", "uploads", "exports", "writer"}


def path_of(module: str) -> Path | None:
    base = SRC.joinpath(*module.split(".")[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def imports_of(module: str) -> set[str]:
    """The shouwang modules ``module`` imports, at the top or inside a function."""
    path = path_of(module)
    if path is None:
        return set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            name = ".".join(p for p in (base, node.module or "") if p)
            # from shouwang.audit import services: the module, not the package
            modules = {f"{name}.{a.name}" for a in node.names if path_of(f"{name}.{a.name}")}
            found.update(modules or {name})
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("shouwang.") and path_of(name)}


def reachable(start: set[str]) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(imports_of(module))
    return seen


def toolkit_modules() -> set[str]:
    return {f"{TOOLKIT}.{p.stem}" for p in (SRC / "core" / "sheets").glob("*.py")}


def test_core_sheets_imports_no_app_above_it():
    upward = {
        f"{module}: {name}"
        for module in toolkit_modules()
        for name in imports_of(module)
        if not name.startswith("shouwang.core.") and name not in BELOW
    }
    assert upward == set()


def test_nothing_below_leads_back_to_core_sheets():
    assert not {m for m in reachable(BELOW) if m.startswith(TOOLKIT)}


def test_health_and_stats_reach_into_no_ledger_spreadsheet_module():
    reaching = {
        f"{path.relative_to(SRC)}: {name}"
        for app in ("health", "stats")
        for path in (SRC / app).rglob("*.py")
        for name in imports_of("shouwang." + ".".join(path.relative_to(SRC).with_suffix("").parts))
        if name.startswith("shouwang.ledger.") and name.split(".")[2] in SPREADSHEET_MODULES
    }
    assert reaching == set()
