"""Inserting many rows in one prepared statement.

Django's ``bulk_create`` prepares every value through the whole field machinery and writes SQL
for every row; a county's ledger adds several hundred thousand rows, where that becomes most of
the import's time. Here each field's conversion is chosen once, and the rows go to the driver's
``executemany``. For rows whose primary keys are not needed back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    if isinstance(field, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        return lambda value: adapt(value)
    if isinstance(field, models.DateField):
        adapt_date = connection.ops.adapt_datefield_value
        return lambda value: adapt_date(value)
    if isinstance(field, models.JSONField | models.GenericIPAddressField):
        return lambda value: field.get_db_prep_save(value, connection)
    return lambda value: value


def _getter(
    field: models.Field[Any, Any], convert: Callable[[Any], Any], now: Any
) -> Callable[[models.Model | Mapping[str, Any]], Any]:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        stamp = convert(now)
        return lambda obj: stamp
    attname = field.attname
    default = field.get_default()

    def get(obj: models.Model | Mapping[str, Any]) -> Any:
        if isinstance(obj, Mapping):
            return convert(obj.get(attname, default))
        return convert(getattr(obj, attname))

    return get


def insert_many(model: type[models.Model], objs: Iterable[models.Model | Mapping[str, Any]]) -> int:
    """Insert model objects, or plain mappings of column attnames to values (cheaper: no model
    object is built); a missing key takes the field's default."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    getters: list[Callable[[models.Model | Mapping[str, Any]], Any]] = []
    for field in fields:
        getters.append(_getter(field, _converter(field), now))
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608  (model metadata)
    count = 0
    rows = iter(objs)
    with connection.cursor() as cursor:
        # A few thousand rows at a time: a county's import never holds all its rows as SQL
        # parameters at once.
        while chunk := [[get(obj) for get in getters] for obj in islice(rows, 5000)]:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count
