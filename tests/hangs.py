"""What a test that hangs was doing, printed while it still hangs.

A test still running after ``REPORT_AFTER`` seconds (the slowest takes under a minute) has every
thread's stack and, on PostgreSQL, the test database's other sessions and the locks waited for
printed to the process's real stderr, past pytest's capture. pytest-timeout fails it later
(``timeout`` in pyproject.toml); by then a lock holder may be gone, so this looks first. CI once
ran out of time on a test that passed everywhere else and left nothing to read.
"""

from __future__ import annotations

import faulthandler
import sys
import threading
from typing import Any, TextIO

REPORT_AFTER = 240.0

SESSIONS = """
    SELECT pid, state, wait_event_type || ':' || wait_event, now() - xact_start,
           left(regexp_replace(query, '\\s+', ' ', 'g'), 300)
    FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
    ORDER BY xact_start NULLS LAST
"""
WAITING = """
    SELECT w.pid, w.locktype, w.relation::regclass, w.mode,
           (SELECT array_agg(h.pid) FROM pg_locks h
            WHERE h.granted AND h.pid <> w.pid AND h.locktype = w.locktype
              AND h.database IS NOT DISTINCT FROM w.database
              AND h.relation IS NOT DISTINCT FROM w.relation
              AND h.objid IS NOT DISTINCT FROM w.objid
              AND h.transactionid IS NOT DISTINCT FROM w.transactionid)
    FROM pg_locks w
    WHERE NOT w.granted
"""


class Watch:
    """Reports ``nodeid`` to ``out`` unless cancelled within ``after`` seconds."""

    def __init__(self, nodeid: str, *, after: float = REPORT_AFTER, out: TextIO | None = None):
        self._timer = threading.Timer(after, report, args=(nodeid, after, out or sys.__stderr__))
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()


def report(nodeid: str, after: float, out: TextIO) -> None:
    print(f"\n=== {nodeid} is still running after {after:.0f} s ===", file=out, flush=True)
    faulthandler.dump_traceback(file=out, all_threads=True)
    try:
        database(out)
    except Exception as exc:  # a report, never a second failure
        print(f"(the database's sessions could not be read: {exc})", file=out, flush=True)


def connect(*, autocommit: bool) -> Any:
    """A connection of its own to the test database (PostgreSQL), beside Django's."""
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        autocommit=autocommit,
        connect_timeout=10,
    )


def database(out: TextIO) -> None:
    """The test database's sessions and waiting locks (PostgreSQL: SQLite has no such view)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connect(autocommit=True) as db:
        print("sessions (pid, state, waiting for, in transaction for, query):", file=out)
        for row in db.execute(SESSIONS):
            print("  ", *row, file=out)
        print("locks waited for (pid, kind, table, mode, held by):", file=out)
        for row in db.execute(WAITING):
            print("  ", *row, file=out)
    out.flush()
