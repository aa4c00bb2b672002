"""The policy table is the one gate (issue 16): README shows it as it is, and nothing else in the
code names a role."""

from __future__ import annotations

import ast
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


# A role's value written out ("school_admin") names the role as surely as Role.SCHOOL_ADMIN. Some
# values are also words of the domain's own data: a caregiver is a teacher or a volunteer
# (care.CaregiverKind), and so is an adult at an activity, a trainee or a person commended
# (activities' kinds). Each such word is written once, in its kind's definition, and used
# through the enumeration elsewhere; those definitions are listed here, file by file, with what
# the word is there; a value that is only a login role's may appear nowhere.
SHARED_WORDS = {
    # activities/models.py: the kinds of adults at an activity, trainees, recipients.
    ("activities/models.py", "teacher"),
    ("activities/models.py", "volunteer"),
    ("activities/models.py", "counselor"),
    # care/models.py: CaregiverKind (帮扶教师, 志愿者), and a care record's WithWhom (a teacher).
    ("care/models.py", "teacher"),
    ("care/models.py", "volunteer"),
}
ROLE_VALUES = frozenset(Role.values)
# Besides Python: templates and scripts, where a role would be compared as a quoted value.
TEMPLATE_SUFFIXES = (".html", ".txt", ".js", ".jinja", ".xml")


def role_values_in(source: str, *, python: bool = True) -> set[str]:
    """The role values written out as whole strings in ``source``."""
    if python:
        return {
            node.value
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and node.value in ROLE_VALUES
        }
    values = "|".join(ROLE_VALUES)
    return set(re.findall(rf"[\"']({values})[\"']", source))


def test_the_guard_catches_a_role_written_as_its_value():
    assert role_values_in('assign(role="school_admin", org=school)') == {"school_admin"}
    assert role_values_in("if a.role in ('county' + '_officer', 'teacher'): pass") == {"teacher"}
    assert role_values_in('{% if role == "village_director" %}', python=False) == {
        "village_director"
    }
    assert role_values_in('"""A teacher looks after a school_admin\'s class."""') == set()


def test_no_module_but_the_policy_writes_out_a_role_value():
    """Role values as strings ("school_admin", "region_officer"…): in the policy module and the
    role's own definition only (migrations aside); the words a caregiver's kind shares with a
    role only where SHARED_WORDS says what they are there (and each of those is still there)."""
    allowed = {"accounts/policy.py", "accounts/models.py"}
    offenders, seen = [], set()
    for path in sorted(SRC.rglob("*")):
        name = str(path.relative_to(SRC))
        if name in allowed or "/migrations/" in name or not path.is_file():
            continue
        if path.suffix == ".py":
            found = role_values_in(path.read_text(encoding="utf-8"))
        elif path.suffix in TEMPLATE_SUFFIXES:
            found = role_values_in(path.read_text(encoding="utf-8"), python=False)
        else:
            continue
        seen |= {(name, value) for value in found}
        offenders += [(name, v) for v in sorted(found) if (name, v) not in SHARED_WORDS]
    assert offenders == []
    assert SHARED_WORDS - seen == set(), "listed as shared, no longer there"
