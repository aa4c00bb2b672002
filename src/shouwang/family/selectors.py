"""Days since each child last spoke with each parent away, computed for many children at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import IN_REGISTER, Child, ChildStatus, Parent
from shouwang.children.selectors import children_visible_to
from shouwang.children.types import ParentStatus
from shouwang.orgs.models import Org

from .models import Booking, ContactRoom, FamilyCall, SilenceSetting


def silence_days(schools: QuerySet[Org], on: date) -> dict[int, int]:
    """School id → the days of silence that raise a task there: the setting of the nearest
    region at or above the school in force on ``on``, else the install's default (30)."""
    in_force = SilenceSetting.in_force(on)
    days = {}
    for pk, path in schools.values_list("pk", "path"):
        setting = SilenceSetting.nearest(in_force, path)
        days[pk] = setting.days if setting else settings.SHOUWANG_FAMILY_CONTACT_DAYS
    return days


def silence_days_of(school: Org, on: date) -> int:
    return silence_days(Org.objects.filter(pk=school.pk), on)[school.pk]


def last_contacts(children: QuerySet[Child]) -> dict[int, date]:
    """Parent → the day of the last call that reached them."""
    rows = (
        FamilyCall.objects.filter(child__in=children, reached=True)
        .values("parent_id")
        .annotate(last=Max("at"))
    )
    return {r["parent_id"]: timezone.localdate(r["last"]) for r in rows}


def contact_of(child: Child, on: date) -> list[tuple[Parent, int | None]]:
    """Each parent away with the days since the last call (None: never, as far as we know)."""
    last = last_contacts(Child.objects.filter(pk=child.pk))
    away = child.parents.filter(status=ParentStatus.MIGRANT).order_by("relation")
    return [(p, (on - last[p.pk]).days if p.pk in last else None) for p in away]


def silent_parents(
    children: QuerySet[Child], on: date, days: int
) -> Iterator[tuple[Child, Parent, date]]:
    """(child, parent away, since when) for every silence longer than ``days``: the last call,
    or the day the child entered the register when there was none."""
    active = children.filter(status__in=IN_REGISTER)
    last = last_contacts(active)
    cutoff = on - timedelta(days=days)
    parents = Parent.objects.filter(child__in=active, status=ParentStatus.MIGRANT).select_related(
        "child__school"
    )
    # The day the child (last) entered the register; a transfer between schools is no entry.
    # (A transfer's row names both schools; a registration or a return names at most one.)
    entry = Q(status_changes__status=ChildStatus.ACTIVE) & (
        Q(status_changes__from_school__isnull=True) | Q(status_changes__to_school__isnull=True)
    )
    entered = dict(
        active.annotate(entered=Max("status_changes__on", filter=entry)).values_list(
            "pk", "entered"
        )
    )
    for parent in parents.order_by("child_id", "relation"):
        since = last.get(parent.pk) or entered.get(parent.child_id) or on
        if since < cutoff:
            yield parent.child, parent, since


def rooms_for(user: Any) -> QuerySet[ContactRoom]:
    """Rooms of the schools whose children the user looks after (a teacher: their classes'
    school; a volunteer: their paired children's), and of the schools they run or oversee (the
    table's ``family``/``view`` over units: every room for the sysadmin)."""
    run = scope_of(user).units_q(Area.FAMILY, Action.VIEW, "school__path")
    rooms = ContactRoom.objects.filter(is_active=True)
    if not run:  # everything (an empty Q() would vanish in the OR below)
        return rooms
    schools = children_visible_to(user).values("school_id")
    return rooms.filter(Q(school__in=schools) | run)


def room_for(user: Any, pk: int) -> ContactRoom:
    return get_object_or_404(rooms_for(user), pk=pk)


def upcoming_bookings(user: Any) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(
            child__in=children_visible_to(user),
            starts_at__gte=timezone.now(),
        )
        .select_related("room", "child")
        .order_by("starts_at")
    )


def calls_in(children: QuerySet[Any], start: date, end: date) -> int:
    """亲情电话 of the period: calls logged with these children (a values("pk") queryset)
    between ``start`` and ``end`` (the statistics' ``family_calls``)."""
    return FamilyCall.objects.filter(child__in=children, at__date__range=(start, end)).count()
