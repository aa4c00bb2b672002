"""Inserting and updating many rows in one stream.

Django's ``bulk_create`` prepares every value through the whole field machinery and writes SQL
for every row; a county's ledger adds several hundred thousand rows, where that becomes most of
the import's time. Here each field's conversion is chosen once, and the rows go to PostgreSQL as
one ``COPY … FROM STDIN`` (a statement a row, even pipelined, or a many-row ``INSERT`` bound on
the client, costs four to five times as long: most of a 50,000-row import on PostgreSQL), and to
SQLite, which runs in this process, through the driver's ``executemany``. For rows whose
primary keys are not needed back.

``update_many`` is the same for rows that exist: Django's ``bulk_update`` writes one
``CASE WHEN id = … THEN …`` per field and row, which for a school's 594 changed archives (their
children, parents and guardians) took seven of an import's thirteen seconds on PostgreSQL,
almost all of it Python building the statement.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from itertools import chain, islice
from operator import attrgetter
from typing import Any

from django.db import connection, models
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.utils import timezone

from shouwang.core.fieldcrypt import EncryptedMixin, LookupHashField, lookup_hash

Row = models.Model | Mapping[str, Any]


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """What a value of the field becomes for the driver; None when it goes as it is."""
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.JSONField | models.GenericIPAddressField | EncryptedMixin):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _row_maker(fields: list[models.Field[Any, Any]]) -> Callable[[Row], list[Any]]:
    """One row's values, in the fields' order: each field's conversion chosen here, once."""
    now = timezone.now()
    attnames = [f.attname for f in fields]
    keys = [(f.attname, f.get_default()) for f in fields]
    of_model = (
        attrgetter(*attnames) if len(attnames) > 1 else lambda obj: (getattr(obj, attnames[0]),)
    )
    converts, stamps = [], []
    # A keyed hash is computed from the value it hashes, before that is encrypted.
    hashes = [
        (i, attnames.index(f.of)) for i, f in enumerate(fields) if isinstance(f, LookupHashField)
    ]
    for i, field in enumerate(fields):
        convert = _converter(field)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            stamps.append((i, convert(now) if convert else now))
        elif convert is not None:
            converts.append((i, convert))

    def make(obj: Row) -> list[Any]:
        if isinstance(obj, Mapping):
            get = obj.get
            row = [get(attname, default) for attname, default in keys]
        else:
            row = list(of_model(obj))
        for i, source in hashes:
            row[i] = lookup_hash(row[source])
        for i, convert in converts:
            row[i] = convert(row[i])
        for i, stamp in stamps:
            row[i] = stamp
        return row

    return make


def insert_many(model: type[models.Model], objs: Iterable[Row]) -> int:
    """Insert model objects, or plain mappings of column attnames to values (cheaper: no model
    object is built); a missing key takes the field's default."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = _rows(map(_row_maker(fields), objs))
    if rows is None:
        return 0  # no statement: the same queries on either database
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _copy(cursor, f"COPY {table} ({columns}) FROM STDIN", rows)
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608  (model metadata)
        return _execute_many(cursor, sql, rows)


def update_many(model: type[models.Model], objs: Iterable[models.Model], fields: list[str]) -> int:
    """Write ``fields`` of existing model objects (by primary key), as ``bulk_update`` would, in
    one stream: on PostgreSQL the rows are copied into a temporary table and applied with one
    ``UPDATE … FROM``; on SQLite one prepared ``UPDATE`` runs for each row. Keyed hashes among
    ``fields`` are computed from the values they hash (which must be among ``fields`` too)."""
    meta = model._meta
    concrete = [
        f
        for name in fields
        if isinstance(f := meta.get_field(name), models.Field) and f.concrete and not f.primary_key
    ]
    pk = meta.pk
    assert pk is not None and len(concrete) == len(fields), "update_many: concrete fields only"
    rows = _rows(map(_row_maker([*concrete, pk]), objs))  # the primary key last
    if rows is None:
        return 0
    quote = connection.ops.quote_name
    table, key = quote(meta.db_table), quote(pk.column or pk.attname)
    columns = [quote(f.column or f.attname) for f in concrete]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A table of this transaction only, with the columns' types and none of their
            # constraints; dropped at once (a second call in the same transaction makes its own).
            temp = quote(f"_update_{meta.db_table}")
            listed = ", ".join([*columns, key])
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "  # noqa: S608  (model metadata)
                f"SELECT {listed} FROM {table} WITH NO DATA"
            )
            count = _copy(cursor, f"COPY {temp} ({listed}) FROM STDIN", rows)
            sets = ", ".join(f"{column} = {temp}.{column}" for column in columns)
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM {temp} WHERE {table}.{key} = {temp}.{key}"  # noqa: S608
            )
            cursor.execute(f"DROP TABLE {temp}")
            return count
        sets = ", ".join(f"{column} = %s" for column in columns)
        sql = f"UPDATE {table} SET {sets} WHERE {key} = %s"  # noqa: S608  (model metadata)
        return _execute_many(cursor, sql, rows)


def _rows(rows: Iterator[list[Any]]) -> Iterator[list[Any]] | None:
    """The rows, or None when there are none (then no statement is sent at all)."""
    first = next(rows, None)
    return None if first is None else chain([first], rows)


def _execute_many(cursor: CursorWrapper, sql: str, rows: Iterator[list[Any]]) -> int:
    """SQLite: one prepared statement for each row, a few thousand rows at a time (a county's
    import never holds all its rows as SQL parameters at once)."""
    count = 0
    while chunk := list(islice(rows, 5000)):
        cursor.executemany(sql, chunk)
        count += len(chunk)
    return count


def _copy(cursor: CursorWrapper, sql: str, rows: Iterable[list[Any]]) -> int:
    """Stream the rows (none held as SQL parameters), as Django runs any statement: through the
    connection's execute wrappers (a test that makes the database fail sees it), with Django's
    errors, and in the query log when queries are logged (assertNumQueries counts one)."""

    def copy_rows(sql: str, *_: Any) -> int:
        connection.validate_no_broken_transaction()
        count = 0
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    execute: Callable[..., int] = copy_rows
    for wrapper in reversed(connection.execute_wrappers):
        execute = functools.partial(wrapper, execute)
    logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
    with logged:
        return execute(sql, None, False, {"connection": connection, "cursor": cursor})


def refresh_planner_statistics() -> None:
    """Tell the query planner what a bulk load changed (``ANALYZE``).

    PostgreSQL's autovacuum refreshes them minutes after a large write; until then it plans a
    county's counts for the handful of rows it last saw (a nested loop over every unit × every
    child): the county dashboard took 1.3 s in the database after ``shouwang demo --children
    20000`` instead of 0.1 s. SQLite's planner reads the same from ``sqlite_stat1``."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
