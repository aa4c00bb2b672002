"""Writes a read may skip: what a page keeps for the next reader (a unit's day figures) is
worth keeping only when the database lets it in at once.

On SQLite one writer holds the file at a time; a page that merely keeps a copy for the next
reader would otherwise wait its turn behind an import's transactions (up to the connection's
timeout: seconds) for something the next reader can count again. PostgreSQL locks rows, not
the database, so there the write is simply made.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction


class Busy(Exception):
    """The database was busy with another writer: nothing was written."""


@contextmanager
def unless_busy() -> Iterator[None]:
    """An atomic block that gives up at once, raising :class:`Busy`, when SQLite's write lock
    is taken (instead of waiting up to the timeout), and rolls back what it wrote."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        # (Inside an outer transaction the lock is already this connection's.)
        with transaction.atomic():
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (waits,) = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        try:
            with transaction.atomic():
                yield
        except DatabaseError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise Busy from exc
            raise
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(waits)}")
