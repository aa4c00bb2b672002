"""The error report: the clerk's own rows, in their own layout, with a column saying what is
wrong with each, so they fix the file they know and upload it again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from django.utils.translation import gettext as _

from .reader import Row
from .rows import FindLayout, tables
from .writer import write_xlsx

Messages = dict[tuple[str, int], list[str]]


class HasRowErrors(Protocol):
    sheet: str
    row: int
    column: str
    message: str


def write_row_report(
    *,
    source: str | Path | IO[bytes],
    filename: str,
    errors: Iterable[HasRowErrors],
    find: FindLayout,
    out: str | Path | IO[bytes],
    by: Any,  # the person exporting (a User), or None for the command line
    what: str,
    encoding: str | None = None,
) -> int:
    """Any imported sheet's error report: its rows as sent, one more column saying what is wrong."""
    messages: Messages = defaultdict(list)
    for error in errors:
        messages[(error.sheet, error.row)].append(
            f"{error.column}：{error.message}" if error.column else error.message
        )
    if hasattr(source, "seek"):
        source.seek(0)
    # The clerk's own data goes back to the clerk who sent it: not masked.
    return write_xlsx(
        out,
        sheets=_sheets(source, filename, find, messages, encoding),
        by=by,
        what=what,
        masked=None,
    )


def _sheets(
    source: str | Path | IO[bytes],
    filename: str,
    find: FindLayout,
    messages: Messages,
    encoding: str | None = None,
) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
    """One sheet at a time, each read while the writer takes it: the file is read once more,
    not kept in memory for the rare file that has mistakes."""
    column = _("What is wrong")
    for table in tables(source, filename, find, encoding=encoding):
        headers = [*("" if h is None else str(h) for h in table.header), column]
        yield table.name, headers, _rows(table.name, table.rows, len(table.header), messages)


def _rows(name: str, rows: Iterator[Row], width: int, messages: Messages) -> Iterator[list[Any]]:
    for number, cells in rows:
        padded = [*cells, *[None] * (width - len(cells))]
        yield [*padded, "；".join(messages.get((name, number), []))]
