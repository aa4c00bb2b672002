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
from typing import Any, NamedTuple
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
    if SCRATCH in os.environ:
        assert var is not None, "a benchmark's own process is given its parent's directory"
    else:
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


class Took(NamedTuple):
    """How long a step took: on the wall clock, and in CPU time spent for it (this process's
    and, on a PostgreSQL server on this machine, its connection's backend's). A busy machine
    stretches the first; the second is what the step itself costs, whatever else runs."""

    wall: float
    cpu: float


def cpu_seconds() -> float:
    """CPU time spent so far by this process and, when the server runs on this machine, by the
    PostgreSQL backend serving its connection (SQLite runs inside the process)."""
    from django.db import connection

    spent = time.process_time()
    if connection.vendor != "postgresql" or not _server_is_local(connection.settings_dict):
        return spent
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat = Path(f"/proc/{pid}/stat").read_text()
    # utime and stime, the 14th and 15th fields: the 12th and 13th after "pid (name)".
    utime, stime = stat[stat.rindex(")") + 2 :].split()[11:13]
    return spent + (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


def _server_is_local(settings: dict[str, Any]) -> bool:
    host = settings.get("HOST") or ""
    return host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")


def best_of(label: str, fn: Callable[[], Any], runs: int = 3, width: int = 52) -> tuple[Took, Any]:
    """The fastest of a few runs (these machines are noisy) on the wall clock and in CPU time,
    each its own best, printed with the label."""
    wall = cpu = float("inf")
    result = None
    for _ in range(runs):
        cpu_begin, begin = cpu_seconds(), time.perf_counter()
        result = fn()
        wall = min(wall, time.perf_counter() - begin)
        cpu = min(cpu, cpu_seconds() - cpu_begin)
    print(f"  {label:<{width}} {wall:7.2f} s  (CPU {cpu:6.2f} s)", flush=True)
    return Took(wall, cpu), result


def ratio(label: str, ours: Took, base: Took, target: str, width: int = 30) -> None:
    """One ratio line: ours over the baseline on the wall clock (what the target is for) and in
    CPU time (what it would be on a quiet machine, near enough)."""
    print(
        f"{label:<{width}} {ours.wall / base.wall:5.2f}×  (target {target}; "
        f"CPU {ours.cpu / base.cpu:5.2f}×)",
        flush=True,
    )
