"""Rooms, bookings and calls; and the daily check that raises a task for the class teacher when
a child has not spoken with a parent away for too long."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.care.models import FollowUp, FollowUpKind
from shouwang.children.models import Child, Parent
from shouwang.orgs.models import Org, OrgKind

from .models import Booking, ContactRoom, FamilyCall, SilenceSetting
from .selectors import silence_days, silent_parents

if TYPE_CHECKING:
    from shouwang.accounts.models import User

BOOKING_MINUTES = 20
CALL_LOG_DAYS = 366  # older than that is a typing slip, not a call to log now


def _slot_times(slot: dict[str, Any]) -> tuple[time, time]:
    return time.fromisoformat(slot["start"]), time.fromisoformat(slot["end"])


def _check_slots(slots: list[dict[str, Any]]) -> None:
    for slot in slots:
        try:
            start, end = _slot_times(slot)
            weekday = int(slot["weekday"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(
                {"slots": _("Write each opening as a day and two times.")}
            ) from exc
        if not 0 <= weekday <= 6 or start >= end:
            raise ValidationError(
                {"slots": _("An opening ends after it starts, on a day of the week.")}
            )


@transaction.atomic
def add_room(
    *, school: Org, name: str, kind: str, slots: list[dict[str, Any]], by: User
) -> ContactRoom:
    if not slots:
        raise ValidationError({"slots": _("Say when the room is open.")})
    _check_slots(slots)
    room = ContactRoom.objects.create(school=school, name=name.strip(), kind=kind, slots=slots)
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=room,
        org_path=school.path,
        changes={"name": room.name, "slots": slots},
    )
    return room


@transaction.atomic
def book(*, room: ContactRoom, child: Child, starts_at: datetime, by: User) -> Booking:
    """A time in one of the room's openings, not past, and clear of the room's other bookings
    (each takes BOOKING_MINUTES)."""
    room = ContactRoom.objects.select_for_update().get(pk=room.pk)  # one booker at a time
    local = timezone.localtime(starts_at)
    end = local + timedelta(minutes=BOOKING_MINUTES)
    fits = end.date() == local.date() and any(  # a booking ends the day it starts
        int(slot["weekday"]) == local.weekday()
        and _slot_times(slot)[0] <= local.time()
        and end.time() <= _slot_times(slot)[1]
        for slot in room.slots
    )
    if not fits:
        raise ValidationError({"starts_at": _("The room is not open then.")})
    if starts_at < timezone.now():
        raise ValidationError({"starts_at": _("This time has passed.")})
    length = timedelta(minutes=BOOKING_MINUTES)
    clash = Booking.objects.filter(
        room=room, starts_at__gt=starts_at - length, starts_at__lt=starts_at + length
    ).first()
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": _("The room is booked from %(at)s; choose %(free)s or later.")
                % {
                    "at": f"{timezone.localtime(clash.starts_at):%H:%M}",
                    "free": f"{timezone.localtime(clash.starts_at + length):%H:%M}",
                }
            }
        )
    booking = Booking.objects.create(room=room, child=child, starts_at=starts_at, booked_by=by)
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=booking,
        org_path=room.school.path,
        changes={"child": child.pk, "at": starts_at.isoformat()},
    )
    return booking


@transaction.atomic
def log_call(
    *,
    child: Child,
    parent: Parent,
    at: datetime,
    by: User,
    reached: bool = True,
    minutes: int | None = None,
    note: str = "",
    room: ContactRoom | None = None,
) -> FamilyCall:
    if parent.child_id != child.pk:
        raise ValidationError({"parent": _("Choose one of this child's parents.")})
    if at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"at": _("The time cannot be in the future.")})
    if at < timezone.now() - timedelta(days=CALL_LOG_DAYS):
        raise ValidationError({"at": _("Log calls of the past year only; check the date.")})
    if minutes is not None and not 1 <= minutes <= 240:
        raise ValidationError({"minutes": _("Minutes run from 1 to 240.")})
    call = FamilyCall.objects.create(
        child=child,
        parent=parent,
        at=at,
        minutes=minutes,
        reached=reached,
        note=note.strip(),
        room=room,
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=call,
        org_path=child.school.path,
        changes={"parent": parent.relation, "reached": reached, "minutes": minutes},
    )
    return call


def raise_silence_tasks(on: date, days: int | None = None) -> int:
    """A follow-up for the class teacher for each child out of touch with a parent away for
    more than the region's days (``SilenceSetting``, else 30; ``days`` overrides both): exactly
    one while it stays open, however often it runs."""
    children = Child.objects.all()
    if days is not None:
        groups = {days: children}
    else:
        by_school = silence_days(Org.objects.filter(kind=OrgKind.SCHOOL), on)
        groups = {}
        for n in set(by_school.values()):
            schools = [pk for pk, d in by_school.items() if d == n]
            groups[n] = children.filter(school_id__in=schools)
    made = 0
    for n, group in groups.items():
        made += _raise_for(group, on, n)
    return made


def _raise_for(children: Any, on: date, days: int) -> int:
    made = 0
    open_already = set(
        FollowUp.objects.filter(
            child__in=children, kind=FollowUpKind.LONG_SILENCE, closed_on__isnull=True
        ).values_list("child_id", flat=True)
    )
    for child, parent, since in silent_parents(children, on, days):
        if child.pk in open_already:
            continue
        try:
            # The database keeps one open silence task per child (a constraint), so a second
            # worker running at the same moment cannot add another.
            with transaction.atomic():
                follow_up = FollowUp.objects.create(
                    child=child,
                    county_id=child.county_id,
                    school_id=child.school_id,
                    school_class_id=child.school_class_id,
                    kind=FollowUpKind.LONG_SILENCE,
                    summary=_("%(child)s has not talked with %(parent)s since %(since)s.")
                    % {
                        "child": child.name,
                        "parent": parent.get_relation_display(),
                        "since": since,
                    },
                    opened_on=on,
                )
                audit.record(
                    actor=None,
                    action=AuditAction.CREATE,
                    obj=follow_up,
                    org_path=child.school.path,
                    changes={"kind": FollowUpKind.LONG_SILENCE, "since": str(since)},
                )
        except IntegrityError:
            continue
        open_already.add(child.pk)
        made += 1
    return made


SILENCE_RANGE = (7, 180)


@transaction.atomic
def set_silence_days(*, region: Org, days: int, since: date, by: User | None) -> SilenceSetting:
    """A region's threshold of days without contact, from ``since`` on; audited."""
    low, high = SILENCE_RANGE
    if not region.is_region:
        raise ValidationError(_("Only a region sets this."))
    if not low <= days <= high:
        raise ValidationError(
            {"days": _("Give between %(low)s and %(high)s days.") % {"low": low, "high": high}}
        )
    setting = SilenceSetting.objects.create(region=region, days=days, since=since, by=by)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=setting,
        org_path=region.path,
        changes={"days without contact": days},
    )
    return setting
