"""Histories in words on every page (audit.describe): ``{% load history %}``.

- ``{% described entries "children.child" as rows %}``: each entry with its lines, the rows its
  keys point at read once for all (an audit entry brings its own model; ``shown_changes``, the
  masked changes a view prepared, are described where present, else ``changes``, or the
  attribute named by ``field="reasons"``); ``people=True`` adds the person's name for the
  login an entry names (``who``);
- ``changes|in_words:"children.assessment"``: one set of changes (assessment reasons, a ledger
  row as understood);
- ``key|field_label:"children.child"``: what a key names (a ledger column's field);
- ``entry.object_type|model_name``, ``entry.via|via_name``: the kind of object, where from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.contrib.auth import get_user_model

from shouwang.audit import describe

register = template.Library()


@register.simple_tag
def described(
    entries: Iterable[Any], model: str = "", field: str = "changes", people: bool = False
) -> list[tuple[Any, ...]]:
    entries = list(entries)
    lines = describe.describe_many(
        (_get(e, "object_type") or model, _get(e, "shown_changes") or _get(e, field) or {})
        for e in entries
    )
    if not people:
        return list(zip(entries, lines, strict=True))
    # The person, not the login: the log keeps the login (``who``), the page shows the name.
    logins = {_get(e, "who") for e in entries} - {None, ""}
    users = get_user_model()._default_manager.filter(username__in=logins) if logins else []
    names = {u.get_username(): str(u) for u in users}
    return [
        (e, e_lines, names.get(_get(e, "who"), _get(e, "who")))
        for e, e_lines in zip(entries, lines, strict=True)
    ]


def _get(entry: Any, name: str) -> Any:
    if isinstance(entry, Mapping):  # a row kept as data (the ledger preview's first rows)
        return entry.get(name)
    return getattr(entry, name, None)


@register.filter
def in_words(changes: Mapping[str, Any] | None, model: str = "") -> list[describe.Line]:
    return describe.describe(changes, model=model)


@register.filter
def field_label(key: str, model: str = "") -> str:
    return describe.label_of(key, model=model)


@register.filter
def model_name(object_type: str) -> str:
    return describe.model_label(object_type)


@register.filter
def via_name(via: str) -> str:
    return describe.via_label(via)
