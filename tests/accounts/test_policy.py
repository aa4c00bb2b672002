"""The policy table is the one gate (issue 16): README shows it as it is, and nothing else in the
code names a role."""

from __future__ import annotations

import re
from pathlib import Path

from shouwang.accounts.models import Role
from shouwang.accounts.policy import as_markdown

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "shouwang"


def test_readme_shows_the_policy_table_as_it_is():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- policy-table -->\n(.*?)\n<!-- /policy-table -->", readme, re.S)
    assert shown is not None, "README has no policy table"
    assert shown.group(1).strip() == as_markdown().strip()


def test_no_module_but_the_policy_names_a_role():
    """Role.TEACHER and friends appear in the policy module (and the role's own definition)
    only — the demo's logins included; migrations aside."""
    names = "|".join(member.name for member in Role)
    pattern = re.compile(rf"\bRole\.({names})\b")
    allowed = {"accounts/policy.py", "accounts/models.py"}
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if str(path.relative_to(SRC)) not in allowed
        and "/migrations/" not in str(path)
        and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
