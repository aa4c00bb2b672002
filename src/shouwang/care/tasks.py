"""Time-based work the background worker (django-q2, `shouwang qcluster`) runs daily."""

from __future__ import annotations

from django.utils import timezone

from . import services


def notify_overdue() -> int:
    # The follow-ups overdue ride on the daily run (their notices say once per follow-up).
    today = timezone.localdate()
    return services.notify_overdue(today) + services.notify_overdue_follow_ups(today)
