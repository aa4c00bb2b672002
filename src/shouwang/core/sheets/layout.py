"""Finding the header of a hand-made sheet: title rows above it, one or two header rows,
merged group cells ("父亲" over 姓名 / 电话 / 务工地), columns in any order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .columns import ColumnSet, normalise_header
from .reader import Row

HEADER_SEARCH_ROWS = 10
MIN_KNOWN = 3


@dataclass
class Layout:
    header_rows: list[int]  # Excel row numbers of the header (one or two)
    columns: dict[int, str]  # cell index → column key
    headers: dict[int, str]  # cell index → the header text as written (for error reports)
    unknown: list[str] = field(default_factory=list)


def _filled(values: tuple[Any, ...]) -> list[str]:
    """Merged cells arrive as one value then blanks: carry a group label to the right."""
    out, last = [], ""
    for value in values:
        text = "" if value is None else str(value).strip()
        if text:
            last = text
        out.append(text or last)
    return out


def find_layout(
    first_rows: list[Row], column_set: ColumnSet, mapping: dict[str, str] | None = None
) -> Layout | None:
    """The header among the first rows, or None when no row names enough of ``column_set``.

    ``mapping`` is a unit's saved correction: normalised header text → column key.
    """
    mapping = mapping or {}

    def key_of(text: object) -> str | None:
        return mapping.get(normalise_header(text)) or column_set.column_for(text)

    for i, (number, values) in enumerate(first_rows):
        known = {j: key_of(v) for j, v in enumerate(values) if v is not None and key_of(v)}
        if len(known) < MIN_KNOWN:
            continue
        header_rows = [number]
        columns: dict[int, str] = {j: k for j, k in known.items() if k}
        headers = {j: str(values[j]).strip() for j in columns}
        # A second header row: sub-labels under group cells like 父亲 / 母亲 / 监护人.
        pairs: dict[int, str | None] = {}
        groups: list[str] = []
        if i + 1 < len(first_rows):
            below_number, below = first_rows[i + 1]
            groups = _filled(values)
            pairs = {
                j: column_set.column_for_pair(groups[j], v)
                for j, v in enumerate(below)
                if v is not None and j < len(groups)
            }
            pairs = {j: k for j, k in pairs.items() if k}
            singles = {j: key_of(v) for j, v in enumerate(below) if v is not None and key_of(v)}
            if pairs or (len(singles) >= 2 and len(singles) + len(pairs) >= 2):
                header_rows.append(below_number)
                for j, key in {**singles, **pairs}.items():
                    if key:
                        columns[j] = key
                        group = groups[j] if j in pairs else ""
                        headers[j] = f"{group}{str(below[j]).strip()}"
        group_labels = (
            {normalise_header(groups[j]) for j in pairs} if len(header_rows) == 2 else set()
        )
        unknown: set[str] = set()
        for _number, row in first_rows[i : i + len(header_rows)]:
            for j, value in enumerate(row):
                label = "" if value is None else str(value).strip()
                if label and j not in columns and normalise_header(label) not in group_labels:
                    unknown.add(label)
        return Layout(header_rows, columns, headers, sorted(unknown))
    return None
