"""Importing a 台账: read, understand, validate every row, then apply all of it or nothing.

The rows are checked with the archive's own rules (``Child.clean``, ``Guardian.clean``, the
validators and the definition profile's age limit), and written in bulk: a county's 50,000 rows
must not cost a query each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import (
    IN_REGISTER,
    Assessment,
    AssessmentKind,
    Child,
    ChildStatus,
    DuplicateCase,
    Guardian,
    Parent,
    ParentRelation,
    ReviewState,
    StatusChange,
    initials_of,
)
from shouwang.children.profiles import age_limit_exceeded, profile_for
from shouwang.children.selectors import children_visible_to
from shouwang.children.services import (
    archive_field,
    held_for_review,
    queue_imported_reviews,
    reclassify_guardian,
)
from shouwang.children.types import guardian_class, left_behind_type
from shouwang.core.bulk import insert_many, update_many
from shouwang.core.fieldcrypt import lookup_hash
from shouwang.core.sheets.reader import EncodingUnsure, UnreadableFile
from shouwang.core.sheets.rows import RowError, SheetCounts, is_blank, tables
from shouwang.core.validators import check_id_agrees, parse_id_number
from shouwang.orgs.models import Org, OrgKind

from . import values
from .classes import ClassIndex, NewClass
from .columns import BY_KEY, find_layout, normalise_header
from .layouts import headers_known_for

if TYPE_CHECKING:
    from shouwang.accounts.models import User

PARSERS: dict[str, Callable[[Any], Any]] = {
    "name": values.text,
    "gender": values.gender,
    "ethnicity": values.text,
    "birth_date": values.a_date,
    "id_number": values.id_number,
    "boarding": values.boarding,
    "address": values.text,
    "health": values.text,
    "personality": values.text,
    "hobbies": values.text,
    "note": values.text,
    "school": values.text,
    "grade": values.text,
    "school_class": values.text,
    "father.name": values.text,
    "father.phone": values.phone,
    "father.status": values.parent_status,
    "father.work_place": values.text,
    "father.away_since": values.month_or_date,
    "mother.name": values.text,
    "mother.phone": values.phone,
    "mother.status": values.parent_status,
    "mother.work_place": values.text,
    "mother.away_since": values.month_or_date,
    "guardian.name": values.text,
    "guardian.relation": values.relation,
    "guardian.age": values.age,
    "guardian.phone": values.phone,
    "guardian.health": values.text,
    "home_village": values.text,
}
CHILD_KEYS = [
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "boarding",
    "address",
    "health",
    "personality",
    "hobbies",
    "note",
]
PARENT_KEYS = ["name", "phone", "status", "work_place", "away_since"]
GUARDIAN_KEYS = ["name", "relation", "age", "phone", "health"]
APPLY_CHUNK = 2000
NAMED_NOT_IN_FILE = 200
PLACEMENT = frozenset({"school", "grade", "school_class"})


@dataclass
class ImportResult(SheetCounts):
    not_in_file: int = 0
    # "年级 班级" of the classes the file names that the school lacked (interfaces.md), and how
    # many grades are new with them: made when the import applies.
    classes_created: list[str] = field(default_factory=list)
    grades_created: int = 0
    # 审核: the new and changed archives that wait for the level above before they count
    # (said on the page and by the command; not a key of --json, whose shape interfaces.md fixes).
    waiting_for_review: int = 0

    def as_json(self) -> dict[str, Any]:
        data = super().as_json()
        data.pop("waiting_for_review")
        return data


@dataclass(slots=True)
class LedgerRow:
    sheet: str
    row: int
    headers: dict[str, str]
    fields: dict[str, Any]
    school: Org | None = None
    school_class: Org | None = None
    new_class: NewClass | None = None
    home_village: Org | None = None


@dataclass
class Plan:
    result: ImportResult
    # Where the rows came from: the error report reads the file again rather than keeping a
    # county's 50,000 raw rows in memory for the rare file that has mistakes.
    source: str | Path | IO[bytes]
    filename: str
    mapping: dict[str, str] | None
    encoding: str | None = None  # a CSV's, as the user chose it
    rows: list[LedgerRow] = field(default_factory=list)
    classes: ClassIndex | None = None
    new: list[LedgerRow] = field(default_factory=list)
    # Children of the unit the file does not name (kept), the first of them by name; and once
    # applied, the keys of the children it added (the next steps are theirs).
    not_in_file: list[tuple[int, str]] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    changed: list[tuple[Child, LedgerRow, dict[str, Any]]] = field(default_factory=list)


def read_plan(
    *,
    source: str | Path | IO[bytes],
    filename: str,
    org: Org,
    by: User | None,
    dry_run: bool,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    encoding: str | None = None,
) -> Plan:
    """Everything but the writing: what the file says, what is wrong, what would change."""
    plan = Plan(
        ImportResult(file=Path(filename).name, org=org.code, dry_run=dry_run),
        source=source,
        filename=filename,
        mapping=mapping,
        encoding=encoding,
    )
    result = plan.result
    unknown: set[str] = set()
    found_header = False
    find = lambda first: find_layout(first, mapping)  # noqa: E731
    for table in tables(source, filename, find, encoding=encoding):
        if table.layout is None:
            if any(not is_blank(v) for _n, v in table.rows):
                result.errors.append(RowError(table.name, 1, "", _("No header row was found.")))
            continue
        found_header = True
        unknown.update(table.layout.unknown)
        for number, cells in table.data():
            fields, errors = table.parse(number, cells, PARSERS)
            plan.rows.append(LedgerRow(table.name, number, table.headers, fields))
            result.errors.extend(errors.values())
            if progress and len(plan.rows) % 1000 == 0:
                progress(len(plan.rows))
    if not found_header:
        raise UnreadableFile(
            _("No sheet of the file has a header row naming the ledger's columns.")
        )
    result.rows = len(plan.rows)
    result.unknown_columns = sorted(unknown)
    _check_rows(plan, org=org, by=by)
    result.errors.sort(key=lambda e: (e.sheet, e.row))
    if not result.errors:
        _compare(plan, org=org, by=by)
    return plan


def _check_rows(plan: Plan, *, org: Org, by: User | None) -> None:
    """The archive's own rules, row by row, plus what only a whole file can show."""
    index = ClassIndex(org)
    villages = VillageIndex(org)
    today = timezone.localdate()
    profiles: dict[int, Any] = {}
    errors = plan.result.errors
    # A cell that could not be read is reported once, not again as missing.
    unreadable = {(e.sheet, e.row, e.column) for e in errors}
    seen: dict[str, LedgerRow] = {}
    for row in plan.rows:
        f, h = row.fields, row.headers

        def error(key: str, message: str, row: LedgerRow = row) -> None:
            errors.append(
                RowError(row.sheet, row.row, row.headers.get(key, BY_KEY[key].header), message)
            )

        for key in ("name", "id_number"):
            header = h.get(key, BY_KEY[key].header)
            if not f.get(key) and (row.sheet, row.row, header) not in unreadable:
                error(key, _("This field is required."))
        number = f.get("id_number")
        if number:
            try:
                info = parse_id_number(number)
            except ValidationError as exc:
                error("id_number", " ".join(exc.messages))
            else:
                f.setdefault("gender", info.gender)
                f.setdefault("birth_date", info.birth_date)
                for key, message in check_id_agrees(
                    info=info, birth_date=f.get("birth_date"), gender=f.get("gender")
                ).items():
                    error(key, message)
            if number in seen:
                other = seen[number]
                error(
                    "id_number",
                    _("The same ID number as row %(row)s of %(sheet)s.")
                    % {"row": other.row, "sheet": other.sheet},
                )
                errors.append(
                    RowError(
                        other.sheet,
                        other.row,
                        h.get("id_number", "身份证号"),
                        _("The same ID number as row %(row)s of %(sheet)s.")
                        % {"row": row.row, "sheet": row.sheet},
                    )
                )
            else:
                seen[number] = row
        school = index.school(f.get("school", ""))
        if school is None:
            error(
                "school",
                _("No school %(name)s in %(org)s.")
                % {"name": f.get("school", ""), "org": org.name},
            )
        else:
            row.school = school
            if f.get("school_class") or f.get("grade"):
                # A class the school lacks is made with the import (a school new to Shouwang
                # imports its ledger first); only cells that name no class are an error.
                found = index.plan_class(school, f.get("grade", ""), f.get("school_class", ""))
                if isinstance(found, NewClass):
                    row.new_class = found
                else:
                    row.school_class = found
                if found is None:
                    error(
                        "school_class",
                        _("No class %(grade)s %(klass)s in %(school)s.")
                        % {
                            "grade": f.get("grade", ""),
                            "klass": f.get("school_class", ""),
                            "school": school.name,
                        },
                    )
            if f.get("birth_date"):
                profile = profiles.get(school.pk) or profile_for(school, today)
                profiles[school.pk] = profile
                if age_limit_exceeded(f["birth_date"], profile, today):
                    error(
                        "birth_date",
                        _("Over the age limit of %(profile)s.") % {"profile": profile.name},
                    )
        guardian = Guardian(**_part(f, "guardian", GUARDIAN_KEYS))
        try:
            guardian.clean()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                error(f"guardian.{key}", " ".join(messages))
        _check_fields(row, error)
        if f.get("home_village"):
            row.home_village = villages.find(f["home_village"], error)
    planned = sorted(index.planned.values())
    plan.result.classes_created = [new.label for new in planned]
    plan.result.grades_created = len(index.grades_to_make())
    plan.classes = index
    if by is not None and plan.rows:
        _check_scope(plan, by=by)


# The archive's own field rules (lengths, choices, blank) for every column the importer writes:
# the same checks the pages' forms run, so a row the database would refuse is a row error in
# the preview, not a failure at apply (PostgreSQL enforces lengths; SQLite does not).
FIELD_RULES = {
    key: archive_field(key)
    for key in [
        *CHILD_KEYS,
        *(f"{who}.{k}" for who in ("father", "mother") for k in PARENT_KEYS),
        *(f"guardian.{k}" for k in GUARDIAN_KEYS),
    ]
}


def _check_fields(row: LedgerRow, error: Callable[[str, str], None]) -> None:
    for key, value in row.fields.items():
        rule = FIELD_RULES.get(key)
        if rule is None or value is None:
            continue
        try:
            rule.clean(value, None)
        except ValidationError as exc:
            error(key, " ".join(exc.messages))


class VillageIndex:
    """The villages (村、社区) of the unit's county, found by what clerks write: 李湾, 李湾村 and
    李湾村民委员会 are one village."""

    SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "委员会", "社区", "村")

    def __init__(self, org: Org) -> None:
        county = (
            org
            if org.kind == OrgKind.COUNTY
            else Org.objects.get_ancestors(org).filter(kind=OrgKind.COUNTY).first()
        )
        self.area = county or org
        self.by_name: dict[str, list[Org]] = {}
        villages = Org.objects.filter(
            path__startswith=self.area.path, kind=OrgKind.VILLAGE, is_active=True
        ).order_by("path")
        for village in villages:
            self.by_name.setdefault(self.key(village.name), []).append(village)

    @classmethod
    def key(cls, name: str) -> str:
        value = normalise_header(name)
        stripped = True
        while stripped:
            stripped = False
            for suffix in cls.SUFFIXES:
                if value.endswith(suffix) and len(value) > len(suffix):
                    value, stripped = value[: -len(suffix)], True
        return value

    def find(self, name: str, error: Callable[[str, str], None]) -> Org | None:
        found = self.by_name.get(self.key(name), [])
        if len(found) == 1:
            return found[0]
        if found:
            error(
                "home_village",
                _(
                    "%(name)s names %(n)s villages of %(area)s; write the village as the county "
                    "names it."
                )
                % {"name": name, "n": len(found), "area": self.area.name},
            )
        else:
            error(
                "home_village",
                _("No village or community %(name)s in %(area)s.")
                % {"name": name, "area": self.area.name},
            )
        return None


def _check_scope(plan: Plan, *, by: User) -> None:
    """Rows for a school the user may not change are errors, like any other."""
    from shouwang.accounts.scope import scope_of

    scope = scope_of(by)
    for row in plan.rows:
        if row.school is not None and not scope.manages(row.school):
            plan.result.errors.append(
                RowError(
                    row.sheet,
                    row.row,
                    row.headers.get("school", "学校"),
                    _("%(school)s is outside what you may change.") % {"school": row.school.name},
                )
            )


def _part(fields_: dict[str, Any], prefix: str, keys: list[str]) -> dict[str, Any]:
    return {k: fields_[f"{prefix}.{k}"] for k in keys if f"{prefix}.{k}" in fields_}


def _snapshots(rows: list[LedgerRow], scoped: Any) -> dict[str, dict[str, Any]]:
    """The archive of these rows' children as plain values, keyed by ID number: three queries,
    no model object per child (a re-import of a county must stay cheap)."""
    hashes = [lookup_hash(row.fields["id_number"]) for row in rows]
    found: dict[str, dict[str, Any]] = {}
    by_pk: dict[int, dict[str, Any]] = {}
    for values_ in scoped.filter(id_hash__in=hashes).values(
        "pk", "school_id", "school_class_id", "home_village_id", *CHILD_KEYS
    ):
        snapshot = {k: values_[k] for k in CHILD_KEYS}
        snapshot |= {
            "pk": values_["pk"],
            "school": values_["school_id"],
            "school_class": values_["school_class_id"],
            "home_village": values_["home_village_id"],
        }
        by_pk[values_["pk"]] = snapshot
        found[values_["id_number"]] = snapshot
    for parent in Parent.objects.filter(child__in=list(by_pk)).values(
        "child_id", "relation", *PARENT_KEYS
    ):
        for key in PARENT_KEYS:
            by_pk[parent["child_id"]][f"{parent['relation']}.{key}"] = parent[key]
    for guardian in Guardian.objects.filter(child__in=list(by_pk)).values(
        "child_id", *GUARDIAN_KEYS
    ):
        for key in GUARDIAN_KEYS:
            by_pk[guardian["child_id"]][f"guardian.{key}"] = guardian[key]
    return found


def _compare(plan: Plan, *, org: Org, by: User | None) -> None:
    base = children_visible_to(by) if by is not None else Child.objects.all()
    scoped = base.filter(school__path__startswith=org.path).exclude(status=ChildStatus.MERGED)
    result = plan.result
    changed: list[tuple[int, LedgerRow, dict[str, Any]]] = []
    # A chunk at a time, so only a chunk's snapshots are ever held.
    for start in range(0, len(plan.rows), APPLY_CHUNK):
        chunk = plan.rows[start : start + APPLY_CHUNK]
        existing = _snapshots(chunk, scoped)
        for row in chunk:
            snapshot = existing.get(row.fields["id_number"])
            if snapshot is None:
                plan.new.append(row)
                continue
            changes = _differences(snapshot, row)
            if changes:
                changed.append((snapshot["pk"], row, changes))
            else:
                result.unchanged += 1
    if changed:
        children = (
            Child.objects.filter(pk__in=[pk for pk, _r, _c in changed])
            .select_related("guardian")
            .prefetch_related("parents")
            .in_bulk()
        )
        plan.changed = [(children[pk], row, changes) for pk, row, changes in changed]
    result.created, result.updated = len(plan.new), len(plan.changed)
    # By keyed hash: the unit's numbers are compared without decrypting each (issue 18).
    in_file = {lookup_hash(row.fields["id_number"]) for row in plan.rows}
    in_org = base.filter(school__path__startswith=org.path, status__in=IN_REGISTER)
    missing = [
        (pk, name)
        for id_hash, pk, name in in_org.order_by("school__path", "school_class__path", "name")
        .values_list("id_hash", "pk", "name")
        .iterator(chunk_size=5000)
        if id_hash not in in_file
    ]
    result.not_in_file = len(missing)
    plan.not_in_file = missing[:NAMED_NOT_IN_FILE]


def _differences(snapshot: dict[str, Any], row: LedgerRow) -> dict[str, list[Any]]:
    """What the file says differently from the archive; an empty cell says nothing."""
    changes: dict[str, list[Any]] = {}
    for key, value in row.fields.items():
        if key in PLACEMENT or key == "home_village":
            continue  # compared below, as the org nodes they name
        if key in snapshot and snapshot[key] != value:
            changes[key] = [snapshot[key], value]
        elif "." in key and key not in snapshot:
            changes[key] = [None, value]  # a parent or guardian the archive lacks
    placed = (
        ("school", row.school),
        ("school_class", row.school_class),
        ("home_village", row.home_village),
    )
    for key, org_ in placed:
        if org_ is not None and snapshot[key] != org_.pk:
            changes[key] = [snapshot[key], org_.pk]
    if row.new_class is not None:
        changes["school_class"] = [snapshot["school_class"], row.new_class.label]
    return changes


SHOWN_ERRORS = 200


def reading_state(read: Callable[[], Plan]) -> dict[str, Any]:
    """What reading a staged file found, as kept beside it (uploads.save_state): the dry run's
    summary, or the question of its encoding, or why it cannot be read."""
    try:
        plan = read()
    except EncodingUnsure as exc:
        return {"state": "ask", "message": str(exc), "candidates": list(exc.candidates)}
    except UnreadableFile as exc:
        return {"state": "unreadable", "message": str(exc)}
    return summary(plan)


def summary(plan: Plan) -> dict[str, Any]:
    """What the preview shows of a dry run, as plain values: kept beside the upload, so the page
    is drawn again from it rather than from the file (uploads.save_state)."""
    result = plan.result
    first = plan.rows[:5]
    return {
        "state": "done",
        "result": {
            **result.as_json(),
            "errors": [vars(e) for e in result.errors[:SHOWN_ERRORS]],
        },
        "error_count": len(result.errors),
        "columns": [(h, k) for row in first[:1] for k, h in row.headers.items()],
        "first_rows": [
            {"sheet": r.sheet, "row": r.row, "fields": {k: str(v) for k, v in r.fields.items()}}
            for r in first
        ],
        "not_in_file": plan.not_in_file,
    }


def mapping_for(org: Org) -> dict[str, str]:
    """The header words of the regions' ledger layouts above this unit (a ledger exported in
    the county's layout reads back as written), then those taught by this unit and the units
    above it (normalised → column)."""
    from .columns import normalise_header
    from .models import ColumnMapping

    chain = [*Org.objects.get_ancestors(org), org]
    rows = ColumnMapping.objects.filter(org__in=chain).order_by("org__depth")
    return headers_known_for(org) | {normalise_header(m.header): m.column for m in rows}


@transaction.atomic
def teach_column(*, org: Org, header: str, column: str, by: User | None) -> None:
    from .columns import BY_KEY
    from .models import ColumnMapping

    if column not in BY_KEY:
        raise ValidationError({"column": _("Unknown column.")})
    mapping, _created = ColumnMapping.objects.update_or_create(
        org=org, header=header.strip(), defaults={"column": column}
    )
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=mapping,
        org_path=org.path,
        changes={"header": header, "column": column},
    )


def import_ledger(
    *,
    source: str | Path | IO[bytes],
    filename: str,
    org: Org,
    by: User | None,
    dry_run: bool = False,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    encoding: str | None = None,
) -> Plan:
    """Read and check the whole file; unless it is a dry run with no errors, apply all of it."""
    plan = read_plan(
        source=source,
        filename=filename,
        org=org,
        by=by,
        dry_run=dry_run,
        mapping=mapping,
        progress=progress,
        encoding=encoding,
    )
    if not plan.result.errors and not dry_run:
        _apply(plan, org=org, by=by)
        plan.result.applied = True
    return plan


@transaction.atomic
def _apply(plan: Plan, *, org: Org, by: User | None) -> None:
    today = timezone.localdate()
    source = _("imported from %(file)s by %(user)s") % {
        "file": plan.result.file,
        "user": by.get_username() if by else "shouwang import-ledger",
    }
    counties: dict[str, Org] = {}
    if plan.classes is not None and plan.classes.planned:
        made = plan.classes.create_planned(by=by)
        for row in plan.rows:
            if row.new_class is not None:
                new = row.new_class
                row.school_class = made[(new.school_path, new.grade, new.number)]

    def county_of(school: Org) -> Org:
        key = school.path[: Org.steplen * 3]
        if key not in counties:
            counties[key] = Org.objects.get_ancestors(school).get(kind=OrgKind.COUNTY)
        return counties[key]

    # New children a chunk at a time: a county's file never has 50,000 model objects alive.
    for start in range(0, len(plan.new), APPLY_CHUNK):
        _create(
            plan.new[start : start + APPLY_CHUNK],
            org=org,
            by=by,
            today=today,
            source=source,
            county_of=county_of,
            created_ids=plan.created_ids,
        )
    # 审核: where the region asks for review, the file's changes of counted archives are not
    # written but wait for the level above, as a page's edits do (a class the file created
    # is named by its id, as the archive keeps it).
    held = held_for_review(org=org, by=by, changed=[(c, ch) for c, _r, ch in plan.changed])
    for child, row, changes in plan.changed:
        if child.pk in held and row.new_class is not None and row.school_class is not None:
            changes["school_class"] = [changes["school_class"][0], row.school_class.pk]
    written = [entry for entry in plan.changed if entry[0].pk not in held]
    _update(written, by=by, today=today, source=source, county_of=county_of)
    # The file's new archives, and changes of those not yet confirmed, wait for review too.
    plan.result.waiting_for_review = queue_imported_reviews(
        org=org,
        by=by,
        created_ids=plan.created_ids,
        changed=[
            (child, changes)
            for child, _row, changes in plan.changed
            if child.pk in held or child.review_state != ReviewState.CONFIRMED
        ],
    )
    audit.record_many(
        [
            {
                "action": AuditAction.IMPORT,
                "obj": c,
                "org_path": c.school.path,
                "changes": {
                    **changes,
                    "_source": source,
                    **({"_waits": True} if c.pk in held else {}),
                },
            }
            for c, _row, changes in plan.changed
        ],
        actor=by,
    )
    audit.record(
        actor=by,
        action=AuditAction.IMPORT,
        obj=org,
        changes={
            "file": plan.result.file,
            "rows": plan.result.rows,
            "created": plan.result.created,
            "updated": plan.result.updated,
        },
    )


def _create(
    rows: list[LedgerRow],
    *,
    org: Org,
    by: User | None,
    today: date,
    source: str,
    county_of: Callable[[Org], Org],
    created_ids: list[int],
) -> None:
    new_children = []
    for row in rows:
        f = row.fields
        father = _part(f, "father", PARENT_KEYS)
        mother = _part(f, "mother", PARENT_KEYS)
        guardian = _part(f, "guardian", GUARDIAN_KEYS)
        assert row.school is not None
        child = Child(
            **{k: f[k] for k in CHILD_KEYS if k in f},
            school=row.school,
            school_class=row.school_class,
            home_village=row.home_village,
            county=county_of(row.school),
            left_behind_type=left_behind_type(
                father.get("status", "at_home"), mother.get("status", "at_home")
            ),
            guardian_class=guardian_class(guardian.get("relation")),
            name_initials=initials_of(f["name"]),
        )
        new_children.append((child, father, mother, guardian))
    # The keys come back from the database (SQLite ≥ 3.35, PostgreSQL), never looked up by ID
    # number, which a merged archive in the unit may share.
    Child.objects.bulk_create([c for c, *_ in new_children], batch_size=APPLY_CHUNK)
    created_ids.extend(c.pk for c, *_ in new_children)
    by_id = by.pk if by is not None else None
    insert_many(
        Parent,
        (
            {"child_id": c.pk, "relation": relation, **values_}
            for c, father, mother, _g in new_children
            for relation, values_ in (("father", father), ("mother", mother))
        ),
    )
    insert_many(Guardian, ({"child_id": c.pk, **g} for c, _f, _m, g in new_children if g))
    insert_many(
        StatusChange,
        (
            {
                "child_id": c.pk,
                "status": ChildStatus.ACTIVE,
                "on": today,
                "reason": source,
                "by_id": by_id,
                "to_school_id": c.school_id,
            }
            for c, *_ in new_children
        ),
    )
    insert_many(
        Assessment,
        (
            {
                "child_id": c.pk,
                "kind": AssessmentKind.GUARDIAN_CLASS,
                "value": c.guardian_class,
                "assessed_on": today,
                "by_id": by_id,
                "reasons": {"guardian_relation": g.get("relation")},
            }
            for c, _f, _m, g in new_children
            if c.guardian_class
        ),
    )
    _raise_duplicates([c for c, *_ in new_children], org=org)
    audit.record_many(
        [
            {
                "action": AuditAction.IMPORT,
                "obj": c,
                "org_path": c.school.path,
                "changes": {"_source": source},
            }
            for c, *_ in new_children
        ],
        actor=by,
    )


def _update(
    changed: list[tuple[Child, LedgerRow, dict[str, Any]]],
    *,
    by: User | None,
    today: date,
    source: str,
    county_of: Callable[[Org], Org],
) -> None:
    children, parents_new, parents_changed, guardians_new, guardians_changed = [], [], [], [], []
    moves: list[dict[str, Any]] = []
    for child, row, _changes in changed:
        f = row.fields
        for key in CHILD_KEYS:
            if key in f:
                setattr(child, key, f[key])
        if row.school is not None and row.school.pk != child.school_id:
            # A school that changed is a transfer, as on the page: both schools keep a dated
            # record, and figures of a day before the move count the child where it was.
            moves += _transfer_records(child, row.school, today=today, by=by, reason=source)
            child.school, child.county = row.school, county_of(row.school)
            child.status = ChildStatus.ACTIVE
            child.school_class = None
        if row.school_class is not None:
            child.school_class = row.school_class
        if row.home_village is not None:
            child.home_village = row.home_village
        child.name_initials = initials_of(child.name)
        existing = {p.relation: p for p in child.parents.all()}
        statuses: dict[str, str] = {}
        for relation in (ParentRelation.FATHER, ParentRelation.MOTHER):
            values_ = _part(f, str(relation), PARENT_KEYS)
            parent = existing.get(relation)
            if parent is None:
                parent = Parent(child=child, relation=relation, **values_)
                parents_new.append(parent)
            elif values_:
                for key, value in values_.items():
                    setattr(parent, key, value)
                parents_changed.append(parent)
            statuses[relation] = parent.status
        child.left_behind_type = left_behind_type(statuses["father"], statuses["mother"])
        g_values = _part(f, "guardian", GUARDIAN_KEYS)
        guardian = getattr(child, "guardian", None)
        if guardian is None and g_values:
            guardian = Guardian(child=child, **g_values)
            guardians_new.append(guardian)
        elif guardian is not None and g_values:
            for key, value in g_values.items():
                setattr(guardian, key, value)
            guardians_changed.append(guardian)
        reclassify_guardian(child, guardian, on=today, by=by)
        children.append(child)
    # (The keyed hash of the ID number is computed from the number written with it.)
    update_many(
        Child,
        children,
        [
            *CHILD_KEYS,
            "id_hash",
            "school",
            "school_class",
            "county",
            "name_initials",
            "left_behind_type",
            "guardian_class",
            "home_village",
            "status",
        ],
    )
    # In order: the "transferred" row of each move before its "active" one.
    StatusChange.objects.bulk_create([StatusChange(**move) for move in moves], batch_size=1000)
    Parent.objects.bulk_create(parents_new, batch_size=1000)
    update_many(Parent, parents_changed, PARENT_KEYS)
    Guardian.objects.bulk_create(guardians_new, batch_size=1000)
    update_many(Guardian, guardians_changed, GUARDIAN_KEYS)


def _transfer_records(
    child: Child, to_school: Org, *, today: date, by: User | None, reason: str
) -> list[dict[str, Any]]:
    """The two dated rows children.services.transfer_child writes for a move."""
    common = {
        "child_id": child.pk,
        "on": today,
        "reason": reason,
        "by_id": by.pk if by is not None else None,
        "from_school_id": child.school_id,
        "to_school_id": to_school.pk,
    }
    return [
        {**common, "status": ChildStatus.TRANSFERRED},
        {**common, "status": ChildStatus.ACTIVE},
    ]


def _raise_duplicates(children: list[Child], *, org: Org) -> None:
    """A new archive whose ID number a school outside the unit already has: one child, to
    merge (inside the unit, the same number was the same archive, updated)."""
    by_hash = {lookup_hash(c.id_number): c for c in children}
    hashes = list(by_hash)
    cases = []
    for start in range(0, len(hashes), 2000):
        others = (
            Child.objects.filter(id_hash__in=hashes[start : start + 2000])
            .exclude(school__path__startswith=org.path)
            .exclude(status=ChildStatus.MERGED)
            .only("pk", "id_number", "id_hash")
        )
        for other in others:
            mine = by_hash[other.id_hash]
            first, second = sorted([other, mine], key=lambda c: c.pk)
            cases.append(DuplicateCase(id_number=other.id_number, first=first, second=second))
    DuplicateCase.objects.bulk_create(cases, ignore_conflicts=True)
