"""The one writer of every Excel file Shouwang hands out (style.md habit 7).

It masks ID numbers and phones unless the caller may see them, turns any cell that Excel would
run as a formula into text, streams (openpyxl write-only) so a county's ledger fits in memory,
and writes the export into the audit log with its row count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from shouwang.accounts import audit
from shouwang.accounts.models import AuditAction
from shouwang.children.validators import mask_id_number, mask_phone

if TYPE_CHECKING:
    from shouwang.accounts.models import User

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell starting like a formula is written as text (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_xlsx(
    out: str | Path | IO[bytes],
    *,
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    by: User | None,
    what: str,
    org_path: str = "",
    masked: dict[str, str] | None = None,
    title_rows: Sequence[str] = (),
) -> int:
    """Write ``sheets`` (name, headers, rows); returns the number of data rows written.

    ``masked`` maps a header to "id" or "phone": those columns are masked. Pass ``None`` only
    where the caller has established that the user may see the values in full.
    """
    masked = masked or {}
    book = Workbook(write_only=True)
    written = 0
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEEE6")
    for name, headers, rows in sheets:
        sheet = book.create_sheet(title=name[:31])
        for title in title_rows:
            sheet.append([title])
        header_cells = []
        for text in headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font, cell.fill = bold, fill
            header_cells.append(cell)
        sheet.append(header_cells)
        maskers = [
            {"id": mask_id_number, "phone": mask_phone}.get(masked.get(h, "")) for h in headers
        ]
        for row in rows:
            sheet.append(
                [
                    neutralise(mask(str(v)) if mask and v else v)
                    for v, mask in zip(row, maskers, strict=False)
                ]
            )
            written += 1
    book.save(out)
    audit.record(
        actor=by,
        action=AuditAction.EXPORT,
        object_repr=what,
        org_path=org_path,
        changes={"rows": written, "masked": sorted(masked)},
    )
    return written
