"""花名册: a school's (a grade's, a class's) left-behind children as the clerk lists them, one
sheet per grade (一年级, 二年级 … as the school names its grades; 未分班 for children in no
class yet), numbered from 1 on each sheet, class by class.

The same children, the same masking and the same audit entry as the unit's 台账
(ledgers.ledger_children decides who is in it and whether unmasked; an ID number the user may
not see is left out whole; core.sheets.writer masks, neutralises and logs)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child, Gender, Guardian, GuardianRelation
from shouwang.children.types import LeftBehindType
from shouwang.core.sheets.writer import Watermark, write_xlsx
from shouwang.orgs.models import Org, OrgKind

from .classes import class_number, grade_number
from .ledgers import ledger_children, new_serial, operator, who_is

if TYPE_CHECKING:
    from shouwang.accounts.models import User

# The units a roster is made of: one school, or part of one.
ROSTER_KINDS = frozenset({OrgKind.SCHOOL, OrgKind.GRADE, OrgKind.SCHOOL_CLASS})
HEADERS = [
    "序号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "班级",
    "留守类型",
    "监护人姓名",
    "与儿童关系",
    "监护人电话",
]
MASKED = {"身份证号": "id", "监护人电话": "phone"}
NO_CLASS = "未分班"


class NotARosterUnit(ValueError):
    """A roster is a school's, a grade's or a class's."""


def roster_sheets(
    children: Any, *, by: User | None
) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The sheets: (grade name, headers, rows) in the school's order of grades; three queries."""
    gender = {k: str(v) for k, v in Gender.choices}
    kind = {k: str(v) for k, v in LeftBehindType.choices}
    relation = {k: str(v) for k, v in GuardianRelation.choices}
    shown: set[int] | None = None
    if by is not None:
        visible = scope_of(by).q(Area.ID_NUMBER, Action.REVEAL)
        shown = set(
            Child.objects.filter(visible, pk__in=children.values("pk")).values_list("pk", flat=True)
        )
    rows = list(
        children.values_list(
            "pk",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "school_class__name",
            "school_class__path",
            "left_behind_type",
            "school__path",
            "name_initials",
        )
    )
    guardians = {
        g[0]: g
        for g in Guardian.objects.filter(child__in=[r[0] for r in rows]).values_list(
            "child_id", "name", "relation", "phone"
        )
    }
    grade_paths = {r[6][: -Org.steplen] for r in rows if r[6]}
    grades = dict(Org.objects.filter(path__in=grade_paths).values_list("path", "name"))

    def grade_of(row: tuple[Any, ...]) -> tuple[str, int, str, str]:
        """(school, the grade's number, its path, its name): 一年级 before 三年级 whatever the
        order they were made in; children in no class last of their school."""
        class_path, school_path = row[6], row[8]
        if not class_path:
            return (school_path, 99, "~", NO_CLASS)
        path = class_path[: -Org.steplen]
        name = grades.get(path, "")
        number = grade_number(name)
        return (school_path, 98 if number is None else number, path, name)

    def class_order(row: tuple[Any, ...]) -> tuple[int, str, str, int]:
        return (class_number(row[5] or "") or 99, row[6] or "", row[9], row[0])

    groups: dict[tuple[str, int, str, str], list[list[Any]]] = {}
    for row in sorted(rows, key=lambda r: (grade_of(r), class_order(r))):
        pk, name, sex, birth, number, klass, _cp, lb_type, _sp, _initials = row
        sheet = groups.setdefault(grade_of(row), [])
        g = guardians.get(pk, (pk, "", "", ""))
        sheet.append(
            [
                len(sheet) + 1,
                name,
                gender.get(sex, sex),
                birth,
                number if shown is None or pk in shown else "",
                klass or "",
                kind.get(lb_type, lb_type or ""),
                g[1],
                relation.get(g[2], g[2] or ""),
                g[3],
            ]
        )
    return [(key[3], HEADERS, sheet) for key, sheet in sorted(groups.items())]


def export_roster(
    *,
    org: Org,
    out: str | Path | IO[bytes],
    by: User | None,
    unmasked: bool,
    watermark: Watermark | None = None,
) -> int:
    """Write the 花名册 of ``org`` (a school, grade or class); masked as its 台账 would be."""
    if org.kind not in ROSTER_KINDS:
        raise NotARosterUnit(_("A roster is made for a school, a grade or a class."))
    children, full = ledger_children(org=org, by=by, unmasked=unmasked)
    # The register's children who are left behind (one whose parents came home stays in the
    # 台账, not on the 留守儿童 roster).
    children = children.exclude(left_behind_type=LeftBehindType.NOT_LEFT_BEHIND)
    title = f"{org.name}留守儿童花名册（{timezone.localdate():%Y-%m-%d}）"
    if watermark is None:
        watermark = Watermark(
            who=who_is(by) if by is not None else operator(), at=timezone.now(), serial=new_serial()
        )
    sheets = roster_sheets(children, by=by) or [(NO_CLASS, HEADERS, [])]
    return write_xlsx(
        out,
        sheets=sheets,
        by=by,
        what=title,
        org_path=org.path,
        masked=None if full else MASKED,
        title_rows=[title],
        watermark=watermark,
    )
