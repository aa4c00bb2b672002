"""Reads of activities, interest groups, training and commendations, the caller's scope applied
(accounts.policy: ``Area.ACTIVITIES``, ``TRAINING``, ``COMMENDATIONS``, reached through the unit
that keeps the row), and the period figures the statistics read."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from shouwang.accounts.models import User
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child
from shouwang.children.selectors import children_visible_to
from shouwang.orgs.models import Org, OrgKind

from .models import (
    Activity,
    ActivityStatus,
    Attendance,
    AttendeeKind,
    Commendation,
    InterestGroup,
    Membership,
    RecipientKind,
    Session,
    Trainee,
    TraineeKind,
    TrainingSession,
)


def unit_q(user: Any, area: Area, action: Action, field: str = "unit") -> Q:
    """Rows kept by a unit the user reaches, or by the school (or grade) their class lies in
    (the gate's ``workplace_q``). ``Q()`` for everything."""
    return scope_of(user).workplace_q(area, action, f"{field}__path")


def _activities_q(user: Any, action: Action) -> Q:
    units = unit_q(user, Area.ACTIVITIES, action)
    if not units:
        return units
    scope = scope_of(user)
    # Anyone else: the activities they are in charge of (and, to see, those they volunteer at).
    own = scope.q(Area.ACTIVITIES, action, own="in_charge")
    if action == Action.VIEW:
        own |= scope.q(Area.ACTIVITIES, action, own="volunteers")
    if not own:
        return own
    return units | own


def activities_visible_to(user: Any, action: Action = Action.VIEW) -> QuerySet[Activity]:
    q = _activities_q(user, action)
    # (The people in charge are a join: one row per activity through a sub-query.)
    return Activity.objects.filter(pk__in=Activity.objects.filter(q).values("pk")).select_related(
        "unit"
    )


def activity_visible_to(user: Any, pk: int) -> Activity:
    return get_object_or_404(activities_visible_to(user), pk=pk)


def activity_changeable_by(user: Any, pk: int) -> Activity:
    return get_object_or_404(activities_visible_to(user, Action.CHANGE), pk=pk)


def may_plan(user: Any) -> bool:
    return scope_of(user).may(Area.ACTIVITIES, Action.ADD)


def units_to_plan_at(user: Any) -> QuerySet[Org]:
    """Where the user may plan an activity: the units of their subtrees (no grades)."""
    scope = scope_of(user)
    return (
        Org.objects.filter(scope.units_q(Area.ACTIVITIES, Action.ADD), is_active=True)
        .exclude(kind=OrgKind.GRADE)
        .order_by("path")
    )


def sees_money(user: Any, unit: Org) -> bool:
    """Budgets are money: for those who see the unit's money (teachers, counselors and
    volunteers see none, issue 20)."""
    return scope_of(user).may(Area.ASSISTANCE, Action.VIEW, unit)


def in_force(qs: QuerySet[Attendance]) -> QuerySet[Attendance]:
    return qs.filter(voided_at__isnull=True)


def counts_by_activity(
    activities: list[Activity],
) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """人次 and children of each activity and of each of its sessions, for a page of activities
    in two grouped queries (not two per row)."""
    rows = in_force(Attendance.objects.filter(session__activity__in=activities)).order_by()
    zero = {"person_times": 0, "children": 0}
    by_activity = {a.pk: dict(zero) for a in activities}
    for found in rows.values("session__activity").annotate(
        person_times=Sum("count"), children=Count("child", distinct=True)
    ):
        by_activity[found["session__activity"]] = {
            "person_times": found["person_times"] or 0,
            "children": found["children"],
        }
    by_session: dict[int, dict[str, int]] = {}
    for found in rows.values("session").annotate(
        person_times=Sum("count"), children=Count("child", distinct=True)
    ):
        by_session[found["session"]] = {
            "person_times": found["person_times"] or 0,
            "children": found["children"],
        }
    return by_activity, by_session


def counts_of(sessions: QuerySet[Session] | Any) -> dict[str, int]:
    """人次 (every person at every session, a nameless group by its number) and 人 (distinct
    children), from the attendance rows in force: never typed in."""
    rows = in_force(Attendance.objects.filter(session__in=sessions))
    totals = rows.aggregate(
        person_times=Sum("count"),
        child_times=Count("pk", filter=Q(kind=AttendeeKind.CHILD)),
        children=Count("child", distinct=True),
    )
    return {key: value or 0 for key, value in totals.items()}


def attendance_groups(user: Any, activity: Activity) -> QuerySet[Org]:
    """The class lists (and, for children in no school, villages) of the activity's unit from
    which the user may take attendance: a class teacher their class, a school's leaders every
    class of the school."""
    scope = scope_of(user)
    unit = activity.unit
    # A class's own activity takes its class; a school's or a region's, the classes under it.
    return Org.objects.filter(
        scope.units_q(Area.ACTIVITIES, Action.CHANGE),
        path__startswith=unit.path,
        kind__in=(OrgKind.SCHOOL_CLASS, OrgKind.VILLAGE),
        is_active=True,
    ).order_by("path")


def children_of_group(user: Any, group: Org) -> QuerySet[Child]:
    field = "school_class" if group.kind == OrgKind.SCHOOL_CLASS else "home_village"
    children = children_visible_to(user).filter(**{field: group})
    if field == "home_village":
        children = children.filter(school=group)  # children in no school, at home
    return children.order_by("name_initials", "pk")


def session_of(user: Any, pk: int, action: Action = Action.VIEW) -> Session:
    session = get_object_or_404(Session.objects.select_related("activity__unit"), pk=pk)
    get_object_or_404(activities_visible_to(user, action), pk=session.activity_id)
    return session


def visible_attendance(user: Any, session: Session) -> QuerySet[Attendance]:
    """The rows of a session a reader sees by name: children only where the archive shows
    them (a county's activity counts children of other schools without naming them)."""
    children = children_visible_to(user).values("pk")
    return (
        in_force(session.attendance.all())
        .filter(Q(child__isnull=True) | Q(child__in=children))
        .select_related("child", "child__school_class")
    )


# --- interest groups -------------------------------------------------------------------------


def groups_visible_to(user: Any, action: Action = Action.VIEW) -> QuerySet[InterestGroup]:
    return InterestGroup.objects.filter(unit_q(user, Area.ACTIVITIES, action)).select_related(
        "unit"
    )


def group_visible_to(user: Any, pk: int) -> InterestGroup:
    return get_object_or_404(groups_visible_to(user), pk=pk)


def children_to_join(user: Any, group: InterestGroup) -> QuerySet[Child]:
    return children_to_join_unit(user, group.unit)


def children_to_join_unit(user: Any, unit: Org) -> QuerySet[Child]:
    """Children of a unit the user sees (a school's: its pupils; a village's: those living
    there)."""
    return children_visible_to(user).filter(
        Q(school__path__startswith=unit.path) | Q(home_village__path__startswith=unit.path)
    )


def children_to_join_units(user: Any, units: QuerySet[Org]) -> QuerySet[Child]:
    q = Q(pk__in=[])
    for path in units.values_list("path", flat=True)[:50]:
        q |= Q(school__path__startswith=path) | Q(home_village__path__startswith=path)
    return children_visible_to(user).filter(q)


# --- training --------------------------------------------------------------------------------


def training_visible_to(user: Any, action: Action = Action.VIEW) -> QuerySet[TrainingSession]:
    return TrainingSession.objects.filter(unit_q(user, Area.TRAINING, action)).select_related(
        "unit"
    )


def training_of(user: Any, pk: int) -> TrainingSession:
    return get_object_or_404(training_visible_to(user), pk=pk)


def units_to_keep(user: Any, area: Area) -> QuerySet[Org]:
    return (
        Org.objects.filter(scope_of(user).units_q(area, Action.CHANGE), is_active=True)
        .exclude(kind__in=(OrgKind.GRADE, OrgKind.SCHOOL_CLASS))
        .order_by("path")
    )


def guardians_trained(trainees: QuerySet[Trainee]) -> int:
    """Distinct guardians: one archive guardian row is one person however many sessions they
    came to; a guardian not linked to the archive counts once per name and unit."""
    rows = trainees.filter(voided_at__isnull=True, kind__in=(TraineeKind.GUARDIAN,))
    linked = rows.filter(guardian__isnull=False).values("guardian").distinct().count()
    named = (
        rows.filter(guardian__isnull=True)
        .exclude(name="")
        .values("name", "session__unit")
        .distinct()
        .count()
    )
    return linked + named


# --- commendations ---------------------------------------------------------------------------


def commendations_visible_to(user: Any, action: Action = Action.VIEW) -> QuerySet[Commendation]:
    return (
        Commendation.objects.filter(unit_q(user, Area.COMMENDATIONS, action))
        .filter(voided_at__isnull=True)
        .select_related("unit", "child")
    )


# --- a child's page --------------------------------------------------------------------------


def _has_any(child: Child) -> bool:
    """Whether anything at all ties the child to an activity, a group or a commendation."""
    found = (
        Child.objects.filter(pk=child.pk)
        .annotate(
            attended=Exists(Attendance.objects.filter(child=OuterRef("pk"))),
            member=Exists(Membership.objects.filter(child=OuterRef("pk"))),
            commended=Exists(Commendation.objects.filter(child=OuterRef("pk"))),
        )
        .values_list("attended", "member", "commended")
        .first()
    )
    return bool(found and any(found))


def child_part(user: Any, child: Child) -> dict[str, Any] | None:
    """What the child joined and was commended for, as far as the reader sees activities."""
    scope = scope_of(user)
    if not scope.may(Area.ACTIVITIES, Action.VIEW):
        return None
    if not _has_any(child):
        # Most children have joined nothing: one small query instead of the reader's scope
        # built into four (a child's page is the most visited page, issue 17).
        return {"attended": [], "sessions": 0, "groups": [], "commendations": []}
    activities = activities_visible_to(user).values("pk")
    attended = (
        in_force(Attendance.objects.filter(child=child, session__activity__in=activities))
        .select_related("session__activity")
        .order_by("-session__on")
    )
    groups = (
        Membership.objects.filter(child=child, group__in=groups_visible_to(user).values("pk"))
        .select_related("group")
        .order_by("-joined_on")
    )
    commendations = (
        commendations_visible_to(user).filter(child=child)
        if scope.may(Area.COMMENDATIONS, Action.VIEW)
        else Commendation.objects.none()
    )
    shown = list(attended[:30])
    return {
        "attended": shown,
        # (Counted apart only when the list is full: most children attended fewer.)
        "sessions": len(shown) if len(shown) < 30 else attended.count(),
        "groups": list(groups),
        "commendations": list(commendations[:30]),
    }


# --- statistics ------------------------------------------------------------------------------


# Commended people who are not children (units are not people: not counted).
ADULTS = (RecipientKind.TEACHER, RecipientKind.GUARDIAN, RecipientKind.VOLUNTEER)


def period_figures(*, org: Org, start: date, end: date) -> dict[str, Any]:
    """The period's figures of the units under ``org`` (interfaces.md statistics JSON):
    activities held (a session in the period, not cancelled), 人次 from attendance, children
    reached; commendations of children (distinct children) and adults; guardians trained
    (distinct); children in at least one interest group during the period."""
    sessions = Session.objects.filter(
        activity__unit__path__startswith=org.path, on__range=(start, end)
    ).exclude(activity__status=ActivityStatus.CANCELLED)
    counts = counts_of(sessions)
    honours = Commendation.objects.filter(
        unit__path__startswith=org.path, on__range=(start, end), voided_at__isnull=True
    )
    trainees = Trainee.objects.filter(
        session__unit__path__startswith=org.path, session__on__range=(start, end)
    )
    members = Membership.objects.filter(
        group__unit__path__startswith=org.path, joined_on__lte=end
    ).filter(Q(left_on__isnull=True) | Q(left_on__gte=start))
    return {
        "activities": {
            "count": sessions.values("activity").distinct().count(),
            "person_times": counts["person_times"],
            "children_reached": counts["children"],
        },
        "commendations": honours.aggregate(
            children=Count("child", distinct=True, filter=Q(recipient_kind=RecipientKind.CHILD)),
            adults=Count("pk", filter=Q(recipient_kind__in=ADULTS)),
        ),
        "guardians_trained": guardians_trained(trainees),
        "interest_groups": {"children": members.values("child").distinct().count()},
    }


def people_near(user: Any, also: Activity | None = None) -> QuerySet[Any]:
    """Logins who may be put in charge of or volunteer at an activity the user plans: the
    people working in the user's county (teachers, cadres, volunteers' associations), and
    those already named on ``also``."""
    counties = scope_of(user).counties_q(Area.UNITS, Action.VIEW, "assignments__org__path")
    near = User.objects.filter(counties, assignments__is_active=True, is_active=True).values("pk")
    named = Q(pk__in=near)
    if also is not None:
        named |= Q(pk__in=also.in_charge.values("pk")) | Q(pk__in=also.volunteers.values("pk"))
    return User.objects.filter(named).order_by("full_name", "username")
