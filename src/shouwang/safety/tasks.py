"""Time-based work the background worker (django-q2, `shouwang qcluster`) runs every minute."""

from __future__ import annotations

from django.utils import timezone

from shouwang.notices.services import deliver_due

from . import services


def escalate_due_steps() -> int:
    escalated = services.escalate_due(timezone.now())
    if escalated:
        # The late texts leave in this run rather than the outbox's next one; if this process
        # dies now, they wait in the outbox all the same.
        deliver_due()
    return escalated
