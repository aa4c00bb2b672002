"""The one way to write the audit log (``from shouwang.audit import services as audit``).

Services call :func:`record` inside their own transaction, so the entry and the change commit or
roll back together. Where the request came from is set once per request by the middleware (or
by the command line), so services never need the request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.bulk import insert_many

from . import chain, reads, triggers
from .masking import stored_changes
from .models import AuditAction, AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser as User


@dataclass(frozen=True)
class RequestOrigin:
    ip: str | None = None
    user_agent: str = ""
    via: str = "cli"


# A frozen dataclass, so sharing the default is safe; outside a request the origin is the CLI.
_origin: ContextVar[RequestOrigin] = ContextVar("audit_origin", default=RequestOrigin())  # noqa: B039


@contextmanager
def origin_scope(origin: RequestOrigin) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def current_origin() -> RequestOrigin:
    return _origin.get()


def _org_path_of(obj: models.Model | None) -> str:
    if obj is None:
        return ""
    for attr in ("path", "org_path"):
        value = getattr(obj, attr, None)
        if isinstance(value, str):
            return value
    org = getattr(obj, "org", None)
    return getattr(org, "path", "") or ""


class Entry(TypedDict, total=False):
    """What an entry says: who (``actor``, required) did what (``action``, required) to which
    object, the changes, and where from (the request's origin unless given)."""

    actor: Required[User | None]
    action: Required[str]
    obj: models.Model | None
    changes: Mapping[str, Any] | None
    actor_name: str
    object_repr: str
    org_path: str
    origin: RequestOrigin | None


def _entry(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    actor_name: str = "",
    object_repr: str = "",
    org_path: str = "",
    origin: RequestOrigin | None = None,
) -> AuditEntry:
    origin = origin or current_origin()
    return AuditEntry(
        actor_id=actor.pk if actor is not None else None,
        actor_name=(actor_name or (actor.get_username() if actor is not None else ""))[:150],
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        org_path=org_path or _org_path_of(obj),
        changes=stored_changes(changes or {}),
        ip=origin.ip,
        user_agent=origin.user_agent,
        via=origin.via,
    )


def record(**kwargs: Unpack[Entry]) -> AuditEntry:
    """One entry, written now: in the caller's transaction, so it commits or rolls back with the
    change it records."""
    entry = _entry(**kwargs)
    with transaction.atomic():  # the chain's lock lasts to the end of the caller's transaction
        chain.link([entry])
        entry.save()
    return entry


def record_read(**kwargs: Unpack[Entry]) -> None:
    """A look at personal data that changed nothing (a child's page, an API read): kept in this
    process's read log and written in batches (``audit.reads``), so a plain page view does not
    write to the database. Searches by ID number are not reads of this kind: they are counted
    against an hourly limit and use :func:`record`."""
    reads.add(_entry(**kwargs))


def record_export(
    *, by: User | None, what: str, org_path: str, rows: int, masked: list[str], serial: str = ""
) -> AuditEntry:
    """An Excel file handed out (core.sheets.writer): who, what, how many rows, what masked,
    and the serial its watermark carries (a copy found elsewhere leads back to this entry)."""
    changes: dict[str, Any] = {"rows": rows, "masked": masked}
    if serial:
        changes["serial"] = serial
    return record(
        actor=by,
        action=AuditAction.EXPORT,
        object_repr=what,
        org_path=org_path,
        changes=changes,
    )


def record_many(entries: list[dict[str, Any]], *, actor: User | None) -> int:
    """Many entries in one statement (a ledger import writes one per child)."""
    origin = current_origin()
    name = actor.get_username() if actor is not None else ""
    rows = [
        AuditEntry(
            actor_id=actor.pk if actor is not None else None,
            actor_name=name,
            action=entry["action"],
            object_type=entry["obj"]._meta.label_lower,
            object_id=str(entry["obj"].pk),
            object_repr=str(entry["obj"])[:200],
            org_path=entry.get("org_path", ""),
            changes=stored_changes(entry.get("changes", {})),
            ip=origin.ip,
            user_agent=origin.user_agent,
            via=origin.via,
        )
        for entry in entries
    ]
    with transaction.atomic():
        chain.link(rows)
        return insert_many(AuditEntry, rows)


def field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], *, secret: frozenset[str] = frozenset()
) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields that differ; secret fields say only that they did."""
    changed: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            changed[name] = ["***", "***"] if name in secret else [_plain(old), _plain(new)]
    return changed


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def purge(*, before: date, by: User | None = None) -> int:
    """Remove the entries made before ``before``, which must lie six months or more in the past
    (the database refuses younger ones whatever asks). The purge is an entry of its own, naming
    the digest of the last entry it removed: where the chain now starts (audit.chain.verify)."""
    today = timezone.localdate()
    if before > _months_before(today, triggers.KEPT_MONTHS):
        raise ValidationError(
            _("Audit entries are kept six months: entries before %(day)s cannot be removed yet.")
            % {"day": before.isoformat()}
        )
    cutoff = timezone.make_aware(datetime.combine(before, time.min))
    with transaction.atomic():
        chain.link([])  # the chain's lock: no entry is written meanwhile
        doomed = AuditEntry.objects.filter(at__lt=cutoff)
        last = doomed.order_by("-pk").values_list("pk", "digest").first()
        if last is None:
            return 0
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(AuditEntry._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [last[0]])  # noqa: S608
            removed = cursor.rowcount
        record(
            actor=by,
            action=AuditAction.PURGE,
            object_repr=_("Audit log"),
            changes={"before": before.isoformat(), "removed": removed, "last_digest": last[1]},
        )
    return removed


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))
