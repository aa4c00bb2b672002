"""The read log: looks at personal data that changed nothing, written in batches.

Every child's page and API read is on the audit log (domain.md §1), but a plain page view must
not write to the database (issue 17: SQLite has one writer, and a write per view is what kept it
busy). So reads wait here, in this process, and a background thread writes them in one
statement every ``SHOUWANG_AUDIT_READS_SECONDS`` (2 s) or as soon as ``BATCH`` of them are
waiting; the process writes what is left when it exits. Each entry keeps the moment of the look
(``at`` is set when the entry is made, not when it is written).

What can be lost: the reads of the last seconds of a process killed without warning (SIGKILL,
power cut). Changes, reveals, exports and searches by ID number are never here: they are
written in the transaction of what they record.

``SHOUWANG_AUDIT_READS_SECONDS = 0`` starts no thread (the tests): reads are written when
:func:`flush` is called.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from django.conf import settings
from django.db import connection, transaction

from shouwang.core.bulk import insert_many

from . import chain
from .models import AuditEntry

log = logging.getLogger(__name__)

BATCH = 200

_lock = threading.Lock()
_waiting: list[AuditEntry] = []
_wake = threading.Event()
_writer_pid: int | None = None  # the process whose writer thread runs (a fork starts its own)


def _seconds() -> float:
    return float(settings.SHOUWANG_AUDIT_READS_SECONDS)


def add(entry: AuditEntry) -> None:
    with _lock:
        _waiting.append(entry)
        full = len(_waiting) >= BATCH
    if _seconds() > 0:
        _start_writer()
        if full:
            _wake.set()


def waiting() -> int:
    with _lock:
        return len(_waiting)


def flush() -> int:
    """Write every read waiting in this process; the number written. When the database refuses,
    the reads wait for the next try (and the error is logged), so none is dropped."""
    with _lock:
        batch = _waiting[:]
        del _waiting[:]
    if not batch:
        return 0
    try:
        with transaction.atomic():
            chain.link(batch)
            insert_many(AuditEntry, batch)
    except Exception:
        log.exception("audit: %d reads could not be written; kept for the next try", len(batch))
        with _lock:
            _waiting[:0] = batch
        return 0
    return len(batch)


def discard() -> None:
    """Forget the waiting reads (between tests, whose database rolls back)."""
    with _lock:
        del _waiting[:]


def _start_writer() -> None:
    global _writer_pid
    if _writer_pid == os.getpid():
        return
    with _lock:
        if _writer_pid == os.getpid():
            return
        _writer_pid = os.getpid()
    threading.Thread(target=_write_forever, name="audit-reads", daemon=True).start()


def _write_forever() -> None:
    global _writer_pid
    while (seconds := _seconds()) > 0:
        _wake.wait(seconds)
        _wake.clear()
        if _seconds() > 0:  # switched off meanwhile (a test's settings ended): leave it waiting
            flush()
            connection.close()  # this thread's own connection; a new one next time
    with _lock:
        _writer_pid = None


atexit.register(flush)
