"""The audit log as a hash chain (issue 18; MLPS 2.0 level 3 asks for tamper-evident logs).

Each entry carries the digest of the one before it (``previous``) and its own (``digest``): a
SHA-256 of ``previous`` and the entry's content. The database already refuses to change or
delete an entry (triggers); someone who drops a trigger and edits, deletes or inserts an entry
by hand breaks the chain there, and ``shouwang audit verify`` names the first entry that no
longer fits.

Entries are chained in the order of their ids, under one lock held from the entry's making to
its transaction's end (PostgreSQL: an advisory transaction lock; SQLite: every write
transaction already holds the database's one write lock, BEGIN IMMEDIATE). So ids and the chain
agree, and an entry whose transaction rolls back leaves no link behind.

What the chain cannot show: someone with the database in hand who rewrites every entry after the
one they changed. Keeping the newest digest somewhere else (a report, a signed e-mail) closes
that; not done here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils.translation import gettext_noop

from .models import AuditAction, AuditEntry

# Any fixed number: the one advisory lock every auditing transaction takes on PostgreSQL.
LOCK_KEY = 0x5A3D_A0D1

FIELDS = (
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "org_path",
    "changes",
    "ip",
    "user_agent",
    "via",
)


def content(entry: Any) -> str:
    """The entry as the digest reads it: the same text when written and when read back."""
    values = {name: getattr(entry, name) for name in FIELDS}
    values["at"] = values["at"].astimezone(UTC).isoformat()
    # JSON as the column keeps it: dates and decimals become text, keys sorted.
    values["changes"] = json.loads(json.dumps(values["changes"], cls=DjangoJSONEncoder))
    ip = values["ip"]
    values["ip"] = AuditEntry._meta.get_field("ip").get_prep_value(ip) if ip else None
    return json.dumps(values, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)


def digest(previous: str, entry: Any) -> str:
    return hashlib.sha256(f"{previous}\n{content(entry)}".encode()).hexdigest()


def link(entries: Iterable[AuditEntry]) -> None:
    """Give new entries their place in the chain; call inside the transaction that writes them,
    just before writing them, in the order they are written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    last = AuditEntry.objects.order_by("-pk").values_list("digest", flat=True).first()
    previous = last or ""
    for entry in entries:
        entry.previous = previous
        entry.digest = previous = digest(previous, entry)


@dataclass(frozen=True)
class Verdict:
    checked: int
    broken_at: int | None = None  # the id of the first entry that does not fit
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(chunk: int = 5000) -> Verdict:
    """Walk the chain from its first entry. The first may follow a purge (its ``previous`` then
    names the last purged entry, as the purge's own entry records)."""
    previous: str | None = None
    checked = 0
    rows = AuditEntry.objects.order_by("pk").only("pk", "previous", "digest", *FIELDS)
    for entry in rows.iterator(chunk_size=chunk):
        if previous is None:
            previous = entry.previous
            if previous and not _purged_up_to(previous):
                return Verdict(checked, entry.pk, gettext_noop("the entries before it are missing"))
        if entry.previous != previous:
            reason = gettext_noop("it does not follow the entry before it")
            return Verdict(checked, entry.pk, reason)
        if digest(previous, entry) != entry.digest:
            return Verdict(checked, entry.pk, gettext_noop("its content was changed"))
        previous = entry.digest
        checked += 1
    return Verdict(checked)


def _purged_up_to(last_digest: str) -> bool:
    """A purge's own entry names the digest of the last entry it removed."""
    return AuditEntry.objects.filter(
        action=AuditAction.PURGE, changes__last_digest=last_digest
    ).exists()
