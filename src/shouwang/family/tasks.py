"""Time-based work the background worker runs (django-q2 schedule, see the migrations)."""

from __future__ import annotations

from django.utils import timezone

from . import services


def raise_silence_tasks() -> int:
    return services.raise_silence_tasks(timezone.localdate())
