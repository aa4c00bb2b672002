"""Reading a spreadsheet a clerk sends, whatever it is: .xlsx (read-only, streamed), .xls, or
.csv in any encoding a Chinese or Japanese office writes (``encodings``). Every sheet comes out
as rows of plain values with the row number Excel shows.

Nothing here holds more of a file than a row at a time (the .xls format excepted: xlrd reads
it whole, and it is at most ``Limits.max_bytes``), and every limit of ``limits`` is checked as
soon as it can be: the file's size and an .xlsx's zip before a byte is parsed, the number of
rows before the first row is given (counted cheaply: a million-row file is refused in a
fraction of a second, not after its rows were checked), then each row's columns and cells as
they come."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import struct
import zipfile
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from . import encodings
from .limits import LIMITS, GuardedZipFile, Limits, TooLarge, UnreadableFile, inspect_zip

__all__ = ["EncodingUnsure", "Row", "Sheet", "UnreadableFile", "read_sheets"]


class EncodingUnsure(UnreadableFile):
    """A CSV whose encoding is not certain: the user chooses among ``candidates``."""

    def __init__(self, message: str, candidates: tuple[str, ...]) -> None:
        super().__init__(message)
        self.candidates = candidates


Row = tuple[int, tuple[Any, ...]]
CHUNK = 1024 * 1024
LINE_MAX = 1_000_000  # characters in one line of a CSV


@dataclass
class Sheet:
    name: str
    rows: Iterator[Row]


def read_sheets(
    source: str | Path | IO[bytes],
    filename: str = "",
    *,
    encoding: str | None = None,
    limits: Limits = LIMITS,
) -> Iterator[Sheet]:
    """The file's sheets. ``encoding``: a CSV's, as the user chose it (else detected)."""
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
        _check_size(data, limits)
        counter = _Counter(limits)
        for sheet in reader(data, limits=limits, encoding=encoding):
            yield Sheet(sheet.name, counter.rows(sheet.rows))


def _check_size(data: IO[bytes], limits: Limits) -> None:
    try:
        size = os.fstat(data.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        position = data.tell()
        size = data.seek(0, io.SEEK_END)
        data.seek(position)
    if size > limits.max_bytes:
        raise TooLarge(
            _("The file is larger than %(limit)s.")
            % {"limit": f"{limits.max_bytes / 1024 / 1024:.0f} MB"}
        )


class _Counter:
    """Rows of the whole file, and each row's filled columns and cells, as they come."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.seen = 0

    def rows(self, rows: Iterator[Row]) -> Iterator[Row]:
        limits = self.limits
        max_columns, max_cell = limits.max_columns, limits.max_cell
        for number, values in rows:
            self.seen += 1
            if self.seen > limits.max_rows:
                raise too_many_rows(limits)
            if len(values) > max_columns and any(v is not None for v in values[max_columns:]):
                raise TooLarge(
                    _("Row %(row)s has more than %(max)s columns.")
                    % {"row": number, "max": max_columns}
                )
            for value in values:
                if value.__class__ is str and len(value) > max_cell:
                    raise TooLarge(
                        _("A cell of row %(row)s is longer than %(max)s characters.")
                        % {"row": number, "max": f"{max_cell:,}"}
                    )
            yield number, values


def too_many_rows(limits: Limits) -> TooLarge:
    return TooLarge(
        _("The file has more than %(max)s rows: split it (by school, for instance).")
        % {"max": f"{limits.max_rows:,}"}
    )


# --- .xlsx ------------------------------------------------------------------------------------

ROW_TAGS = (b"<row ", b"<row>", b":row ", b":row>")


def count_xlsx_rows(archive: zipfile.ZipFile, limits: Limits = LIMITS) -> int:
    """The rows the workbook's sheets hold, counted from their XML without parsing it (a row
    tag is a row); refused once past the limit."""
    total = 0
    for info in archive.infolist():
        name = info.filename.lower()
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        with archive.open(info) as member:
            carry = b""
            while chunk := member.read(CHUNK):
                data = carry + chunk
                total += sum(data.count(tag) for tag in ROW_TAGS)
                if total > limits.max_rows:
                    raise too_many_rows(limits)
                carry = data[-4:]
                total -= sum(carry.count(tag) for tag in ROW_TAGS)
    return total


def _open_xlsx(data: IO[bytes], limits: Limits) -> Any:
    from openpyxl.reader.excel import ExcelReader

    try:
        archive = GuardedZipFile(data)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(_("The file is not a readable Excel workbook.")) from exc
    inspect_zip(archive, limits)
    count_xlsx_rows(archive, limits)

    class Reader(ExcelReader):
        """openpyxl's own reader (load_workbook's), given our guarded zip instead of its own."""

        def __init__(self) -> None:
            self.archive = archive
            self.valid_files = archive.namelist()
            self.read_only, self.keep_vba, self.data_only = True, False, True
            self.keep_links, self.rich_text = False, False
            self.shared_strings: list[Any] = []

    reader = Reader()
    try:
        reader.read()
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        archive.close()
        raise UnreadableFile(_("The file is not a readable Excel workbook.")) from exc
    return reader.wb


def _xlsx(data: IO[bytes], *, limits: Limits, encoding: str | None) -> Iterator[Sheet]:
    book = _open_xlsx(data, limits)
    try:
        if len(book.worksheets) > limits.max_sheets:
            raise TooLarge(
                _("The workbook has %(n)s sheets; at most %(max)s are read.")
                % {"n": len(book.worksheets), "max": limits.max_sheets}
            )
        for sheet in book.worksheets:
            # A declared size past the limits is not believed: rows come as the XML has them
            # rather than padded to it (the limits are then checked on what is there).
            if (sheet.max_row or 0) > limits.max_rows or (
                sheet.max_column or 0
            ) > limits.max_columns:
                sheet.reset_dimensions()
            rows = (
                (number, tuple(row))
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
            )
            yield Sheet(sheet.title, rows)
    finally:
        book.close()


# --- .xls -------------------------------------------------------------------------------------


def _xls(data: IO[bytes], *, limits: Limits, encoding: str | None) -> Iterator[Sheet]:
    import xlrd

    try:
        # on_demand: a sheet is read when asked for; the file itself is at most max_bytes.
        book = xlrd.open_workbook(file_contents=data.read(), on_demand=True)
    except xlrd.XLRDError as exc:
        raise UnreadableFile(_("The file is not a readable Excel workbook.")) from exc
    except (ValueError, IndexError, AssertionError, struct.error) as exc:
        raise UnreadableFile(_("The file is not a readable Excel workbook.")) from exc
    if book.nsheets > limits.max_sheets:
        raise TooLarge(
            _("The workbook has %(n)s sheets; at most %(max)s are read.")
            % {"n": book.nsheets, "max": limits.max_sheets}
        )
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        if sheet.nrows > limits.max_rows:
            raise too_many_rows(limits)

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
        book.unload_sheet(index)


# --- .csv -------------------------------------------------------------------------------------


def _rewind(data: IO[bytes]) -> None:
    data.seek(0)


def csv_encoding(data: IO[bytes], encoding: str | None = None) -> encodings.Detected:
    """The CSV's encoding: the user's choice, or detected from its first bytes."""
    if encoding:
        return encodings.Detected(encoding, (encoding,))
    _rewind(data)
    sample = data.read(encodings.SAMPLE + 1)
    _rewind(data)
    complete = len(sample) <= encodings.SAMPLE
    sample = sample[: encodings.SAMPLE]
    if not complete:
        cut = sample.rfind(b"\n")  # a whole number of lines: no character cut in two
        sample = sample[: cut + 1] if cut > 0 else sample
    return encodings.detect(sample, complete=complete)


def _unsure(candidates: tuple[str, ...]) -> EncodingUnsure:
    return EncodingUnsure(
        _("The encoding of this CSV file is not certain: choose the one it was saved in."),
        candidates,
    )


def count_csv_rows(data: IO[bytes], encoding: str, limits: Limits = LIMITS) -> int:
    """The lines of the file (an upper bound of its rows: a cell may hold a line break),
    counted without decoding; past the limit, the rows are counted exactly, and refused."""
    _rewind(data)
    lines, last = 0, b""
    newline = b"\n"
    if encoding.startswith("utf-16"):
        big_endian = encoding == "utf-16-be" or (
            encoding == "utf-16" and data.read(2) == codecs.BOM_UTF16_BE
        )
        newline = b"\x00\n" if big_endian else b"\n\x00"
        _rewind(data)
    while chunk := data.read(CHUNK):
        lines += chunk.count(newline)
        last = chunk
    _rewind(data)
    if last and not last.endswith(newline):
        lines += 1
    if lines > limits.max_rows:
        for count, _row in enumerate(csv.reader(_lines(data, encoding)), start=1):
            if count > limits.max_rows:
                raise too_many_rows(limits)
        _rewind(data)
    return lines


def _lines(data: IO[bytes], encoding: str) -> Generator[str, None, None]:
    """The file's lines decoded, none longer than LINE_MAX characters."""
    text = io.TextIOWrapper(data, encoding=encoding, errors="strict", newline="")
    try:
        while line := text.readline(LINE_MAX):
            if len(line) == LINE_MAX and not line.endswith(("\n", "\r")):
                raise TooLarge(
                    _("A line of the file is longer than %(max)s characters.")
                    % {"max": f"{LINE_MAX:,}"}
                )
            yield line
    finally:
        with contextlib.suppress(ValueError):  # the file was closed first
            text.detach()


def _csv(data: IO[bytes], *, limits: Limits, encoding: str | None) -> Iterator[Sheet]:
    if encoding:
        chosen = encoding
    else:
        detected = csv_encoding(data)
        if detected.encoding is None or detected.encoding not in encodings.MAINLAND:
            raise _unsure(detected.candidates)
        chosen = detected.encoding
    if not encodings.is_known(chosen):
        raise UnreadableFile(_("Unknown encoding."))
    try:
        count_csv_rows(data, chosen, limits)
    except UnicodeDecodeError as exc:
        raise _unsure(encodings.LEGACY) from exc
    yield Sheet("csv", _csv_rows(data, chosen, limits))


def _csv_rows(data: IO[bytes], encoding: str, limits: Limits) -> Iterator[Row]:
    _rewind(data)
    lines = _lines(data, encoding)
    reader = csv.reader(lines)
    try:
        for n, row in enumerate(reader, 1):
            yield n, tuple(cell if cell != "" else None for cell in row)
    except UnicodeDecodeError as exc:
        raise _unsure(encodings.LEGACY) from exc
    except csv.Error as exc:
        # The csv module's own limit on a field (131,072 characters) is past a cell's.
        raise TooLarge(
            _("A cell of row %(row)s is longer than %(max)s characters.")
            % {"row": reader.line_num, "max": f"{limits.max_cell:,}"}
        ) from exc
    finally:
        lines.close()


def precheck(
    path: str | Path, filename: str, *, encoding: str | None = None, limits: Limits = LIMITS
) -> int | None:
    """What can be told of the file in a fraction of a second, before it is read: its size, an
    .xlsx's zip, a CSV's encoding (or the question which), the number of rows (refused past
    the limits; returned, roughly, for a progress bar, None for an .xls)."""
    suffix = Path(filename).suffix.lower()
    with Path(path).open("rb") as data:
        _check_size(data, limits)
        if suffix in (".xlsx", ".xlsm"):
            try:
                archive = zipfile.ZipFile(data)
            except (zipfile.BadZipFile, ValueError) as exc:
                raise UnreadableFile(_("The file is not a readable Excel workbook.")) from exc
            with archive:
                inspect_zip(archive, limits)
                return count_xlsx_rows(archive, limits)
        if suffix == ".csv":
            if not encoding:
                detected = csv_encoding(data)
                if detected.encoding is None or detected.encoding not in encodings.MAINLAND:
                    raise _unsure(detected.candidates)
                encoding = detected.encoding
            try:
                return count_csv_rows(data, encoding, limits)
            except UnicodeDecodeError as exc:
                raise _unsure(encodings.LEGACY) from exc
    return None


def first_lines(path: str | Path, encoding: str, *, lines: int = 3) -> list[str]:
    """The file's first lines as ``encoding`` reads them (unreadable bytes shown as �): what the
    user looks at to choose the encoding."""
    with Path(path).open("rb") as data:
        sample = data.read(4096)
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    return [line[:200] for line in text.splitlines()[:lines]]


def estimate_rows(
    path: str | Path, filename: str, *, encoding: str | None = None, limits: Limits = LIMITS
) -> int | None:
    """About how many rows the file has (for a progress bar), counted without parsing; None
    when it cannot be told cheaply (an .xls, a CSV of unknown encoding, a damaged file)."""
    suffix = Path(filename).suffix.lower()
    try:
        with Path(path).open("rb") as data:
            if suffix in (".xlsx", ".xlsm"):
                with zipfile.ZipFile(data) as archive:
                    return count_xlsx_rows(archive, limits)
            if suffix == ".csv":
                chosen = encoding or csv_encoding(data).encoding
                return count_csv_rows(data, chosen, limits) if chosen else None
    except (UnreadableFile, OSError, zipfile.BadZipFile, UnicodeDecodeError, LookupError):
        return None
    return None
