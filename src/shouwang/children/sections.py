"""Sections other areas add to a child's page ("what the child received and joined": help,
activities, a children's home), without the archive importing them: each area registers its
section when its app is ready, the way ``blank_with_the_archive`` hands retention its fields.

A section is a template and a function ``(user, child) -> dict | None`` that reads through the
area's own selectors (the scope applied there): None leaves the section out for that reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SectionContext = Callable[[Any, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    context: SectionContext


_sections: dict[str, Section] = {}


def add_child_section(name: str, template: str, context: SectionContext) -> None:
    """Show ``template`` on the child's page, with ``context(user, child)`` as ``part``."""
    _sections[name] = Section(name, template, context)


def sections_for(user: Any, child: Any) -> list[tuple[str, dict[str, Any]]]:
    """(template, part) for each section this reader gets, in the order they were added."""
    shown = []
    for section in _sections.values():
        part = section.context(user, child)
        if part is not None:
            shown.append((section.template, part))
    return shown
