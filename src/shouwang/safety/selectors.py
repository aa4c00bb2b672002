"""Who sees incidents: the school's leadership and counselors, region officers over the school,
and whoever reported it. Never volunteers (domain.md §1); everything else is 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child
from shouwang.orgs.models import Org

from .chains import label_of
from .models import Incident, IncidentStep


def uses_incidents(user: Any) -> bool:
    """Who has an emergencies page: those who see a unit's incidents and those who may report
    one (they keep a child's archive, the village child director too); a volunteer has none."""
    scope = scope_of(user)
    return scope.may(Area.INCIDENTS, Action.VIEW) or scope.may(Area.INCIDENTS, Action.ADD)


def incidents_visible_to(user: Any) -> QuerySet[Incident]:
    return Incident.objects.restrict(user).select_related("child", "school")


def incident_visible_to(user: Any, pk: int) -> Incident:
    return get_object_or_404(incidents_visible_to(user), pk=pk)


def reportable_children(user: Any) -> QuerySet[Child]:
    """Those who keep a child's archive report its emergencies (not volunteers)."""
    return Child.objects.restrict(user, Action.ADD, Area.INCIDENTS)


def steps_of(incident: Incident) -> list[IncidentStep]:
    return list(incident.steps.select_related("done_by"))


def late_steps_for(user: Any) -> QuerySet[IncidentStep]:
    """Steps past their deadline and not done, of incidents the user sees: red until done."""
    return (
        IncidentStep.objects.filter(
            incident__in=incidents_visible_to(user),
            incident__closed_at__isnull=True,
            done_at__isnull=True,
            due_at__lt=timezone.now(),
        )
        .select_related("incident", "incident__school", "incident__child")
        .order_by("due_at")
    )


def late_steps_shown(
    user: Any, under: Org | None = None, limit: int = 50
) -> list[tuple[IncidentStep, str]]:
    """(step, whom it was for) of the late steps the user sees — on the emergencies page, the
    home page and the dashboard of the level above, until each is done."""
    steps = late_steps_for(user)
    if under is not None:
        steps = steps.filter(incident__school__path__startswith=under.path)
    return [(step, label_of(step.key)) for step in steps[:limit]]


def emergency_figures(children: QuerySet[Child, Any], start: date, end: date) -> dict[str, int]:
    """Emergencies of ``children`` that happened over [start, end], and how many steps of their
    chains were (or are, still undone) late: seed 001's 20 minutes / 1 hour / 2 hours kept or
    not."""
    incidents = Incident.objects.filter(
        child__in=children,
        occurred_at__date__range=(start, end),
    )
    steps = IncidentStep.objects.filter(incident__in=incidents)
    late = steps.filter(
        Q(done_at__isnull=False, done_at__gt=F("due_at"))
        | Q(done_at__isnull=True, due_at__lt=timezone.now())
    )
    return {"reported": incidents.count(), "steps_late": late.count()}
