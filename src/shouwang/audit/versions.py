"""The data's version, read off the audit log, and counts kept while it holds.

Every change is on the audit log, written in the transaction that makes it, so the newest
change entries name the state of the data: any change committed later makes a new version.
Counts that take long (a county's duty compliance, a closed day's figures) can be kept under
it and handed out again until the data changes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.core.cache import cache
from django.db import transaction

from .models import AuditAction, AuditEntry

# Entries that change nothing a count is made from.
LOOKS = (
    AuditAction.VIEW,
    AuditAction.REVEAL,
    AuditAction.EXPORT,
    AuditAction.LOGIN,
    AuditAction.LOGIN_FAILED,
    AuditAction.LOGOUT,
)
# The newest hundred changes, not the newest one: a transaction that took its entry's number
# early and commits late (an import) still changes the version when it commits.
NEWEST_CHANGES = 100

T = TypeVar("T")


def data_version() -> str:
    newest = (
        AuditEntry.objects.exclude(action__in=LOOKS)
        .order_by("-pk")
        .values_list("pk", "at")[:NEWEST_CHANGES]
    )
    return hashlib.sha256(repr(list(newest)).encode()).hexdigest()


def version_ignoring(object_types: tuple[str, ...]) -> str:
    """The data's version, blind to changes of ``object_types`` (``app.model``): counts that
    never read those tables are kept across them. Named by what they ignore rather than by what
    they read, so a change of a kind the caller did not foresee (a new table, a service that
    sets a child's column while recording another object) still makes a new version."""
    newest = (
        AuditEntry.objects.exclude(action__in=LOOKS)
        .exclude(object_type__in=object_types)
        .order_by("-pk")
        .values_list("pk", "at")[:NEWEST_CHANGES]
    )
    return hashlib.sha256(repr(list(newest)).encode()).hexdigest()


def cache_key(prefix: str, *parts: Any) -> str:
    return f"shouwang:{prefix}:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def counted(
    key: str,
    count: Callable[[], T],
    *,
    slow: float = 0.5,
    stale: int = 60,
    keep: int = 600,
    version: str | None = None,
) -> tuple[T, float | None]:
    """``count()``, or what it gave before under ``key`` when the data has not changed since.

    A count that took more than ``slow`` seconds is handed out again for ``stale`` seconds even
    while the data changes underneath (a county's compliance, recounted at most once a minute
    while caregivers record); a quick one is always counted afresh once the data changed. Returns
    the count and, when it is older than the newest change, the time (epoch seconds) it was
    made, for the page to say so. Kept only once the transaction that counted it commits.
    ``version``: the :func:`data_version` the caller read already (before anything it counts).
    """
    if version is None:
        version = data_version()  # read first: a change committed while counting is newer
    now = time.time()
    found = cache.get(key)
    if found is not None:
        kept_version, made_at, took, value = found
        if kept_version == version:
            return cast(T, value), None
        if took > slow and now - made_at < stale:
            return cast(T, value), made_at
    begin = time.perf_counter()
    value = count()
    took = time.perf_counter() - begin
    entry = (version, now, took, value)
    transaction.on_commit(lambda: cache.set(key, entry, keep))
    return value, None
