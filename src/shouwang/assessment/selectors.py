"""Reads of assessment, each from the acting user's scope: a region's officers and a school's
leaders see the scores of their units (a caregiver's score lies at the caregiver's unit), and
anyone sees their own score (accounts.policy, Area.ASSESSMENT)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child
from shouwang.orgs.models import Org, Term
from shouwang.orgs.selectors import calendar_region_for

from .measures import MEASURES
from .models import Point, Run, Scheme, Score, Subject
from .services import grade, year_total


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


# --- the year (年度考核) -----------------------------------------------------------------------

Identity = tuple[str, int]  # (subject, caregiver id) for a caregiver, (subject, unit id) else


def identity(score: Score) -> Identity:
    return (score.subject, score.caregiver_id if score.caregiver_id else score.org_id)


@dataclass
class YearTerm:
    term: Term
    run: Run | None
    score: Score | None

    @property
    def vetoed(self) -> bool:
        return self.score is not None and any(
            p["veto"] and p["passed"] is False for p in self.score.points
        )


@dataclass
class YearResult:
    """A subject's 年度考核: the terms that begin in the year, each with its score (the current
    run of the term at the run's region or above), the mean of their totals graded by the bands
    of the latest term scored, and 不合格 whenever a veto point failed in any of them (seed 001:
    如因工作不力和失职而造成影响的，年度考核定为不合格)."""

    year: int
    terms: list[YearTerm] = field(default_factory=list)
    total: Decimal | None = None
    result: str | None = None

    @property
    def vetoed(self) -> list[str]:
        return [t.term.name for t in self.terms if t.vetoed]

    @property
    def final(self) -> bool:
        """Every term of the year scored and frozen: the year's result no longer moves."""
        return all(t.run is not None and t.run.frozen_at is not None for t in self.terms)


def year_runs(run: Run) -> tuple[int, list[tuple[Term, Run | None]]]:
    """The year of ``run``'s term (the year a term begins in) and each of the year's terms of
    the region's calendar with its current run (``run`` itself for its own term)."""
    year = run.term.start.year
    region = calendar_region_for(run.org)
    terms = (
        list(Term.objects.filter(region=region, start__year=year).order_by("start"))
        if region is not None
        else [run.term]
    )
    return year, [(t, run if t.pk == run.term_id else run_for(run.org, t)) for t in terms]


def year_results(run: Run, only: Score | None = None) -> dict[Identity, YearResult]:
    """Each subject of ``run`` (or ``only``) with its year's result, in one query for the scores
    of the year's runs."""
    year, runs = year_runs(run)
    scores = Score.objects.filter(run__in=[r for _t, r in runs if r is not None])
    if only is not None:
        if only.caregiver_id:
            scores = scores.filter(subject=only.subject, caregiver_id=only.caregiver_id)
        else:
            scores = scores.filter(subject=only.subject, org_id=only.org_id)
    found: dict[Identity, dict[int, Score]] = {}
    for score in scores:
        found.setdefault(identity(score), {})[score.run_id] = score
    out = {}
    for key, by_run in found.items():
        result = YearResult(year=year)
        for term, term_run in runs:
            kept = by_run.get(term_run.pk) if term_run is not None else None
            result.terms.append(YearTerm(term, term_run, kept))
        scored = [t for t in result.terms if t.score is not None]
        if scored:
            result.total = year_total([t.score.total for t in scored if t.score is not None])
            rules = scored[-1].run.rules if scored[-1].run is not None else run.rules
            result.result = grade(result.total, rules, vetoed=bool(result.vetoed))
        out[key] = result
    return out


def year_result(score: Score) -> YearResult | None:
    return year_results(score.run, only=score).get(identity(score))
