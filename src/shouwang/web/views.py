from __future__ import annotations

import sys

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone

from shouwang.accounts.scope import scope_of
from shouwang.accounts.selectors import active_assignments_of
from shouwang.care import follow_ups
from shouwang.care import selectors as care_selectors
from shouwang.core.health import database_problem
from shouwang.inspections import selectors as inspection_selectors
from shouwang.orgs import selectors as org_selectors
from shouwang.orgs.models import counts_enrolment as org_counts
from shouwang.safety import selectors as safety_selectors
from shouwang.stats import selectors as stats_selectors
from shouwang.units.selectors import top_orgs_visible_to


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own place in the tree: the orgs it looks after, with their figures."""
    scope = scope_of(request.user)
    today = timezone.localdate()
    places = []
    for org in top_orgs_visible_to(request.user):
        # The enrolment shown and the figures' denominator: the same rows, read once.
        rows = org_selectors.counted_enrolments(org, today) if org_counts(org) else None
        places.append(
            {
                "org": org,
                "enrolment": None
                if rows is None
                else org_selectors.enrolment_under(org, today, rows),
                "term": org_selectors.term_on(org, today),
                # Those who look after a region, a school or a village land on its figures.
                "figures": stats_selectors.home_figures(request.user, org, today, rows),
            }
        )
    assignments = active_assignments_of(request.user)
    tasks = None if scope.sees_every_unit else care_selectors.my_tasks(request.user, today)
    return render(
        request,
        "web/home.html",
        {
            "places": places,
            "assignments": assignments,
            "scope": scope,
            "today": today,
            "tasks": tasks,
            "late": safety_selectors.late_steps_shown(request.user, limit=5),
            "overdue_rectifications": inspection_selectors.overdue_rectifications(
                request.user, today=today, limit=5
            ),
            "follow_up_days": follow_ups.overdue_days(),
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    """200 "ok" only when the database takes a committed write, as every login needs; else 503
    with a short reason (the details go to the log, not to whoever asks)."""
    problem = database_problem()
    if problem:
        return HttpResponse(problem, status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, except when the database refused a write (disk full, read-only, gone):
    that is the system's state, not a bug, so the person is told so plainly with a 503 —
    login and every save then fail the same way /healthz reports."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError):
        return HttpResponse(loader.render_to_string("503.html"), status=503)
    return HttpResponse(loader.render_to_string("500.html"), status=500)
