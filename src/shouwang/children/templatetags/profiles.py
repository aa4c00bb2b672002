"""``{{ profile|explained }}``: a definition profile in one sentence (children.profiles)."""

from __future__ import annotations

from django import template

from shouwang.children.models import DefinitionProfile
from shouwang.children.profiles import explain

register = template.Library()


@register.filter
def explained(profile: DefinitionProfile) -> str:
    return explain(profile)
