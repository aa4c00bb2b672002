"""Care's flags on other apps' pages, asked from the template (the archive page shows whether a
4-heart child still lacks its 二对一 pair without the children app importing care)."""

from __future__ import annotations

from django import template

from shouwang.care.selectors import lacks_two_to_one_pairing
from shouwang.children.models import Child

register = template.Library()


@register.simple_tag
def needs_two_to_one(child: Child) -> bool:
    return lacks_two_to_one_pairing(child)
