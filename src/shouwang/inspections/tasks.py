"""Time-based work the background worker (django-q2, `shouwang qcluster`) runs hourly."""

from __future__ import annotations

from django.utils import timezone

from . import services


def tell_overdue() -> int:
    return services.tell_overdue(timezone.now())
