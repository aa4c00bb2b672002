"""``{{ phone|tel }}``: a number the user may see as a tap-to-call link (core.phones)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from shouwang.core.phones import tel_link

register = template.Library()


@register.filter
def tel(value: Any) -> SafeString:
    return tel_link(value)
