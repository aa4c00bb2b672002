"""Time-based work the background worker (django-q2, `shouwang qcluster`) runs daily."""

from __future__ import annotations

from django.utils import timezone

from . import services


def remind_unopened_mailboxes() -> int:
    return services.remind_unopened_mailboxes(timezone.localdate())
