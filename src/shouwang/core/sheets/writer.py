"""The one writer of every Excel file Shouwang hands out (style.md habit 7).

It masks ID numbers and phones unless the caller may see them, turns any cell that Excel would
run as a formula into text — titles and headers as much as data, since a unit's or a class's
name reaches all three — streams (openpyxl write-only) so a county's ledger fits in memory, and
writes the export into the audit log with its row count. Nothing else in Shouwang makes a
workbook (tests/ledger/test_neutralise.py holds the source tree to that), so no cell can be
written around :func:`neutralise`.

It sits below the apps that export (ledger, health, stats) and imports none of them: the
maskers are core's own (core.validators), and the audit log's recorder is handed to it by the
audit app when it is ready.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill

from shouwang.core.validators import mask_id_number, mask_phone

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Every export is on the audit log, which sits above core: the audit app hands the writer
# its recorder when it is ready (audit.apps), so core imports no app.
ExportRecorder = Callable[..., object]
_recorders: list[ExportRecorder] = []


def record_exports_with(recorder: ExportRecorder) -> None:
    _recorders[:] = [recorder]


# OWASP "CSV injection": a cell starting with one of these is run by Excel as a formula (tab and
# carriage return because Excel skips them before looking for the sign).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What Excel accepts: no control characters in text, at most 32,767 characters in a cell, and a
# sheet name of 1 to 31 characters without \ / ? * [ ] :, not starting or ending with an
# apostrophe, not "History" (Excel's own), unique whatever the case.
CELL_MAX = 32_767
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # the content type
HEADING_FONT = Font(bold=True)
HEADING_FILL = PatternFill("solid", fgColor="DDEEE6")


def neutralise(value: Any) -> Any:
    """The value as Excel may safely take it: text that would start a formula is written as text
    (a leading apostrophe), control characters dropped, over-long text cut."""
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    return value[:CELL_MAX]


def sheet_name(name: Any, taken: Iterable[str] = ()) -> str:
    """A sheet name Excel opens: forbidden characters become "_", cut to 31, unique in ``taken``."""
    text = SHEET_NAME_FORBIDDEN.sub("_", ILLEGAL_CHARACTERS_RE.sub("", str(name)))
    if text.lower() == "history":
        text += "_"
    text = text[:SHEET_NAME_MAX].strip("'") or "Sheet"
    used = {t.lower() for t in taken}
    candidate, n = text, 1
    while candidate.lower() in used:
        n += 1
        suffix = f" ({n})"
        candidate = text[: SHEET_NAME_MAX - len(suffix)] + suffix
    return candidate


@dataclass(frozen=True)
class Watermark:
    """Who a file of personal data was made for, when, and its serial (issue 18): a copy that
    turns up where it should not names its source. Written as a line above the header, in the
    printed pages' header and footer, and in the document's properties; the serial is on the
    audit log's entry for the export too."""

    who: str
    at: datetime
    serial: str

    def line(self) -> str:
        return _(
            "Exported by %(who)s at %(at)s (Beijing time) · serial %(serial)s · for official "
            "use only, do not pass on"
        ) % {"who": self.who, "at": self.local_time(), "serial": self.serial}

    def local_time(self) -> str:
        """The moment as the county reads it: Asia/Shanghai, whatever the server's zone."""
        return f"{timezone.localtime(self.at, WATERMARK_ZONE):%Y-%m-%d %H:%M}"


# Chinese counties read Beijing time; the settings' TIME_ZONE may be changed for a server.
WATERMARK_ZONE = ZoneInfo("Asia/Shanghai")


def _stamp(sheet: WriteOnlyWorksheet, watermark: Watermark) -> None:
    """The printed pages' header and footer carry the watermark too (a photocopy names it)."""
    sheet.oddHeader.center.text = neutralise(watermark.line()).replace("&", "&&")
    sheet.oddFooter.right.text = f"{neutralise(watermark.serial)} &P/&N"


def _properties(book: Workbook, watermark: Watermark, what: str) -> None:
    props = book.properties
    props.creator = props.lastModifiedBy = neutralise(watermark.who)
    props.title = neutralise(what)
    props.keywords = props.identifier = watermark.serial
    props.description = neutralise(watermark.line())
    props.created = props.modified = watermark.at.astimezone(UTC).replace(tzinfo=None)
    for name, value in (
        ("serial", watermark.serial),
        ("exported_by", watermark.who),
        ("exported_at", watermark.local_time()),
    ):
        book.custom_doc_props.append(StringProperty(name=name, value=neutralise(value)))


def write_xlsx(
    out: str | Path | IO[bytes],
    *,
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    by: Any,
    what: str,
    org_path: str = "",
    masked: dict[str, str] | None = None,
    title_rows: Sequence[str] = (),
    watermark: Watermark | None = None,
) -> int:
    """Write ``sheets`` (name, headers, rows); returns the number of data rows written.

    ``masked`` maps a header to "id" or "phone": those columns are masked. Pass ``None`` only
    where the caller has established that the user may see the values in full. ``watermark``
    (exports of children's personal data): a line under the titles, the printed header and
    footer, the document's properties, and the serial on the audit entry.
    """
    masked = masked or {}
    book = Workbook(write_only=True)
    if watermark is not None:
        _properties(book, watermark, what)
    written = 0
    for name, headers, rows in sheets:
        sheet = book.create_sheet(title=sheet_name(name, book.sheetnames))
        for title in title_rows:
            _append(sheet, [title])
        if watermark is not None:
            _stamp(sheet, watermark)
            _append(sheet, [watermark.line()])
        _append(sheet, headers, heading=True)
        maskers = [
            {"id": mask_id_number, "phone": mask_phone}.get(masked.get(h, "")) for h in headers
        ]
        for row in rows:
            _append(
                sheet,
                [mask(str(v)) if mask and v else v for v, mask in zip(row, maskers, strict=False)],
            )
            written += 1
    book.save(out)
    if not _recorders:
        raise RuntimeError("exports are audited: the audit app registers the recorder")
    serial = {"serial": watermark.serial} if watermark is not None else {}
    for recorder in _recorders:
        recorder(by=by, what=what, org_path=org_path, rows=written, masked=sorted(masked), **serial)
    return written


def _append(sheet: WriteOnlyWorksheet, values: Iterable[Any], *, heading: bool = False) -> None:
    """The only way a row reaches a sheet: every value through :func:`neutralise`."""
    if not heading:
        sheet.append([neutralise(v) for v in values])
        return
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        cell.font, cell.fill = HEADING_FONT, HEADING_FILL
        cells.append(cell)
    sheet.append(cells)
