"""Reading another system's list with the sheet toolkit (core.sheets): any header row among
the first rows that names at least 姓名 and 身份证号 (a list may have only those two); other
columns are ignored and reported."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shouwang.core.sheets.columns import Column, ColumnSet, normalise_header
from shouwang.core.sheets.layout import Layout
from shouwang.core.sheets.reader import Row, UnreadableFile
from shouwang.core.sheets.rows import tables
from shouwang.core.validators import parse_date_loose, parse_id_number, to_half_width

COLUMNS = ColumnSet(
    (
        Column("name", "姓名", ("儿童姓名", "学生姓名", "救助对象姓名", "成员姓名"), required=True),
        Column(
            "id_number",
            "身份证号",
            ("身份证号码", "公民身份号码", "身份证", "证件号码", "残疾证号"),
            required=True,
        ),
        Column("birth_date", "出生日期", ("出生年月", "出生年月日", "生日")),
    )
)


@dataclass
class ListRow:
    sheet: str
    row: int
    name: str
    id_number: str  # "" where the cell could not be read (``problem`` says why)
    birth_date: date | None
    problem: str = ""


@dataclass
class ReadList:
    rows: list[ListRow] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)


def find_header(first_rows: list[Row]) -> Layout | None:
    """The first row naming both 姓名 and 身份证号."""
    for number, values in first_rows:
        columns = {
            j: key for j, v in enumerate(values) if v is not None and (key := COLUMNS.column_for(v))
        }
        if {"name", "id_number"} <= set(columns.values()):
            headers = {j: str(values[j]).strip() for j in columns}
            unknown = sorted(
                {
                    str(v).strip()
                    for j, v in enumerate(values)
                    if j not in columns and v is not None and normalise_header(v)
                }
            )
            return Layout([number], columns, headers, unknown)
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", "", to_half_width(str(value)))


def _id_number(value: Any) -> str:
    raw: Any = value
    if isinstance(value, int) and not isinstance(value, bool):
        raw = str(value)
    return parse_id_number(raw).number


def read_list(
    source: str | Path | IO[bytes], filename: str, *, encoding: str | None = None
) -> ReadList:
    """Every data row of every sheet with a header; :class:`UnreadableFile` when the file is
    not a spreadsheet we read, or no sheet names the columns."""
    out = ReadList()
    unknown: set[str] = set()
    found = False
    for table in tables(source, filename, find_header, encoding=encoding):
        if table.layout is None:
            continue
        found = True
        unknown.update(table.layout.unknown)
        columns = table.layout.columns
        for number, cells in table.data():
            values = {key: cells[j] if j < len(cells) else None for j, key in columns.items()}
            problems = []
            id_number = ""
            raw_id = values.get("id_number")
            if raw_id is None or _text(raw_id) == "":
                problems.append(_("No ID number."))
            else:
                try:
                    id_number = _id_number(raw_id)
                except ValidationError as exc:
                    problems.append(
                        _("ID number: %(message)s") % {"message": " ".join(exc.messages)}
                    )
            birth: date | None = None
            raw_birth = values.get("birth_date")
            if raw_birth is not None and _text(raw_birth):
                try:
                    birth = parse_date_loose(raw_birth)
                except ValidationError as exc:
                    problems.append(
                        _("Birth date: %(message)s") % {"message": " ".join(exc.messages)}
                    )
            out.rows.append(
                ListRow(
                    table.name,
                    number,
                    _text(values.get("name")),
                    id_number,
                    birth,
                    "；".join(problems),
                )
            )
    if not found:
        raise UnreadableFile(_("No sheet of the file has a header row naming 姓名 and 身份证号."))
    out.unknown_columns = sorted(unknown)
    return out
