"""Time-based work the background worker runs (django-q2 schedule, see the migrations)."""

from __future__ import annotations

from django.utils import timezone

from . import services


def remind_late_units() -> int:
    return services.remind_late(timezone.localdate())
