"""Every write about homes: a home added and edited, shifts put on the roster, cancelled and
checked in, a day's attendance. Each in one transaction, checked, and audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.core.concurrency import check_version, version_token
from shouwang.orgs import services as org_services
from shouwang.orgs.models import Org, OrgKind

from . import selectors
from .models import Attendance, Home, Shift

PROFILE = ("name", "kind", "place", "facilities", "opening_hours")


def home_state(home: Home) -> dict[str, Any]:
    """What an edit form was opened at (core.concurrency)."""
    return {"name": home.org.name} | {f: getattr(home, f) for f in PROFILE[1:]}


def home_version(home: Home) -> str:
    return version_token(home_state(home))


def _label(field: str) -> str:
    model = Org if field == "name" else Home
    return str(getattr(model._meta.get_field(field), "verbose_name", field))


@transaction.atomic
def add_home(
    *,
    parent: Org,
    name: str,
    kind: str,
    place: str,
    by: User,
    facilities: str = "",
    opening_hours: str = "",
) -> Home:
    """A home or holiday station: a unit under its school or village, with its profile."""
    unit = org_services.add_org(name=name, kind=OrgKind.CHILDREN_HOME, parent=parent, by=by)
    home = Home(
        org=unit,
        kind=kind,
        place=place.strip(),
        facilities=facilities.strip(),
        opening_hours=opening_hours.strip(),
    )
    home.full_clean()
    home.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=home,
        org_path=unit.path,
        changes={f: v for f, v in home_state(home).items() if v},
    )
    return home


@transaction.atomic
def update_home(*, home: Home, by: User, version: str | None, **values: Any) -> bool:
    """Change the profile; refused when someone else changed it since the form was opened.
    Returns whether anything changed."""
    home = Home.objects.select_for_update().select_related("org").get(pk=home.pk)
    check_version(version, home_state(home), label=_label)
    before = home_state(home)
    after = before | {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    diff = {k: [before[k], after[k]] for k in PROFILE if before[k] != after[k]}
    if not diff:
        return False
    if not after["name"]:
        raise ValidationError({"name": _("A name is needed.")})
    for field in PROFILE[1:]:
        setattr(home, field, after[field])
    home.full_clean()
    home.save()
    if "name" in diff:
        unit = home.org
        unit.name = after["name"]
        unit.full_clean(exclude=["path", "depth", "numchild", "code"])
        unit.save(update_fields=["name"])
    audit.record(
        actor=by, action=AuditAction.UPDATE, obj=home, org_path=home.org.path, changes=diff
    )
    return True


@transaction.atomic
def add_shift(
    *, home: Home, person: User, on: date, starts_at: time, ends_at: time, by: User
) -> Shift:
    """A shift on the roster, for one of the people who work at the home's school or village."""
    if on < timezone.localdate():
        raise ValidationError({"on": _("A shift is planned for today or a day to come.")})
    return _put_on_roster(home, person, on, starts_at, ends_at, by=by)


@transaction.atomic
def enter_past_shift(
    *,
    home: Home,
    person: User,
    on: date,
    starts_at: time,
    ends_at: time,
    done: bool,
    by: User | None,
) -> Shift:
    """A shift of a day past typed in from the paper duty book (值班记录), with whether the
    person was there: the roster's history, as the demo county plants it."""
    if on >= timezone.localdate():
        raise ValidationError({"on": _("A shift from the duty book is of a day past.")})
    moment = datetime.combine(on, starts_at, tzinfo=timezone.get_current_timezone())
    return _put_on_roster(
        home, person, on, starts_at, ends_at, by=by, done_at=moment if done else None
    )


def _put_on_roster(
    home: Home,
    person: User,
    on: date,
    starts_at: time,
    ends_at: time,
    *,
    by: User | None,
    done_at: datetime | None = None,
) -> Shift:
    if not selectors.people_for_roster(home).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("Choose someone who works at the home's unit.")})
    if not selectors.homes_visible_to(person).filter(pk=home.pk).exists():
        # (A counselor of the school works there but does not see its homes.)
        raise ValidationError(
            {"person": _("%(person)s cannot open this home.") % {"person": person}}
        )
    shift = Shift(
        home=home,
        person=person,
        on=on,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=by,
        done_at=done_at,
    )
    shift.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError:
        raise ValidationError(
            {"starts_at": _("%(person)s is on the roster then already.") % {"person": person}}
        ) from None
    changes = {
        "person": person.pk,
        "on": str(on),
        "starts_at": f"{starts_at:%H:%M}",
        "ends_at": f"{ends_at:%H:%M}",
    }
    if done_at is not None:
        changes["done_at"] = done_at.isoformat()
    audit.record(
        actor=by, action=AuditAction.CREATE, obj=shift, org_path=home.org.path, changes=changes
    )
    return shift


@transaction.atomic
def cancel_shift(*, shift: Shift, reason: str, by: User) -> Shift:
    shift = Shift.objects.select_for_update().select_related("home__org").get(pk=shift.pk)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the shift is cancelled.")})
    if shift.cancelled_at is not None:
        raise ValidationError(_("This shift was cancelled already."))
    if shift.done_at is not None:
        raise ValidationError(_("This shift was done: it stays on the roster."))
    shift.cancelled_at = timezone.now()
    shift.cancel_reason = reason
    shift.save(update_fields=["cancelled_at", "cancel_reason"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=shift,
        org_path=shift.home.org.path,
        changes={"cancel_reason": reason},
    )
    return shift


def _check_in(shifts: Iterable[Shift], by: User) -> int:
    now = timezone.now()
    done = 0
    for shift in shifts:
        shift.done_at = now
        shift.save(update_fields=["done_at"])
        audit.record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=shift,
            org_path=shift.home.org.path,
            changes={"done_at": timezone.localtime(now).isoformat()},
        )
        done += 1
    return done


@transaction.atomic
def check_in(*, shift: Shift, by: User) -> Shift:
    """The person on duty ticks their shift done, on its day (afterwards it stays overdue,
    as a duty record made late counts for no past period)."""
    shift = Shift.objects.select_for_update().select_related("home__org").get(pk=shift.pk)
    if shift.person_id != by.pk or shift.cancelled_at is not None:
        raise ValidationError(_("Only the person on duty checks in for a shift."))
    if shift.done_at is not None:
        return shift
    today = timezone.localdate()
    if shift.on != today:
        raise ValidationError(
            _("A shift is checked in on its day (%(day)s).") % {"day": f"{shift.on:%Y-%m-%d}"}
        )
    _check_in([shift], by)
    return shift


@transaction.atomic
def record_attendance(
    *,
    home: Home,
    on: date,
    present: Iterable[Child],
    holiday_care: Iterable[Child] = (),
    by: User,
) -> dict[str, int]:
    """The day's list: the children ticked are present (those in ``holiday_care`` as 假期托管),
    a child ticked before and not now is taken off (the row stays, not present). Recorded by
    the person on duty that day, it checks their shift in."""
    if on > timezone.localdate():
        raise ValidationError({"on": _("Attendance is recorded for today or a day past.")})
    ticked: dict[int, Child] = {c.pk: c for c in present}
    holiday = {c.pk for c in holiday_care}
    if holiday - ticked.keys():
        raise ValidationError({"holiday": _("Holiday care is for children ticked present.")})
    rows = {
        row.child_id: row for row in Attendance.objects.select_for_update().filter(home=home, on=on)
    }
    added: list[int] = []
    removed: list[int] = []
    for pk, child in ticked.items():
        row = rows.get(pk)
        care = pk in holiday
        if row is None:
            row = Attendance(home=home, child=child, on=on, holiday_care=care, recorded_by=by)
            row.full_clean(validate_constraints=False)
            row.save()
            added.append(pk)
        elif not row.present or row.holiday_care != care:
            if not row.present:
                added.append(pk)
            row.present, row.holiday_care, row.recorded_by = True, care, by
            row.save(update_fields=["present", "holiday_care", "recorded_by", "updated_at"])
    for pk, row in rows.items():
        if row.present and pk not in ticked:
            row.present, row.holiday_care, row.recorded_by = False, False, by
            row.save(update_fields=["present", "holiday_care", "recorded_by", "updated_at"])
            removed.append(pk)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=home,
        org_path=home.org.path,
        changes={
            "on": str(on),
            "children": sorted(ticked),
            "holiday_care": len(holiday),
            "added": len(added),
            "removed": len(removed),
        },
    )
    if on == timezone.localdate():
        mine = Shift.objects.select_for_update().filter(
            home=home, person_id=by.pk, on=on, cancelled_at__isnull=True, done_at__isnull=True
        )
        _check_in(mine.select_related("home__org"), by)
    return {"present": len(ticked), "holiday_care": len(holiday)}
