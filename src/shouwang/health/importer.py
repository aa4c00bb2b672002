"""A class's 体检 sheet, imported through the spreadsheet toolkit the ledger uses too (core.sheets:
the same reader for .xlsx / .xls / .csv, the same header finder, the same clerk's-own-rows
error report).

A class sheet lists every pupil; only the children in the archive are taken, the others are
listed as "not in the archive" so a misspelt name shows. All or nothing.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.core.fieldcrypt import lookup_hash
from shouwang.core.sheets.columns import Column, ColumnSet
from shouwang.core.sheets.layout import Layout, find_layout
from shouwang.core.sheets.reader import Row, UnreadableFile
from shouwang.core.sheets.report import write_row_report
from shouwang.core.sheets.rows import RowError, SheetCounts, tables
from shouwang.ledger import values
from shouwang.orgs.models import Org

from .models import Checkup
from .services import check_measures, measure_diff

if TYPE_CHECKING:
    from shouwang.accounts.models import User

SHEET = ColumnSet(
    (
        Column("name", "姓名", ("学生姓名", "儿童姓名"), required=True),
        Column("id_number", "身份证号", ("身份证号码", "公民身份号码", "身份证")),
        Column("gender", "性别"),
        Column("examined_on", "体检日期", ("检查日期", "检测日期", "日期")),
        Column("height_cm", "身高", ("身高cm", "身高厘米")),
        Column("weight_kg", "体重", ("体重kg", "体重公斤")),
        Column("bp", "血压", ("血压mmHg",)),
        Column("bp.systolic", "收缩压", ("高压",)),
        Column("bp.diastolic", "舒张压", ("低压",)),
        Column("vision.left", "左眼视力", ("视力左", "左眼", "左眼裸眼视力", "裸眼视力左")),
        Column("vision.right", "右眼视力", ("视力右", "右眼", "右眼裸眼视力", "裸眼视力右")),
        Column("lung_capacity_ml", "肺活量", ("肺活量ml",)),
        Column("chest_cm", "胸围", ("胸围cm",)),
        Column("ent_notes", "五官", ("五官科", "五官检查", "耳鼻喉")),
        Column("notes", "备注"),
    ),
    groups={"血压": "bp", "视力": "vision", "裸眼视力": "vision"},
    sub_headers={
        "收缩压": "systolic",
        "高压": "systolic",
        "舒张压": "diastolic",
        "低压": "diastolic",
        "左": "left",
        "左眼": "left",
        "右": "right",
        "右眼": "right",
    },
)

TENTH = Decimal("0.1")
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")


def number(value: object) -> Decimal:
    """152.5 · "152.5cm" · "１５２．５" → Decimal('152.5'); anything else is an error."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(_("%(value)s is not a number.") % {"value": value})
        return Decimal(str(value))
    raw = values.text(value).lower().replace("cm", "").replace("kg", "").replace("ml", "")
    raw = raw.strip()
    if not _NUMBER.fullmatch(raw):
        raise ValidationError(_("%(value)s is not a number.") % {"value": values.text(value)})
    try:
        return Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValidationError(_("%(value)s is not a number.") % {"value": raw}) from exc


def whole(value: object) -> int:
    n = number(value)
    if n != n.to_integral_value():
        raise ValidationError(_("%(value)s is not a whole number.") % {"value": n})
    return int(n)


def vision(value: object) -> Decimal:
    """The 5-point record (4.8), or decimal vision (0.6, 1.0) turned into it: 5 + log10(v)."""
    n = number(value)
    if Decimal("3.0") <= n <= Decimal("5.3"):
        return n.quantize(Decimal("0.1"), ROUND_HALF_UP)
    if Decimal(0) < n <= Decimal("2.0"):
        five = Decimal(5) + Decimal(str(math.log10(float(n))))
        return five.quantize(Decimal("0.1"), ROUND_HALF_UP)
    raise ValidationError(
        _("%(value)s is not a vision value (5-point 3.0–5.3, or decimal 0.1–2.0).") % {"value": n}
    )


def blood_pressure(value: object) -> tuple[int, int]:
    """ "110/70", "110／70 mmHg" → (110, 70)."""
    raw = values.text(value).lower().replace("mmhg", "").replace(" ", "")
    match = re.fullmatch(r"(\d{2,3})/(\d{2,3})", raw)
    if not match:
        raise ValidationError(_("%(value)s: write blood pressure as 110/70.") % {"value": raw})
    return int(match.group(1)), int(match.group(2))


PARSERS: dict[str, Callable[[Any], Any]] = {
    "name": values.text,
    "id_number": values.id_number,
    "gender": values.gender,
    "examined_on": values.a_date,
    "height_cm": number,
    "weight_kg": number,
    "bp": blood_pressure,
    "bp.systolic": whole,
    "bp.diastolic": whole,
    "vision.left": vision,
    "vision.right": vision,
    "lung_capacity_ml": whole,
    "chest_cm": number,
    "ent_notes": values.text,
    "notes": values.text,
}
FIELD_OF = {
    "height_cm": "height_cm",
    "weight_kg": "weight_kg",
    "bp.systolic": "systolic",
    "bp.diastolic": "diastolic",
    "vision.left": "vision_left",
    "vision.right": "vision_right",
    "lung_capacity_ml": "lung_capacity_ml",
    "chest_cm": "chest_cm",
    "ent_notes": "ent_notes",
    "notes": "notes",
    "examined_on": "examined_on",
}
HEADER_OF_FIELD = {"systolic": "bp.systolic", "diastolic": "bp.diastolic"}


@dataclass
class SheetResult(SheetCounts):
    not_in_archive: list[str] = field(default_factory=list)  # "第 12 行 王小明"


@dataclass
class _Row:
    sheet: str
    row: int
    headers: dict[str, str]
    fields: dict[str, Any]
    unreadable: set[str] = field(default_factory=set)  # cells already reported as unreadable


@dataclass
class Planned:
    result: SheetResult
    new: list[Checkup] = field(default_factory=list)
    changed: list[tuple[Checkup, dict[str, Any], dict[str, list[Any]]]] = field(
        default_factory=list
    )


def _find_header(first_rows: list[Row]) -> Layout | None:
    return find_layout(first_rows, SHEET)


def _read_rows(source: Any, filename: str, result: SheetResult) -> list[_Row]:
    rows: list[_Row] = []
    unknown: set[str] = set()
    found = False
    for table in tables(source, filename, _find_header):
        if table.layout is None:
            continue
        found = True
        unknown.update(table.layout.unknown)
        headers = table.headers
        for number_, cells in table.data():
            fields, errors = table.parse(number_, cells, PARSERS)
            result.errors.extend(errors.values())
            if "bp" in fields:
                fields["bp.systolic"], fields["bp.diastolic"] = fields.pop("bp")
                headers.setdefault("bp.systolic", headers["bp"])
                headers.setdefault("bp.diastolic", headers["bp"])
            rows.append(_Row(table.name, number_, headers, fields, set(errors)))
    if not found:
        raise UnreadableFile(_("No sheet of the file has a header naming 姓名, 身高 and 体重."))
    result.unknown_columns = sorted(unknown)
    return rows


def plan_sheet(
    *,
    source: str | Path | IO[bytes],
    filename: str,
    org: Org,
    by: User,
    examined_on: date | None = None,
    dry_run: bool = True,
) -> Planned:
    """What the sheet says and what it would change, every problem listed; nothing written."""
    result = SheetResult(file=Path(filename).name, org=org.code, dry_run=dry_run)
    planned = Planned(result)
    rows = _read_rows(source, filename, result)
    result.rows = len(rows)
    children = list(
        Child.objects.filter(
            scope_of(by).q(Area.HEALTH, Action.CHANGE), school_class__path__startswith=org.path
        )
        .select_related("school")
        # Matched by keyed hash (issue 18): no child's number, phone or address is decrypted.
        .defer("id_number", "address", "contact_phone")
    )
    by_id = {c.id_hash: c for c in children}
    by_name: dict[str, list[Child]] = defaultdict(list)
    for c in children:
        by_name[c.name].append(c)
    stored = Checkup.objects.filter(child__in=[c.pk for c in children]).select_related(
        "child__school"
    )
    if not dry_run:  # held until the import commits: the "before" of its audit stays true
        stored = stored.select_for_update(of=("self",))
    existing = {(c.child_id, c.examined_on): c for c in stored}
    seen: dict[tuple[int, date], int] = {}
    for row in rows:
        f = row.fields
        if "name" not in f:
            result.errors.append(
                RowError(
                    row.sheet, row.row, row.headers.get("name", "姓名"), _("The name is missing.")
                )
            )
            continue
        child, problem = _match(f, by_id, by_name)
        if problem:
            result.errors.append(RowError(row.sheet, row.row, "", problem))
            continue
        if child is None:
            result.not_in_archive.append(
                _("row %(row)s %(name)s") % {"row": row.row, "name": f["name"]}
            )
            continue
        on = f.get("examined_on") or examined_on
        measures = {
            FIELD_OF[k]: v.quantize(TENTH, ROUND_HALF_UP) if isinstance(v, Decimal) else v
            for k, v in f.items()
            if k in FIELD_OF and k != "examined_on"
        }
        for field_, message in check_measures(child, on, measures).items():
            key = HEADER_OF_FIELD.get(field_, field_)
            if key in row.unreadable or (key.startswith("bp.") and "bp" in row.unreadable):
                continue  # said once already: the cell could not be read
            header = row.headers.get(key, row.headers.get("examined_on", _("Examination date")))
            result.errors.append(RowError(row.sheet, row.row, header, message))
        if on is None:
            continue
        if (child.pk, on) in seen:
            result.errors.append(
                RowError(
                    row.sheet,
                    row.row,
                    "",
                    _("%(name)s is on this sheet twice for the same day (row %(other)s).")
                    % {"name": child.name, "other": seen[(child.pk, on)]},
                )
            )
            continue
        seen[(child.pk, on)] = row.row
        _plan_write(planned, child, on, measures, existing.get((child.pk, on)), by, filename)
    result.errors.sort(key=lambda e: (e.sheet, e.row))
    return planned


def _match(
    f: dict[str, Any], by_id: dict[str, Child], by_name: dict[str, list[Child]]
) -> tuple[Child | None, str]:
    """The row's child: by ID number (``by_id`` is keyed by its hash) or by a unique name."""
    name = f["name"]
    if f.get("id_number"):
        child = by_id.get(lookup_hash(f["id_number"]))
        if child is not None and child.name != name:
            return None, _("The ID number belongs to %(name)s, not to %(other)s.") % {
                "name": child.name,
                "other": name,
            }
    else:
        same = by_name.get(name, [])
        if len(same) > 1:
            return None, _(
                "%(count)s children in the archive are called %(name)s: add the ID number."
            ) % {"count": len(same), "name": name}
        child = same[0] if same else None
    if child is not None and f.get("gender") and f["gender"] != child.gender:
        return None, _("The gender disagrees with %(name)s's archive.") % {"name": name}
    return child, ""


def _plan_write(
    planned: Planned,
    child: Child,
    on: date,
    measures: dict[str, Any],
    current: Checkup | None,
    by: User,
    filename: str,
) -> None:
    if current is None:
        planned.result.created += 1
        planned.new.append(
            Checkup(
                child=child, examined_on=on, by=by, source=Path(filename).name[:120], **measures
            )
        )
        return
    diff = measure_diff(current, measures)
    if diff:
        planned.result.updated += 1
        planned.changed.append((current, measures, diff))
    else:
        planned.result.unchanged += 1


def import_sheet(
    *,
    source: str | Path | IO[bytes],
    filename: str,
    org: Org,
    by: User,
    examined_on: date | None = None,
    dry_run: bool = True,
) -> SheetResult:
    with transaction.atomic():
        planned = plan_sheet(
            source=source,
            filename=filename,
            org=org,
            by=by,
            examined_on=examined_on,
            dry_run=dry_run,
        )
        if dry_run or planned.result.errors:
            return planned.result
        created = Checkup.objects.bulk_create(planned.new)
        entries = [
            {
                "action": AuditAction.IMPORT,
                "obj": c,
                "changes": {"file": planned.result.file, "examined_on": str(c.examined_on)},
                "org_path": c.child.school.path,
            }
            for c in created
        ]
        for checkup, measures, diff in planned.changed:
            for name in diff:
                setattr(checkup, name, measures[name])
            checkup.source = planned.result.file[:120]
            checkup.save()
            entries.append(
                {
                    "action": AuditAction.UPDATE,
                    "obj": checkup,
                    "changes": {"file": planned.result.file, **diff},
                    "org_path": checkup.child.school.path,
                }
            )
        audit.record_many(entries, actor=by)
    planned.result.applied = True
    return planned.result


def write_errors(
    *, source: str | Path | IO[bytes], filename: str, result: SheetResult, out: Any, by: User
) -> int:
    return write_row_report(
        source=source,
        filename=filename,
        errors=result.errors,
        find=_find_header,
        out=out,
        by=by,
        what=_("Check-up sheet error report: %(file)s") % {"file": result.file},
    )
