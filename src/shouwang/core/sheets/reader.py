"""Reading a spreadsheet a clerk sends, whatever it is: .xlsx (read-only, streamed), .xls, or
.csv in UTF-8 or GB18030. Every sheet comes out as rows of plain values with the row number
Excel shows."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _


class UnreadableFile(Exception):
    """Not a spreadsheet we can read: the import stops before looking at any row (exit 2)."""


Row = tuple[int, tuple[Any, ...]]


@dataclass
class Sheet:
    name: str
    rows: Iterator[Row]


def read_sheets(source: str | Path | IO[bytes], filename: str = "") -> Iterator[Sheet]:
    name = (filename or str(getattr(source, "name", source))).lower()
    readers = {".csv": _csv, ".xls": _xls, ".xlsx": _xlsx, ".xlsm": _xlsx}
    reader = readers.get(Path(name).suffix)
    if reader is None:
        raise UnreadableFile(_("Only .xlsx, .xls and .csv files can be imported."))
    with ExitStack() as stack:
        if isinstance(source, str | Path):
            try:
                data: IO[bytes] = stack.enter_context(Path(source).open("rb"))
            except OSError as exc:
                raise UnreadableFile(_("The file cannot be opened.")) from exc
        else:
            data = source
        yield from reader(data)


def _xlsx(data: IO[bytes]) -> Iterator[Sheet]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise UnreadableFile(_("The file is not a readable Excel workbook.")) from exc
    try:
        for sheet in book.worksheets:
            rows = (
                (number, tuple(row))
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
            )
            yield Sheet(sheet.title, rows)
    finally:
        book.close()


def _xls(data: IO[bytes]) -> Iterator[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data.read())
    except xlrd.XLRDError as exc:
        raise UnreadableFile(_("The file is not a readable Excel workbook.")) from exc
    for sheet in book.sheets():

        def rows(sheet: Any = sheet) -> Iterator[Row]:
            for index in range(sheet.nrows):
                values = []
                for cell in sheet.row(index):
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        values.append(xlrd.xldate_as_datetime(cell.value, book.datemode).date())
                    elif cell.ctype == xlrd.XL_CELL_EMPTY:
                        values.append(None)
                    else:
                        values.append(cell.value)
                yield index + 1, tuple(values)

        yield Sheet(sheet.name, rows())


def _csv(data: IO[bytes]) -> Iterator[Sheet]:
    raw = data.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(_("The CSV file is neither UTF-8 nor GB18030."))
    reader = csv.reader(io.StringIO(text))
    yield Sheet(
        "csv",
        (
            (n, tuple(cell if cell != "" else None for cell in row))
            for n, row in enumerate(reader, 1)
        ),
    )
