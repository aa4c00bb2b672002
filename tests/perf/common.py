"""What every benchmark does first and measures the same way.

A benchmark runs on the database ``DATABASE_URL`` names the server of, as the application
would: with a ``postgres://`` URL in a scratch database created on that server for the run and
dropped afterwards (never the developer's own), otherwise in a fresh SQLite database in a
temporary directory. ``bash scripts/test_postgres.sh python -m tests.perf.bench_…`` runs one on
a throw-away PostgreSQL cluster.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Set in the environment of a process a benchmark starts: the database is its parent's.
SCRATCH = "SHOUWANG_BENCH_SCRATCH"


def throwaway_django(var: Path | None = None) -> Path:
    """Set Django up on a database of this run's own and return the run's directory.

    A process started by a benchmark passes the parent's ``var`` and works on the parent's
    database, which the parent made and removes."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "shouwang.settings"
    url = os.environ.get("DATABASE_URL", "")
    on_postgres = url.startswith(("postgres://", "postgresql://"))
    if var is None or SCRATCH not in os.environ:
        var = Path(tempfile.mkdtemp(prefix="shouwang-bench-"))
        atexit.register(shutil.rmtree, var, ignore_errors=True)
        if on_postgres:
            os.environ["DATABASE_URL"] = _scratch_database(url)
        else:
            os.environ.pop("DATABASE_URL", None)
        os.environ[SCRATCH] = "1"
        # A terminated run still drops its database (atexit runs on SystemExit).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ["SHOUWANG_VAR_DIR"] = str(var)
    import django

    django.setup()
    return var


def _scratch_database(url: str) -> str:
    """Create an empty database on the server of ``url``; return its URL. Dropped at exit."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    name = f"shouwang_bench_{os.getpid()}_{secrets.token_hex(3)}"
    server = make_conninfo(url, dbname="postgres")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    atexit.register(drop)
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def describe_database() -> str:
    """Which database the figures are of, for the first line of a benchmark's output."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]} (scratch database {name})"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]} ({name})"


def machine_load() -> str:
    """The machine's load, printed with the figures: they are only as good as the machine was
    quiet (the ratios less so than the seconds, their two sides sharing the load)."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def analyze() -> None:
    """Fresh planner statistics (and, on PostgreSQL, a vacuumed visibility map) for the tables
    just filled, as a running database's autovacuum keeps them: nothing is timed against a
    planner that has never seen the data."""
    from django.db import connection

    command = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
    begin = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(command)
    print(f"  ({command} in {time.perf_counter() - begin:.1f} s)", flush=True)


def best_of(label: str, fn: Callable[[], Any], runs: int = 3, width: int = 52) -> tuple[float, Any]:
    """The fastest of a few runs (these machines are noisy), printed with its label."""
    best, result = float("inf"), None
    for _ in range(runs):
        begin = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - begin)
    print(f"  {label:<{width}} {best:7.2f} s", flush=True)
    return best, result
