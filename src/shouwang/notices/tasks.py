"""The background worker (django-q2, `shouwang qcluster`) sends the outbox every minute."""

from __future__ import annotations

from . import services


def send_outbox() -> int:
    return services.deliver_due().sent
