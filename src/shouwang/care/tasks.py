"""Time-based work the background worker (django-q2, `shouwang qcluster`) runs daily."""

from __future__ import annotations

from django.utils import timezone

from . import services


def notify_overdue() -> int:
    return services.notify_overdue(timezone.localdate())
