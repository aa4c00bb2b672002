"""The error report: the clerk's own rows, in their own layout, with a column saying what is
wrong with each, so they fix the file they know and upload it again."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .exports import write_xlsx

if TYPE_CHECKING:
    from shouwang.accounts.models import User

    from .services import Plan


def write_error_report(plan: Plan, out: str | Path | IO[bytes], *, by: User | None) -> int:
    messages: dict[tuple[str, int], list[str]] = defaultdict(list)
    for error in plan.result.errors:
        messages[(error.sheet, error.row)].append(
            f"{error.column}：{error.message}" if error.column else error.message
        )
    column = _("What is wrong")
    sheets = []
    for sheet in plan.sheets:
        header = list(sheet.header[-1]) if sheet.header else []
        width = max([len(header), *(len(cells) for _n, cells in sheet.rows)])
        headers = [
            *(str(h) if h is not None else "" for h in header),
            *[""] * (width - len(header)),
            column,
        ]

        def rows(sheet: Any = sheet, width: int = width) -> Any:
            for number, cells in sheet.rows:
                padded = [*cells, *[None] * (width - len(cells))]
                yield [*padded, "；".join(messages.get((sheet.name, number), []))]

        sheets.append((sheet.name, headers, rows()))
    # The clerk's own data goes back to the clerk who sent it: not masked.
    return write_xlsx(
        out,
        sheets=sheets,
        by=by,
        what=_("Ledger error report: %(file)s") % {"file": plan.result.file},
        masked=None,
    )
