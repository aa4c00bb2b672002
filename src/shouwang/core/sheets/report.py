"""The error report: the clerk's own rows, in their own layout, with a column saying what is
wrong with each, so they fix the file they know and upload it again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext as _

from .layout import HEADER_SEARCH_ROWS, Layout
from .reader import Row, read_sheets
from .writer import write_xlsx

if TYPE_CHECKING:
    from shouwang.accounts.models import User

Messages = dict[tuple[str, int], list[str]]
FindLayout = Callable[[list[Row]], "Layout | None"]


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
    by: User | None,
    what: str,
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
        out, sheets=_sheets(source, filename, find, messages), by=by, what=what, masked=None
    )


def _sheets(
    source: str | Path | IO[bytes], filename: str, find: FindLayout, messages: Messages
) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
    """One sheet at a time, each read while the writer takes it: the file is read once more,
    not kept in memory for the rare file that has mistakes."""
    column = _("What is wrong")
    for sheet in read_sheets(source, filename):
        first = list(islice(sheet.rows, HEADER_SEARCH_ROWS))
        layout = find(first)
        last = layout.header_rows[-1] if layout else 0
        header = next((list(v) for n, v in first if n == last), [])
        headers = [*("" if h is None else str(h) for h in header), column]
        rest = chain((r for r in first if r[0] > last), sheet.rows)
        yield sheet.name, headers, _rows(sheet.name, rest, len(header), messages)


def _rows(name: str, rows: Iterator[Row], width: int, messages: Messages) -> Iterator[list[Any]]:
    for number, cells in rows:
        padded = [*cells, *[None] * (width - len(cells))]
        yield [*padded, "；".join(messages.get((name, number), []))]
