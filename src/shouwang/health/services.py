"""Health writes: one 体检 typed in, or a class's check-up sheet imported whole (all or nothing);
every write checked against plausible ranges and audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.core.concurrency import check_version

from .models import Checkup

if TYPE_CHECKING:
    from shouwang.accounts.models import User

MEASURES = [
    "height_cm",
    "weight_kg",
    "systolic",
    "diastolic",
    "vision_left",
    "vision_right",
    "lung_capacity_ml",
    "chest_cm",
    "ent_notes",
    "notes",
]
NOTES = {"ent_notes", "notes"}  # text columns: blank is "", not NULL
# What a school child's measure can plausibly be; outside it is a typing slip (cm for m, 斤 for kg).
RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "height_cm": (Decimal(60), Decimal(220)),
    "weight_kg": (Decimal(10), Decimal(150)),
    "systolic": (Decimal(60), Decimal(220)),
    "diastolic": (Decimal(30), Decimal(150)),
    "vision_left": (Decimal("3.0"), Decimal("5.3")),
    "vision_right": (Decimal("3.0"), Decimal("5.3")),
    "lung_capacity_ml": (Decimal(300), Decimal(8000)),
    "chest_cm": (Decimal(40), Decimal(150)),
}


def check_measures(
    child: Child, examined_on: date | None, values: dict[str, Any]
) -> dict[str, str]:
    """Field → what is wrong, in words a class teacher understands; empty when all is well."""
    problems: dict[str, str] = {}
    if examined_on is None:
        problems["examined_on"] = _("Give the examination date.")
    elif examined_on > timezone.localdate():
        problems["examined_on"] = _("The date cannot be in the future.")
    elif examined_on < child.birth_date:
        problems["examined_on"] = _("The date is before the child was born.")
    for field in ("height_cm", "weight_kg"):
        if values.get(field) in (None, ""):
            problems[field] = _("This is needed for the BMI.")
    for field, (low, high) in RANGES.items():
        value = values.get(field)
        if value in (None, ""):
            continue
        if not low <= Decimal(str(value)) <= high:
            problems[field] = _("%(value)s is outside %(low)s–%(high)s: please check it.") % {
                "value": value,
                "low": low,
                "high": high,
            }
    sys, dia = values.get("systolic"), values.get("diastolic")
    if sys and dia and "systolic" not in problems and "diastolic" not in problems and dia >= sys:
        problems["diastolic"] = _("The diastolic pressure must be below the systolic.")
    return problems


def _plain(value: Any) -> Any:
    """A measure as the audit writes it: decimals without trailing zeros, blanks as None."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value if value not in (None, "") else None


def _measure_label(name: str) -> str:
    return str(getattr(Checkup._meta.get_field(name), "verbose_name", name))


def measure_diff(current: Checkup, values: dict[str, Any]) -> dict[str, list[Any]]:
    """What ``values`` would change in ``current``: measure → [before, after]."""
    return {
        name: [_plain(getattr(current, name)), _plain(value)]
        for name, value in values.items()
        if name in MEASURES and _plain(getattr(current, name)) != _plain(value)
    }


def _stored(name: str, value: Any) -> Any:
    """A blank as the column keeps it: NULL for a number, "" for a note."""
    if value in (None, ""):
        return "" if name in NOTES else None
    return value


def _same_day_taken(child: Child, examined_on: date, *, besides: Checkup | None = None) -> None:
    others = Checkup.objects.filter(child=child, examined_on=examined_on)
    if besides is not None:
        others = others.exclude(pk=besides.pk)
    if others.exists():
        raise ValidationError(
            {"examined_on": _("A check-up on this day is already recorded for this child.")}
        )


@transaction.atomic
def record_checkup(*, child: Child, examined_on: date, by: User, **values: Any) -> Checkup:
    problems = check_measures(child, examined_on, values)
    if problems:
        raise ValidationError(problems)
    _same_day_taken(child, examined_on)
    clean = {k: _stored(k, v) for k, v in values.items() if k in MEASURES}
    try:
        with transaction.atomic():
            checkup = Checkup.objects.create(child=child, examined_on=examined_on, by=by, **clean)
    except IntegrityError:  # typed in by someone else at this very moment
        _same_day_taken(child, examined_on)
        raise
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=checkup,
        org_path=child.school.path,
        changes={"child": child.pk, "examined_on": str(examined_on)},
    )
    return checkup


def checkup_state(checkup: Checkup) -> dict[str, Any]:
    """What a correction form was opened at (core.concurrency)."""
    return {"examined_on": checkup.examined_on} | {
        name: _plain(getattr(checkup, name)) for name in MEASURES
    }


@transaction.atomic
def correct_checkup(
    *,
    checkup: Checkup,
    examined_on: date,
    by: User,
    version: str | None = None,
    **values: Any,
) -> bool:
    """Correct a check-up typed or imported wrongly; the audit keeps what it said before.
    Returns whether anything changed (saving the same values again writes nothing). A page
    passes the ``version`` its form was opened at: a correction over another one made meanwhile
    is refused, naming what changed."""
    checkup = Checkup.objects.select_for_update().select_related("child").get(pk=checkup.pk)
    if version is not None:
        check_version(version, checkup_state(checkup), label=_measure_label)
    child = checkup.child
    problems = check_measures(child, examined_on, values)
    if problems:
        raise ValidationError(problems)
    _same_day_taken(child, examined_on, besides=checkup)
    diff = measure_diff(checkup, values)
    if examined_on != checkup.examined_on:
        diff["examined_on"] = [str(checkup.examined_on), str(examined_on)]
        checkup.examined_on = examined_on
    if not diff:
        return False
    for name in diff.keys() & set(MEASURES):
        setattr(checkup, name, _stored(name, values[name]))
    checkup.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=checkup,
        org_path=child.school.path,
        changes=diff,
    )
    return True
