"""Who sees an inspection: those the gate lets view its unit (Area.INSPECTIONS, VIEW); who
answers a rectification: the unit's side (CHANGE over the unit); who records, edits, closes,
returns and voids: the region's side (ADD over the unit — the inspectors). Out of scope is a
404, never a refusal that says the thing exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.accounts.selectors import people_under
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.orgs.models import Org

from .models import (
    INSPECTED_KINDS,
    EvidencePhoto,
    Inspection,
    Rectification,
    RectificationState,
)

DASHBOARD_ROWS = 10


def may_view(user: Any) -> bool:
    return scope_of(user).may(Area.INSPECTIONS, Action.VIEW)


def may_inspect(user: Any) -> bool:
    return scope_of(user).may(Area.INSPECTIONS, Action.ADD)


def units_to_inspect(user: Any) -> QuerySet[Org]:
    """The schools, villages and children's homes under the user's region."""
    return Org.objects.filter(
        scope_of(user).units_q(Area.INSPECTIONS, Action.ADD), kind__in=INSPECTED_KINDS
    ).order_by("path")


def units_seen(user: Any) -> QuerySet[Org]:
    """The inspected kinds of unit the user sees inspections of (the list's filter)."""
    return Org.objects.filter(
        scope_of(user).units_q(Area.INSPECTIONS, Action.VIEW), kind__in=INSPECTED_KINDS
    ).order_by("path")


def _at(user: Any, action: Action) -> Q:
    return scope_of(user).units_q(Area.INSPECTIONS, action, "unit__path")


def inspections_visible_to(user: Any, action: Action = Action.VIEW) -> QuerySet[Inspection]:
    return Inspection.objects.filter(_at(user, action)).select_related("unit", "recorded_by")


def rectifications_visible_to(user: Any, action: Action = Action.VIEW) -> QuerySet[Rectification]:
    """The live rectifications (of live inspections) the user reaches."""
    return (
        Rectification.objects.filter(
            _at(user, action), voided_at__isnull=True, inspection__voided_at__isnull=True
        )
        .select_related("unit", "inspection", "responsible_user")
        .order_by("deadline", "pk")
    )


def with_counts(inspections: QuerySet[Inspection], today: date) -> QuerySet[Inspection]:
    live = Q(rectifications__voided_at__isnull=True)
    not_closed = live & ~Q(rectifications__state=RectificationState.CLOSED)
    return inspections.annotate(
        findings=Count("rectifications", filter=live),
        not_closed=Count("rectifications", filter=not_closed),
        overdue=Count("rectifications", filter=not_closed & Q(rectifications__deadline__lt=today)),
    )


def inspection_for(user: Any, pk: int) -> Inspection:
    """The inspection, or 404 unless the user sees its unit; the look is audited."""
    inspection = get_object_or_404(inspections_visible_to(user), pk=pk)
    audit.record_read(
        actor=user,
        action=AuditAction.VIEW,
        obj=inspection,
        org_path=inspection.unit.path,
        changes={"what": "inspection"},
    )
    return inspection


def inspection_held_by(user: Any, pk: int) -> Inspection:
    """The inspector's side (ADD over its unit): edit, add findings, void. 404 elsewhere."""
    return get_object_or_404(
        inspections_visible_to(user, Action.ADD).filter(voided_at__isnull=True), pk=pk
    )


def rectification_answerable_by(user: Any, pk: int) -> Rectification:
    """The unit's side (CHANGE over the unit): answer with evidence."""
    return get_object_or_404(rectifications_visible_to(user, Action.CHANGE), pk=pk)


def rectification_held_by(user: Any, pk: int) -> Rectification:
    """The inspector's side (ADD over the unit): close, return, edit, void."""
    return get_object_or_404(rectifications_visible_to(user, Action.ADD), pk=pk)


def may(user: Any, action: Action, unit: Org) -> bool:
    return scope_of(user).may(Area.INSPECTIONS, action, unit)


def photo_for(user: Any, pk: int) -> EvidencePhoto:
    """An evidence photo, only to those who see its rectification's unit."""
    return get_object_or_404(
        EvidencePhoto.objects.filter(
            scope_of(user).units_q(Area.INSPECTIONS, Action.VIEW, "step__rectification__unit__path")
        ).select_related("step__rectification"),
        pk=pk,
    )


def people_of(unit: Org) -> QuerySet[User]:
    """Who can be made responsible: the people holding a role at the unit or under it."""
    return people_under(unit.path)


# --- for the dashboards and the documents ---------------------------------------------------


def overdue_q(today: date) -> Q:
    return Q(deadline__lt=today) & ~Q(state=RectificationState.CLOSED)


@dataclass(frozen=True)
class Overdue:
    count: int
    rows: list[Rectification]


def overdue_rectifications(
    user: Any, org: Org | None = None, today: date | None = None, limit: int = DASHBOARD_ROWS
) -> Overdue:
    """Rectifications past their deadline and not closed, of the units the user sees (under
    ``org`` when given): how many, and the first ``limit`` (the oldest deadline first) — for the
    unit's and the region's dashboards (template ``inspections/_dashboard_part.html``)."""
    if not may_view(user):
        return Overdue(0, [])
    found = rectifications_visible_to(user).filter(overdue_q(today or timezone.localdate()))
    if org is not None:
        found = found.filter(unit__path__startswith=org.path)
    rows = list(found[:limit])
    count = len(rows) if len(rows) < limit else found.count()
    return Overdue(count, rows)


class PeriodLike(Protocol):
    start: date
    end: date


def open_rectifications(org: Org, period: PeriodLike) -> int:
    """For the 工作总结's problems found (reports): rectifications of inspections held at ``org``
    or under it up to the period's end, still not closed at its end. No user: the report's
    caller has checked the unit."""
    return (
        Rectification.objects.filter(
            unit__path__startswith=org.path,
            voided_at__isnull=True,
            inspection__voided_at__isnull=True,
            inspection__on__lte=period.end,
        )
        .filter(Q(closed_at__isnull=True) | Q(closed_at__date__gt=period.end))
        .count()
    )
