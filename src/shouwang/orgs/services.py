"""Every write to the org tree, enrolment counts and term calendars."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction

from .models import REGION_KINDS, Enrolment, Holiday, HolidaySeason, Org, OrgKind, Stage, Term

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser as User

# 统计用区划代码: 12 digits for every region; other units use their own code (e.g. the
# ministry's 10-digit school code) or one derived from their parent.
REGION_CODE = re.compile(r"^\d{12}$")
UNIT_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{1,31}$")

# Stage of a grade from its usual names; anything else must be given explicitly.
_STAGE_BY_GRADE_NAME = {
    **dict.fromkeys(["小班", "中班", "大班", "学前班"], Stage.KINDERGARTEN),
    **dict.fromkeys(["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"], Stage.PRIMARY),
    **dict.fromkeys(["七年级", "八年级", "九年级", "初一", "初二", "初三"], Stage.JUNIOR),
    **dict.fromkeys(["高一", "高二", "高三"], Stage.SENIOR),
}


def stage_for_grade_name(name: str) -> str:
    return _STAGE_BY_GRADE_NAME.get(name.strip(), "")


def _check_code(code: str, kind: str) -> None:
    pattern = REGION_CODE if kind in REGION_KINDS else UNIT_CODE
    if not pattern.match(code):
        message = (
            _("A region's code is its 12-digit statistical division code.")
            if kind in REGION_KINDS
            else _("A code is 2–32 letters, digits, dots, dashes or underscores.")
        )
        raise ValidationError({"code": message})
    if Org.objects.filter(code=code).exists():
        raise ValidationError(
            {"code": _("An organisation with code %(code)s exists.") % {"code": code}}
        )


def _next_child_code(parent: Org) -> str:
    taken = set(
        Org.objects.filter(code__startswith=f"{parent.code}-").values_list("code", flat=True)
    )
    n = 1
    while f"{parent.code}-{n:02d}" in taken:
        n += 1
    return f"{parent.code}-{n:02d}"


@transaction.atomic
def add_org(
    *,
    name: str,
    kind: str,
    parent: Org | None,
    by: User | None,
    code: str = "",
    stage: str = "",
) -> Org:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A name is needed.")})
    if kind not in OrgKind.values:
        raise ValidationError({"kind": _("Unknown kind: %(kind)s") % {"kind": kind}})
    if kind == OrgKind.GRADE and not stage:
        stage = stage_for_grade_name(name)
    code = code.strip() or (_next_child_code(parent) if parent and kind not in REGION_KINDS else "")
    org = Org(code=code, name=name, kind=kind, stage=stage)
    org.check_parent(parent)
    _check_code(code, kind)
    # The tree's own columns are set by treebeard on insert; everything typed is checked here.
    org.full_clean(exclude=["path", "depth", "numchild", "code"])
    org = (
        Org.objects.add_child(parent, instance=org)
        if parent
        else Org.objects.add_root(instance=org)
    )
    audit.record(actor=by, action=AuditAction.CREATE, obj=org, changes={"name": name, "kind": kind})
    return org


@transaction.atomic
def record_enrolment(
    *,
    school: Org,
    male: int,
    female: int,
    on: date,
    by: User | None,
    grade: Org | None = None,
) -> Enrolment:
    enrolment = Enrolment(
        school=school,
        grade=grade,
        male=male,
        female=female,
        on=on,
        recorded_by_id=by.pk if by is not None else None,
    )
    enrolment.full_clean()
    enrolment.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=enrolment,
        org_path=school.path,
        changes={
            "grade": grade.name if grade else "",
            "male": male,
            "female": female,
            "on": str(on),
        },
    )
    return enrolment


@transaction.atomic
def add_term(
    *, region: Org, name: str, start: date, midterm: date, end: date, by: User | None
) -> Term:
    term = Term(region=region, name=name.strip(), start=start, midterm=midterm, end=end)
    # clean() says it in words; the same rule as a database constraint would only repeat it.
    term.full_clean(validate_constraints=False)
    term.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=term,
        org_path=region.path,
        changes={"start": str(start), "midterm": str(midterm), "end": str(end)},
    )
    return term


@transaction.atomic
def add_holiday(
    *,
    region: Org,
    name: str,
    start: date,
    end: date,
    by: User | None,
    season: str = HolidaySeason.OTHER,
) -> Holiday:
    holiday = Holiday(region=region, name=name.strip(), season=season, start=start, end=end)
    holiday.full_clean(validate_constraints=False)
    holiday.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=holiday,
        org_path=region.path,
        changes={"season": season, "start": str(start), "end": str(end)},
    )
    return holiday
