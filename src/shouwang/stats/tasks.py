"""Work the background worker (django-q2, `shouwang qcluster`) does for the figures: it keeps
the units' snapshots of today counted, so the dashboards of a county find them made, and drops
the kept care counts of closed days nobody asked for in two months (issue 17).
Its schedule is in the migrations (every minute)."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from shouwang.children.models import DefinitionProfile
from shouwang.orgs.models import Org

from . import selectors
from .models import UnitDayCare, UnitDayFigures

# Seconds of counting per run, below the worker's task timeout (Q_CLUSTER's 120 s).
BUDGET_SECONDS = 40.0


def refresh_figures(budget: float = BUDGET_SECONDS) -> int:
    """Recount today's snapshots the data they count has moved past, and make today's for the
    units someone looked at yesterday (the morning's first dashboard then finds them). A
    minute without a change of the register costs five small queries. The longest waiting
    first, for up to ``budget`` seconds (a province's units take seconds each: what is left
    waits for the next minute, and a page that cannot wait counts its own). Returns how many
    were counted."""
    today = timezone.localdate()
    version = selectors.figures_version()
    # A cache, not a record: days past the week are dropped.
    UnitDayFigures.objects.filter(
        day__lt=today - timedelta(days=selectors.KEEP_SNAPSHOT_DAYS)
    ).delete()
    UnitDayCare.objects.filter(
        made_at__lt=timezone.now() - timedelta(days=selectors.KEEP_CARE_COUNTS_DAYS)
    ).delete()
    asked = UnitDayFigures.objects.filter(day__gte=today - timedelta(days=1))
    wanted = set(asked.values_list("org_id", "profile_id"))
    fresh = set(asked.filter(day=today, version=version).values_list("org_id", "profile_id"))
    made = {
        (org_id, profile_id): made_at
        for org_id, profile_id, made_at in asked.filter(day=today).values_list(
            "org_id", "profile_id", "made_at"
        )
    }
    never = timezone.now() - timedelta(days=1)  # yesterday's units have no count of today
    begin = time.perf_counter()
    counted = 0
    for org_id, profile_id in sorted(wanted - fresh, key=lambda unit: made.get(unit, never)):
        if counted and time.perf_counter() - begin > budget:
            break
        org = Org.objects.get(pk=org_id)
        profile = DefinitionProfile.objects.get(pk=profile_id)
        selectors.unit_counted(org, today, profile)
        counted += 1
    return counted
