"""Time-based work the background worker (django-q2, `shouwang qcluster`) runs hourly."""

from __future__ import annotations

from django.utils import timezone

from . import services


def escalate_unanswered() -> int:
    return services.escalate_unanswered(timezone.now())
