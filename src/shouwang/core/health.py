"""Whether the database still takes a write: what ``/healthz`` answers.

A read proves little: ``SELECT 1`` succeeds on a read-only SQLite file, a PostgreSQL standby or a
full disk, while every login fails there, since a login writes its session and its last-login
time. So the check writes one row and commits, as a login does. Rolled back, the write would not
do: SQLite keeps an uncommitted change in memory and only touches its files at COMMIT, so a
rolled-back write succeeds on a full disk (tried on a 1 MiB tmpfs, filled: the rolled-back UPDATE
passed, the committed one failed with "database or disk is full").

What a committed write catches: a read-only SQLite file or directory, a read-only PostgreSQL
(standby, ``default_transaction_read_only``), a database that is unreachable or stays locked, and
a full disk once the write needs a new block. One gap is closed by hand: in WAL mode SQLite
rewrites its log file from the start after a checkpoint, so on a full disk a small write can go on
committing into the log's old blocks until the next checkpoint or a bigger write fails (on the
same tmpfs, five more UPDATEs and INSERTs passed). Below :data:`MIN_FREE_BYTES` free on the SQLite
file's disk the answer is "full" before SQLite says so. PostgreSQL's disk is the database
server's to watch.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabase
from django.utils import timezone

from .models import Heartbeat

logger = logging.getLogger(__name__)

# A few WAL checkpoints' worth: less than this and the next checkpoint or import fails.
MIN_FREE_BYTES = 8 * 1024 * 1024


def database_problem() -> str | None:
    """``None`` when the database took a small committed write; else a short reason (logged)."""
    try:
        path = _database_file()
        if path is not None and shutil.disk_usage(path.parent).free < MIN_FREE_BYTES:
            logger.error("healthz: under %s bytes free beside %s", MIN_FREE_BYTES, path)
            return "disk full"
        Heartbeat.objects.update_or_create(pk=1, defaults={"at": timezone.now()})
    except (Error, OSError) as exc:
        logger.error("healthz: the database refuses writes: %s", exc)
        return "database refuses writes"
    return None


def _database_file() -> Path | None:
    """The SQLite file, if the database is one (not the tests' in-memory database)."""
    database = connections[DEFAULT_DB_ALIAS]
    if not isinstance(database, SQLiteDatabase) or database.is_in_memory_db():
        return None
    return Path(database.settings_dict["NAME"])
