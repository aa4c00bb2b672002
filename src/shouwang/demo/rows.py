"""Writing the demo's generated bulk: a county's 50,000 children cannot cost a service call (and
a dozen queries) each, so the demo builds its rows in memory, checks them with the models' own
rules as the services do, and writes them many at a time with the audit entries the services
would have written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import models

from shouwang.core.bulk import insert_many


def check(row: models.Model, *, exclude: tuple[str, ...] = ()) -> None:
    """The row's own rules (every field's, then ``clean()``), as the services' ``full_clean``
    runs them. Keys are not looked up again (a query per key): the demo made those rows a
    moment ago, and the database still checks every key on insert."""
    keys = [f.name for f in row._meta.concrete_fields if f.is_relation]
    row.full_clean(exclude=[*keys, *exclude], validate_unique=False, validate_constraints=False)


def insert(
    model: type[models.Model],
    rows: Sequence[models.Model | Mapping[str, Any]],
    *,
    ours: models.QuerySet[Any],
) -> list[int]:
    """Insert the rows (``core.bulk.insert_many``: no statement per row, no field machinery per
    value) and return their new keys in the rows' order; model objects get theirs.

    ``ours`` matches rows of the county being built, which no other transaction can see yet, so
    the keys above the last one before are exactly these rows', given out in insertion order
    (SQLite's rowids, PostgreSQL's sequence, row after row of one COPY)."""
    before = ours.order_by("-pk").values_list("pk", flat=True).first() or 0
    insert_many(model, rows)
    keys = list(ours.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True))
    if len(keys) != len(rows):
        raise RuntimeError(f"{len(rows)} {model.__name__} rows written, {len(keys)} found")
    for row, key in zip(rows, keys, strict=True):
        if isinstance(row, models.Model):
            row.pk = key
            row._state.adding = False
    return keys


class Named:
    """A saved row under the name a service gives it in the audit log (``王芳 → 李明`` for a
    pairing, not its keys): ``audit.record_many`` names each row by ``str(row)``."""

    def __init__(self, model: type[models.Model] | models.Model, pk: Any, name: str) -> None:
        self._meta: Any = model._meta
        self.pk = pk
        self.name = name

    def __str__(self) -> str:
        return self.name
