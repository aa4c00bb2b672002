"""Reads of homes, their rosters and attendance, scoped by the gate (``Area.HOMES``, reach UNIT:
the home's unit path). Out of scope is a 404."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Left, Length
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.accounts.selectors import people_under
from shouwang.care.engine import PeriodSpan, status_of
from shouwang.care.other_duties import OtherDuty
from shouwang.children.models import IN_REGISTER, Child
from shouwang.children.selectors import children_visible_to
from shouwang.orgs.models import ALLOWED_PARENTS, Org, OrgKind

from .models import Attendance, Home, Shift

# How far back 我的任务 looks for a shift not checked in (older ones are the roster's history).
OVERDUE_DAYS = 60


def homes_visible_to(user: Any) -> QuerySet[Home]:
    """The homes under the units one reaches, and those of the school one works in (the gate's
    workplaces: a class teacher's school, whose home they take duty at)."""
    scope = scope_of(user)
    under = scope.units_q(Area.HOMES, Action.VIEW, "org__path")
    homes = Home.objects.select_related("org").order_by("org__path")
    if not under:  # everything
        return homes
    workplaces = Org.objects.filter(scope.workplace_q(Area.HOMES, Action.VIEW)).values("path")
    # A home hangs right under its school or village: its place is its path less one step.
    place = Left("org__path", Length("org__path") - Org.steplen)
    return homes.annotate(place_path=place).filter(under | Q(place_path__in=workplaces))


def homes_changeable_by(user: Any) -> QuerySet[Home]:
    q = scope_of(user).units_q(Area.HOMES, Action.CHANGE, "org__path")
    return Home.objects.filter(q).select_related("org")


def home_visible_to(user: Any, pk: int) -> Home:
    return get_object_or_404(homes_visible_to(user), pk=pk)


def home_changeable_by(user: Any, pk: int) -> Home:
    return get_object_or_404(homes_changeable_by(user), pk=pk)


def may_change(user: Any, home: Home) -> bool:
    return homes_changeable_by(user).filter(pk=home.pk).exists()


def units_to_add_homes_under(user: Any) -> QuerySet[Org]:
    """The schools and regions (villages…) a home may hang from, where the user may add one."""
    return Org.objects.filter(
        scope_of(user).units_q(Area.HOMES, Action.CHANGE),
        kind__in=ALLOWED_PARENTS[OrgKind.CHILDREN_HOME],
        is_active=True,
    ).order_by("path")


def unit_to_add_home_under(user: Any, code: str) -> Org:
    return get_object_or_404(units_to_add_homes_under(user), code=code)


def place_of(home: Home) -> Org:
    """The school or village the home belongs to (its parent in the tree)."""
    return Org.objects.get(path=home.org.path[: -Org.steplen])


def on_duty(user: Any, home: Home, on: date) -> bool:
    return Shift.objects.filter(
        home=home, person_id=user.pk, on=on, cancelled_at__isnull=True
    ).exists()


def home_for_attendance(user: Any, pk: int, on: date) -> Home:
    """The home, for those who keep it and for whoever is on duty there that day."""
    home = home_visible_to(user, pk)
    if not (may_change(user, home) or on_duty(user, home, on)):
        raise Http404
    return home


def children_of(home: Home) -> QuerySet[Child]:
    """The home's children: those in the register at its school, or living in its village (or
    region: a home hung from a township serves the township's children)."""
    path = place_of(home).path
    return (
        Child.objects.filter(status__in=IN_REGISTER)
        .filter(Q(school__path__startswith=path) | Q(home_village__path__startswith=path))
        .select_related("school_class")
        .order_by("school_class__path", "name", "pk")
    )


def attendance_on(home: Home, on: date) -> dict[int, Attendance]:
    """Child id → the day's row (present or taken off)."""
    rows = Attendance.objects.filter(home=home, on=on).select_related("child")
    return {row.child_id: row for row in rows}


def children_found(user: Any, name: str) -> QuerySet[Child]:
    """Children the user sees whose name holds ``name`` (to add one from elsewhere)."""
    name = name.strip()
    if not name:
        return Child.objects.none()
    return (
        children_visible_to(user)
        .filter(name__contains=name, status__in=IN_REGISTER)
        .select_related("school_class")
        .order_by("name", "pk")[:20]
    )


def attendance_choosable(user: Any, home: Home) -> QuerySet[Child]:
    """Who may be ticked present: the home's children and any child the user sees."""
    return Child.objects.filter(
        Q(pk__in=children_of(home).values("pk")) | Q(pk__in=children_visible_to(user).values("pk"))
    )


def roster_of(home: Home, start: date, end: date) -> QuerySet[Shift]:
    return Shift.objects.filter(
        home=home, on__range=(start, end), cancelled_at__isnull=True
    ).select_related("person")


def days_of(home: Home, start: date, end: date) -> list[dict[str, Any]]:
    """Each day with attendance: children present and in holiday care, newest first."""
    return list(
        Attendance.objects.filter(home=home, on__range=(start, end), present=True)
        .values("on")
        .annotate(children=Count("child"), holiday=Count("child", filter=Q(holiday_care=True)))
        .order_by("-on")
    )


def shift_status(shift: Shift, on: date) -> str:
    """The duty engine's status of a one-day period: done once checked in, overdue after."""
    period = PeriodSpan(start=shift.on, end=shift.on, label="", active=(shift.on.toordinal(),))
    return status_of(1 if shift.done_at else 0, 1, period, on)


def own_shift(user: Any, pk: int) -> Shift:
    """One's own shift (to check in): 404 for anyone else."""
    return get_object_or_404(
        Shift.objects.select_related("home__org"),
        pk=pk,
        person_id=getattr(user, "pk", None),
        cancelled_at__isnull=True,
    )


def shift_changeable_by(user: Any, pk: int) -> Shift:
    return get_object_or_404(
        Shift.objects.filter(
            home__in=homes_changeable_by(user), cancelled_at__isnull=True
        ).select_related("home__org", "person"),
        pk=pk,
    )


def people_for_roster(home: Home) -> QuerySet[User]:
    """The people who may take a shift: those holding a role at the home's school or village
    (the school's teachers and leaders, the village's child director) or at the home itself."""
    return people_under(place_of(home).path)


def duties_of(user: Any, on: date) -> list[OtherDuty]:
    """The user's shifts up to ``on`` (not those to come) as 我的任务 shows them."""
    if getattr(user, "pk", None) is None:
        return []
    shifts = Shift.objects.filter(
        person_id=user.pk,
        cancelled_at__isnull=True,
        on__range=(on - timedelta(days=OVERDUE_DAYS), on),
    ).select_related("home__org")
    return [
        OtherDuty(
            label=_("On duty at %(home)s %(start)s–%(end)s")
            % {
                "home": shift.home.org.name,
                "start": f"{shift.starts_at:%H:%M}",
                "end": f"{shift.ends_at:%H:%M}",
            },
            day=shift.on,
            status=shift_status(shift, on),
            url=reverse("homes:check_in", args=[shift.pk]),
        )
        for shift in shifts
    ]


def attended_by(user: Any, child: Child) -> dict[str, Any] | None:
    """A child's page: the homes the child came to and on how many days (None: the reader may
    not see homes at all)."""
    if not scope_of(user).may(Area.HOMES, Action.VIEW):
        return None
    if not Attendance.objects.filter(child=child, present=True).exists():
        return {"homes": []}  # most children: no scope built for nothing (issue 17)
    rows = (
        Attendance.objects.filter(
            child=child, present=True, home__in=homes_visible_to(user).values("pk")
        )
        .values("home__org__name", "home__kind")
        .annotate(days=Count("on"), holiday=Count("on", filter=Q(holiday_care=True)))
        .order_by("home__org__name")
    )
    return {"homes": list(rows)}


def period_figures(*, org: Org, start: date, end: date) -> dict[str, Any]:
    """The unit's homes (open under ``org``) and the distinct children they served between
    ``start`` and ``end`` (seed 002: 2119 children in 候鸟驿站, 76 in 假期托管; seed 003:
    建立留守儿童之家56个)."""
    homes = Home.objects.filter(org__path__startswith=org.path, org__is_active=True)
    came = Attendance.objects.filter(home__in=homes, on__range=(start, end), present=True)
    return {
        "homes": {
            "count": homes.count(),
            "children_served": came.values("child_id").distinct().count(),
            "holiday_care": came.filter(holiday_care=True).values("child_id").distinct().count(),
        }
    }
