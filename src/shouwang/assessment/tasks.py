"""Time-based work the background worker (django-q2, `shouwang qcluster`) runs hourly."""

from __future__ import annotations

from . import services


def freeze_closed_terms() -> int:
    """A term closed since the last pass has its scores computed over the whole term and frozen
    (within the hour after it closes)."""
    return len(services.freeze_closed_terms())
