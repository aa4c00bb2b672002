"""A sheet's rows under its header, their cells read by an app's own parsers, what is wrong with
them, and the counts every importer reports. The ledger and the check-up sheet read their files
through this one loop; each brings its column set and parsers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError

from .layout import HEADER_SEARCH_ROWS, Layout
from .reader import Row, read_sheets

FindLayout = Callable[[list[Row]], "Layout | None"]
Parsers = dict[str, Callable[[Any], Any]]  # column key → the cell's value, or ValidationError
TOTAL_WORDS = ("合计", "总计", "小计", "共计")


@dataclass
class RowError:
    sheet: str
    row: int  # as Excel shows it
    column: str  # the header as the clerk wrote it; "" for the whole row
    message: str


@dataclass
class SheetCounts:
    """What importing a sheet did or would do: the counts every importer reports."""

    file: str
    org: str
    dry_run: bool
    applied: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [asdict(e) for e in self.errors]
        return data


def is_blank(values: tuple[Any, ...]) -> bool:
    return all(v is None or str(v).strip() == "" for v in values)


def is_total(values: tuple[Any, ...]) -> bool:
    head = [str(v).strip() for v in values[:4] if v is not None and str(v).strip()]
    return bool(head) and head[0].replace(" ", "").startswith(TOTAL_WORDS)


@dataclass
class Table:
    """One sheet of the file with its header found, or ``layout`` None where it has none."""

    name: str
    layout: Layout | None
    header: tuple[Any, ...]  # the (last) header row as written; () without a header
    rows: Iterator[Row]  # every row under the header; every row of a sheet without one
    headers: dict[str, str]  # column key → its header as written, shared by the sheet's rows

    def data(self) -> Iterator[Row]:
        """The rows that hold a child: blank rows and 合计 rows left out."""
        return ((n, v) for n, v in self.rows if not (is_blank(v) or is_total(v)))

    def parse(
        self, number: int, cells: tuple[Any, ...], parsers: Parsers
    ) -> tuple[dict[str, Any], dict[str, RowError]]:
        """The row's filled cells read by ``parsers``, and, by column key, what could not be."""
        fields: dict[str, Any] = {}
        errors: dict[str, RowError] = {}
        columns = self.layout.columns if self.layout else {}
        for j, key in columns.items():
            raw = cells[j] if j < len(cells) else None
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                fields[key] = parsers[key](raw)
            except ValidationError as exc:
                errors[key] = RowError(self.name, number, self.headers[key], " ".join(exc.messages))
        return fields, errors


def tables(
    source: str | Path | IO[bytes], filename: str, find: FindLayout, *, encoding: str | None = None
) -> Iterator[Table]:
    """Every sheet of the file, streamed: the header looked for in its first rows.
    ``encoding``: a CSV's, as the user chose it (else detected, or asked: reader)."""
    for sheet in read_sheets(source, filename, encoding=encoding):
        first = list(islice(sheet.rows, HEADER_SEARCH_ROWS))
        layout = find(first)
        last = layout.header_rows[-1] if layout else 0
        header = next((v for n, v in first if n == last), ())
        headers = {k: layout.headers[j] for j, k in layout.columns.items()} if layout else {}
        rest = chain((r for r in first if r[0] > last), sheet.rows)
        yield Table(sheet.name, layout, header, rest, headers)
