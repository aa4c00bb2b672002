"""Time-based work the background worker runs (django-q2 schedule, see the migrations)."""

from __future__ import annotations

from shouwang.core.sheets import uploads


def purge_stale_uploads() -> int:
    """Ledgers and check-up sheets previewed a day ago and never applied: they hold ID numbers."""
    return uploads.purge_stale()
