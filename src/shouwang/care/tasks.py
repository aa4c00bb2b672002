"""Time-based work the background worker (django-q2, `shouwang qcluster`) runs: the overdue
notices daily, the kept duty compliance every minute."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from shouwang.audit.versions import data_version

from . import selectors, services
from .models import KeptCompliance

# The worker counts a kept compliance again once the data moved on and it is this old (a
# county's takes 10-15 s at a province: not after every visit recorded) ...
REFRESH_COMPLIANCE_AFTER = timedelta(minutes=3)
# ... while a page asked for it this recently; older ones are dropped.
COMPLIANCE_ASKED_WITHIN = timedelta(days=1)
# Seconds of counting per run: what is left waits for the next minute.
COMPLIANCE_BUDGET = 40.0


def notify_overdue() -> int:
    # The follow-ups overdue ride on the daily run (their notices say once per follow-up).
    today = timezone.localdate()
    return services.notify_overdue(today) + services.notify_overdue_follow_ups(today)


def refresh_compliance(budget: float = COMPLIANCE_BUDGET) -> int:
    """Count again the kept duty compliance (care.selectors.compliance) that pages asked for
    in the last day: today's that the data has moved past, and yesterday's as today's (the
    morning's first page then finds it counted). Counted as the person who asked, while their
    scope is still the one it was kept under; the oldest first, for up to ``budget`` seconds
    (one at least). Notes first which are still current: a count is handed out behind the
    records for ten minutes from then. Returns how many were counted."""
    now = timezone.now()
    today = timezone.localdate()
    KeptCompliance.objects.filter(asked_at__lt=now - COMPLIANCE_ASKED_WITHIN).delete()
    KeptCompliance.objects.filter(day__lt=today - timedelta(days=1)).delete()
    version = data_version()
    # Still current: the ten minutes a count is handed out behind the records run from here.
    KeptCompliance.objects.filter(version=version).update(current_at=now)
    begin = time.perf_counter()
    done = 0
    rows = KeptCompliance.objects.select_related("user", "org").defer("counted")
    for kept in rows.order_by("made_at"):
        if done and time.perf_counter() - begin > budget:
            break
        if kept.day == today and (
            kept.version == version or now - kept.made_at < REFRESH_COMPLIANCE_AFTER
        ):
            continue
        user, org = kept.user, kept.org
        if not user.is_active or selectors.compliance_key(user, org, kept.day, kept.by) != kept.key:
            kept.delete()  # their scope changed (or they left): a count made for no one
            continue
        if kept.day != today:
            key = selectors.compliance_key(user, org, today, kept.by)
            if KeptCompliance.objects.filter(key=key).exists():
                continue  # today's is kept already
        selectors.count_compliance(
            user, org, today, kept.by, version=version, worker=True, asked_at=kept.asked_at
        )
        done += 1
    return done
