"""Reads of assessment, each from the acting user's scope: a region's officers and a school's
leaders see the scores of their units (a caregiver's score lies at the caregiver's unit), and
anyone sees their own score (accounts.policy, Area.ASSESSMENT)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child
from shouwang.orgs.models import Org, Term

from .measures import MEASURES
from .models import Point, Run, Scheme, Score, Subject


def scores_visible_to(user: Any) -> QuerySet[Score]:
    if not getattr(user, "is_authenticated", False):
        return Score.objects.none()
    scope = scope_of(user)
    q = scope.units_q(Area.ASSESSMENT, Action.VIEW, "org__path")
    if not q:  # everything (an empty Q would vanish when OR-ed)
        return Score.objects.all()
    if scope.lists_own(Area.ASSESSMENT, Action.VIEW):
        q |= Q(caregiver__user_id=user.pk)
    return Score.objects.filter(q)


def score_visible_to(user: Any, pk: int) -> Score:
    return get_object_or_404(
        scores_visible_to(user).select_related("run__term", "run__org", "org", "caregiver"), pk=pk
    )


def my_scores(user: Any) -> QuerySet[Score]:
    """The user's own scores (as a caregiver), the current run of each term, newest first."""
    return (
        Score.objects.filter(caregiver__user_id=user.pk, run__is_current=True)
        .select_related("run__term", "run__org")
        .order_by("-run__term__start", "-run__computed_at")
    )


def may_view(user: Any, org: Org) -> bool:
    return scope_of(user).may(Area.ASSESSMENT, Action.VIEW, org)


def may_change(user: Any, org: Org) -> bool:
    return scope_of(user).may(Area.ASSESSMENT, Action.CHANGE, org)


def run_for(org: Org, term: Term) -> Run | None:
    """The current run of ``term`` computed at ``org`` or at the nearest region above it."""
    chain = [org, *reversed(Org.objects.get_ancestors(org))]
    runs = {
        r.org_id: r
        for r in Run.objects.filter(org__in=chain, term=term, is_current=True).select_related(
            "term", "org"
        )
    }
    return next((runs[o.pk] for o in chain if o.pk in runs), None)


@dataclass
class Ranking:
    org: Org
    term: Term | None
    run: Run | None
    subject: str
    scores: list[Score]


def ranking_for(user: Any, org: Org, term: Term | None, subject: str = Subject.SCHOOL) -> Ranking:
    """The ranked scores of ``subject`` under ``org`` in ``term`` the user may see, best first
    (a dashboard's table: one query for the run, one for the scores)."""
    run = run_for(org, term) if term is not None else None
    scores: list[Score] = []
    if run is not None:
        scores = list(
            scores_visible_to(user)
            .filter(run=run, subject=subject, org__path__startswith=org.path)
            .select_related("org")
            .order_by("rank", "name", "pk")
        )
    return Ranking(org, term, run, subject, scores)


def scheme_of(org: Org) -> Scheme | None:
    return Scheme.objects.filter(org=org).first()


def points_of(scheme: Scheme) -> QuerySet[Point]:
    return scheme.points.order_by("-is_active", "subject", "order", "pk")


def point_manageable_by(user: Any, pk: int) -> Point:
    point = get_object_or_404(Point.objects.select_related("scheme__org"), pk=pk)
    if not may_change(user, point.scheme.org):
        raise_404()
    return point


def run_manageable_by(user: Any, pk: int) -> Run:
    run = get_object_or_404(Run.objects.select_related("org", "term"), pk=pk)
    if not may_change(user, run.org):
        raise_404()
    return run


def raise_404() -> None:
    raise Http404


def measure_label(code: str) -> str:
    measure = MEASURES.get(code)
    return str(measure.label) if measure else code


def visible_children(user: Any, ids: set[int]) -> set[int]:
    """Of these children, those whose page the user may open (their names link there)."""
    if not ids:
        return set()
    return set(Child.objects.restrict(user).filter(pk__in=ids).values_list("pk", flat=True))
