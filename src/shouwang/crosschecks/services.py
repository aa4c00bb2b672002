"""Cross-check writes: one transaction each, audited. A match within the scope flags the child
(once per list: a flag present is not added again); a disagreement changes nothing; rows whose
child lies outside the scope are only counted. Nothing is deleted: a flag is voided."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child, ChildStatus
from shouwang.core.fieldcrypt import lookup_hash
from shouwang.core.validators import to_half_width
from shouwang.orgs.models import Org

from .models import CrossCheck, DifficultyFlag, ListKind
from .reading import ListRow, read_list

if TYPE_CHECKING:
    from shouwang.accounts.models import User

CHUNK = 500  # hashes per query (SQLite takes at most 32,766 values in a statement)


@dataclass
class Disagreement:
    sheet: str
    row: int
    message: str


@dataclass
class CheckResult:
    file: str
    org: str
    kind: str  # "list" in the JSON
    rows: int = 0
    matched: int = 0
    flags_added: int = 0
    already_flagged: int = 0
    not_in_archive: int = 0
    outside_scope: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["disagreements"] = [asdict(d) for d in self.disagreements]
        order = ["file", "org", "list", "rows", "matched", "flags_added", "already_flagged"]
        order += ["not_in_archive", "outside_scope", "disagreements"]
        data["list"] = data.pop("kind")
        return {key: data[key] for key in order}


def _same_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"[\s·•.]", "", to_half_width(s))

    return norm(a) == norm(b)


def _differences(row: ListRow, child: Child) -> str:
    said = []
    if row.name and not _same_name(row.name, child.name):
        said.append(
            _("name: the list says %(list)s, the archive %(archive)s")
            % {"list": row.name, "archive": child.name}
        )
    if row.birth_date and row.birth_date != child.birth_date:
        said.append(
            _("birth date: the list says %(list)s, the archive %(archive)s")
            % {"list": row.birth_date.isoformat(), "archive": child.birth_date.isoformat()}
        )
    return "；".join(said)


def _by_hash(children: QuerySet[Child], hashes: list[str]) -> dict[str, list[Child]]:
    found: dict[str, list[Child]] = {}
    for start in range(0, len(hashes), CHUNK):
        part = hashes[start : start + CHUNK]
        for child in children.filter(id_hash__in=part).only("pk", "name", "birth_date", "id_hash"):
            found.setdefault(child.id_hash, []).append(child)
    return found


def _archived(hashes: list[str]) -> set[str]:
    found: set[str] = set()
    archive = Child.objects.exclude(status=ChildStatus.MERGED)
    for start in range(0, len(hashes), CHUNK):
        part = hashes[start : start + CHUNK]
        found.update(archive.filter(id_hash__in=part).values_list("id_hash", flat=True))
    return found


def cross_check(
    *,
    source: str | Path | IO[bytes],
    filename: str,
    org: Org,
    list_kind: str,
    scope: QuerySet[Child],
    by: User | None,
    encoding: str | None = None,
) -> tuple[CrossCheck, CheckResult]:
    """Match the list in ``source`` against the archive: ``scope`` the children this check may
    flag (those the user may change under ``org``; the command: the children under ``org``).
    Raises ``UnreadableFile`` (nothing written) for a file that cannot be used."""
    if list_kind not in ListKind.values:
        raise ValidationError({"list_kind": _("Unknown list.")})
    read = read_list(source, filename, encoding=encoding)  # before anything is written
    return _apply(read.rows, read.unknown_columns, filename, org, list_kind, scope, by)


@transaction.atomic
def _apply(
    rows: list[ListRow],
    unknown_columns: list[str],
    filename: str,
    org: Org,
    list_kind: str,
    scope: QuerySet[Child],
    by: User | None,
) -> tuple[CrossCheck, CheckResult]:
    name = Path(filename).name[:200]
    result = CheckResult(file=name, org=org.code, kind=list_kind, rows=len(rows))
    hash_of = {r.id_number: lookup_hash(r.id_number) for r in rows if r.id_number}
    hashes = sorted(set(hash_of.values()))
    in_scope = _by_hash(scope.exclude(status=ChildStatus.MERGED), hashes)
    archived = _archived(hashes)
    flagged = set(
        DifficultyFlag.objects.filter(
            child__in=[c.pk for kids in in_scope.values() for c in kids],
            list_kind=list_kind,
            voided_at__isnull=True,
        ).values_list("child_id", flat=True)
    )
    today = timezone.localdate()
    to_flag: list[Child] = []
    for row in rows:
        if row.problem:
            result.disagreements.append(Disagreement(row.sheet, row.row, row.problem))
            continue
        key = hash_of[row.id_number]
        children = in_scope.get(key)
        if not children:
            if key in archived:
                result.outside_scope += 1  # counted, never named
            else:
                result.not_in_archive += 1
            continue
        result.matched += 1
        differences = [(c, _differences(row, c)) for c in children]
        said = [f"{c.name}：{d}" for c, d in differences if d]
        if said:
            result.disagreements.append(Disagreement(row.sheet, row.row, "；".join(said)))
            continue
        for child in children:
            if child.pk in flagged:
                result.already_flagged += 1
            else:
                flagged.add(child.pk)
                to_flag.append(child)
    check = CrossCheck(
        org=org,
        list_kind=list_kind,
        file_name=name,
        rows=result.rows,
        matched=result.matched,
        already_flagged=result.already_flagged,
        not_in_archive=result.not_in_archive,
        outside_scope=result.outside_scope,
        flags_added=len(to_flag),
        disagreements=[asdict(d) for d in result.disagreements],
        unknown_columns=unknown_columns,
        by=by,
    )
    check.full_clean()
    check.save()
    result.flags_added = len(to_flag)
    flags = []
    for child in to_flag:
        flag = DifficultyFlag(
            child=child, list_kind=list_kind, source=name, on=today, cross_check=check, by=by
        )
        flag.full_clean(exclude=["child"], validate_constraints=False)
        flags.append(flag)
    DifficultyFlag.objects.bulk_create(flags)
    audit.record(
        actor=by,
        action=AuditAction.IMPORT,
        obj=check,
        org_path=org.path,
        changes={
            "list_kind": list_kind,
            "file_name": name,
            "rows": result.rows,
            "matched": result.matched,
            "flags_added": result.flags_added,
        },
    )
    if flags:
        audit.record_many(
            [
                {
                    "action": AuditAction.CREATE,
                    "obj": flag,
                    "org_path": org.path,
                    "changes": {"child": flag.child_id, "list_kind": list_kind, "source": name},
                }
                for flag in DifficultyFlag.objects.filter(cross_check=check)
            ],
            actor=by,
        )
    return check, result


@transaction.atomic
def clear_flag(*, flag: DifficultyFlag, reason: str, by: User) -> DifficultyFlag:
    """A flag found wrong is voided (dated, with the reason); the row stays."""
    flag = (
        DifficultyFlag.objects.select_for_update().select_related("child__school").get(pk=flag.pk)
    )
    if flag.voided_at is not None:
        raise ValidationError(_("This flag was cleared already."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the flag is cleared.")})
    flag.voided_at = timezone.now()
    flag.voided_by = by
    flag.void_reason = reason.strip()
    flag.full_clean(validate_constraints=False)
    flag.save(update_fields=["voided_at", "voided_by", "void_reason"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=flag,
        org_path=flag.child.school.path,
        changes={"void_reason": flag.void_reason},
    )
    return flag
