"""Time-based work the background worker (django-q2, `shouwang qcluster`) runs every minute."""

from __future__ import annotations

from django.utils import timezone

from . import services


def escalate_due_steps() -> int:
    return services.escalate_due(timezone.now())
