"""Work the background worker (django-q2, `shouwang qcluster`) does for the figures: it keeps
the units' snapshots of today counted, so the dashboards of a county find them made, and drops
the kept care counts of closed days nobody asked for in two months (issue 17).
Its schedule is in the migrations (every minute)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shouwang.children.models import DefinitionProfile
from shouwang.orgs.models import Org

from . import selectors
from .models import UnitDayCare, UnitDayFigures


def refresh_figures() -> int:
    """Recount today's snapshots the data they count has moved past, and make today's for the
    units someone looked at yesterday (the morning's first dashboard then finds them). A
    minute without a change of the register costs five small queries. Returns how many were
    counted."""
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
    counted = 0
    for org_id, profile_id in sorted(wanted - fresh):
        org = Org.objects.get(pk=org_id)
        profile = DefinitionProfile.objects.get(pk=profile_id)
        selectors.unit_counted(org, today, profile)
        counted += 1
    return counted
