"""Time-based work the background worker runs (django-q2 schedule, see the migrations)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from shouwang.audit.services import RequestOrigin, origin_scope

from . import services


def apply_retention() -> dict[str, Any]:
    """Daily: anonymise the archives of children who left more than the setting's years ago."""
    with origin_scope(RequestOrigin(via="worker")):
        return services.apply_retention(
            today=timezone.localdate(),
            years=settings.SHOUWANG_RETENTION_YEARS,
            by=None,
            via="worker",
        )
