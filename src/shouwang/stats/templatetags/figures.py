"""How a share is written on a page: 7.62%, as the seeds write it."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """A share (0.0762) as a percentage with two decimals ("7.62%"); "—" when there is none."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.2f}%"
