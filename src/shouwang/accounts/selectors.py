"""Reads about users and the audit log, scoped to the acting user."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from shouwang.audit.models import AuditEntry
from shouwang.orgs.models import Org

from .models import RoleAssignment, User
from .policy import CAREGIVER_KIND_OF_ROLE, CLASS_TEACHER, Action, Area
from .scope import build_scope, scope_of


def users_visible_to(user: Any) -> QuerySet[User]:
    """The accounts one manages (the table's ``users``/``change``: the sysadmin's, every one),
    and one's own."""
    active = RoleAssignment.objects.filter(is_active=True).select_related("org")
    qs = User.objects.prefetch_related(Prefetch("assignments", queryset=active)).order_by(
        "username"
    )
    units = scope_of(user).units_q(Area.USERS, Action.CHANGE, "org__path")
    if not units:  # everything (an empty Q() would vanish in the OR below)
        return qs
    held = RoleAssignment.objects.filter(units, is_active=True).values("user_id")
    return qs.filter(Q(pk__in=held) | Q(pk=getattr(user, "pk", None)))


def orgs_to_place_users_at(user: Any) -> QuerySet[Org]:
    """Where a user may give someone a role: the units whose people they manage."""
    units = scope_of(user).units_q(Area.USERS, Action.CHANGE)
    return Org.objects.filter(units).order_by("path")


def active_assignments_of(user: Any) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=user, is_active=True).select_related("org")


def audit_entries_visible_to(user: Any) -> QuerySet[AuditEntry]:
    """The log of the units the table lets one read it for (``audit``/``view``: the sysadmin,
    all of it)."""
    return AuditEntry.objects.filter(scope_of(user).units_q(Area.AUDIT, Action.VIEW, "org_path"))


def teachers_of_classes(classes: list[Any]) -> dict[int, list[User]]:
    """Class id → the teachers assigned to it, for contact cards and class pages."""
    out: dict[int, list[User]] = {}
    rows = RoleAssignment.objects.filter(
        org__in=classes, role=CLASS_TEACHER, is_active=True
    ).select_related("user")
    for row in rows:
        out.setdefault(row.org_id, []).append(row.user)
    return out


def teachers_of_school(school: Any) -> QuerySet[User]:
    """Active users holding a teacher role in the school (at the school or one of its classes)."""
    return (
        User.objects.filter(
            is_active=True,
            assignments__is_active=True,
            assignments__role=CLASS_TEACHER,
            assignments__org__path__startswith=school.path,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def units_held_by(users: Any) -> dict[int, Org]:
    """Each person's unit, by their active role there (one query): where the people the gate
    names are, for a page that lists them with their unit."""
    return {
        a.user_id: a.org
        for a in RoleAssignment.objects.filter(user__in=users, is_active=True).select_related("org")
    }


def caring_unit_of(user: Any) -> tuple[str, Org] | None:
    """The caregiver kind and unit of a login's first role that looks after children (the
    policy's CAREGIVER_KIND_OF_ROLE), or None: how a login first records care."""
    assignment = (
        RoleAssignment.objects.filter(
            user=user, is_active=True, role__in=list(CAREGIVER_KIND_OF_ROLE)
        )
        .select_related("org")
        .order_by("pk")
        .first()
    )
    if assignment is None:
        return None
    return CAREGIVER_KIND_OF_ROLE[assignment.role], assignment.org


def people_at(org: Org, answering: tuple[Area, Action] | None = None) -> QuerySet[User]:
    """Active logins holding an active role at that very unit (not under it): those who answer
    for it (the receiver of a referral). With ``answering``, only those the policy table lets
    reach the unit for that area and action — each one's scope built from their roles, read in
    one query (never a query per person)."""
    people = (
        User.objects.filter(is_active=True, assignments__is_active=True, assignments__org=org)
        .distinct()
        .order_by("pk")
    )
    if answering is None:
        return people
    area, action = answering
    held: dict[int, list[RoleAssignment]] = {}
    there = RoleAssignment.objects.filter(org=org, is_active=True).values("user_id")
    for row in RoleAssignment.objects.filter(is_active=True, user__in=there).select_related("org"):
        held.setdefault(row.user_id, []).append(row)
    answer = [pk for pk, rows in held.items() if build_scope(rows, pk).covers(area, action, org)]
    return people.filter(pk__in=answer)


def people_under(path: str) -> QuerySet[User]:
    """Active logins holding an active role at the unit of ``path`` or under it (who can be made
    responsible for a rectification, take a roster shift…)."""
    return (
        User.objects.filter(
            is_active=True,
            assignments__is_active=True,
            assignments__org__path__startswith=path,
        )
        .distinct()
        .order_by("full_name", "username")
    )
