"""The ledger's error report: the shared clerk's-own-rows report (core.sheets.report), its
header found the way the import found it."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.utils.translation import gettext as _

from shouwang.core.sheets.report import write_row_report

from .columns import find_layout

if TYPE_CHECKING:
    from shouwang.accounts.models import User

    from .services import Plan


def write_error_report(plan: Plan, out: str | Path | IO[bytes], *, by: User | None) -> int:
    return write_row_report(
        source=plan.source,
        filename=plan.filename,
        errors=plan.result.errors,
        find=lambda first: find_layout(first, plan.mapping),
        out=out,
        by=by,
        encoding=plan.encoding,
        what=_("Ledger error report: %(file)s") % {"file": plan.result.file},
    )
