"""A long form that came back with errors says so at the top, one link per field to fix."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def fields_with_errors(*forms: Any) -> list[Any]:
    """The visible fields of ``forms`` that carry an error, in the page's order."""
    return [field for form in forms for field in form.visible_fields() if field.errors]
