"""The unit's 台账 in the county's layout: one row per child in the register, the columns of
interfaces.md in their order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.utils import timezone

from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child, ChildStatus, Parent
from shouwang.children.selectors import children_visible_to
from shouwang.orgs.models import Org, OrgKind

from .columns import COLUMNS
from .exports import write_xlsx

if TYPE_CHECKING:
    from shouwang.accounts.models import User

HEADERS = [c.header for c in COLUMNS]
MASKED = {"身份证号": "id", "父亲电话": "phone", "母亲电话": "phone", "监护人电话": "phone"}
YES_NO = {True: "是", False: "否"}


def _rows(children: Any, grades: dict[str, str]) -> Iterator[list[Any]]:
    for child in children.iterator(chunk_size=2000):
        parents = {p.relation: p for p in child.parents.all()}
        father, mother = parents.get("father") or Parent(), parents.get("mother") or Parent()
        guardian = getattr(child, "guardian", None)
        grade = (
            grades.get(child.school_class.path[: -Org.steplen], "") if child.school_class else ""
        )
        yield [
            child.name,
            child.get_gender_display(),
            child.ethnicity,
            child.birth_date,
            child.id_number,
            child.school.name,
            grade,
            child.school_class.name if child.school_class else "",
            YES_NO[child.boarding],
            child.address,
            father.name,
            father.phone,
            father.get_status_display() if father.pk else "",
            father.work_place,
            mother.name,
            mother.phone,
            mother.get_status_display() if mother.pk else "",
            mother.work_place,
            guardian.name if guardian else "",
            guardian.get_relation_display() if guardian else "",
            guardian.age if guardian else None,
            guardian.phone if guardian else "",
            guardian.health if guardian else "",
            child.health,
            child.personality,
            child.hobbies,
            child.note,
        ]


def export_ledger(*, org: Org, out: str | Path | IO[bytes], by: User | None, unmasked: bool) -> int:
    """Write the ledger of ``org``; masked unless asked and allowed (CLI: county IT staff)."""
    base = children_visible_to(by) if by is not None else Child.objects.all()
    may_unmask = by is None or scope_of(by).may_reveal_id_number
    children = (
        base.filter(school__path__startswith=org.path, status=ChildStatus.ACTIVE)
        .select_related("school", "school_class", "guardian")
        .prefetch_related("parents")
        .order_by("school__path", "school_class__path", "name_initials", "pk")
    )
    grades = dict(
        Org.objects.filter(path__startswith=org.path, kind=OrgKind.GRADE).values_list(
            "path", "name"
        )
    )
    title = f"{org.name}留守儿童台账（{timezone.localdate():%Y-%m-%d}）"
    return write_xlsx(
        out,
        sheets=[("台账", HEADERS, _rows(children, grades))],
        by=by,
        what=title,
        org_path=org.path,
        masked=None if (unmasked and may_unmask) else MASKED,
        title_rows=[title],
    )
