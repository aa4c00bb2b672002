from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shouwang.core.commands import org_by_code
from shouwang.ledger.reader import UnreadableFile
from shouwang.ledger.report import write_error_report
from shouwang.ledger.services import import_ledger


class Command(BaseCommand):
    help = "Import a 台账 (xlsx, xls or csv) into a unit: all rows or none."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="the unit's code")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--errors", default=None, help="write the error report here (.xlsx)")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_by_code(options["org"], returncode=2)
        path = Path(options["file"])

        def progress(rows: int) -> None:
            sys.stderr.write(_("%(rows)s rows read") % {"rows": rows} + "\r")

        try:
            plan = import_ledger(
                source=path,
                filename=path.name,
                org=org,
                by=None,
                dry_run=options["dry_run"],
                progress=progress,
            )
        except UnreadableFile as exc:
            raise CommandError(str(exc), returncode=2) from exc
        result = plan.result
        if options["errors"] and result.errors:
            write_error_report(plan, Path(options["errors"]), by=None)
        if options["as_json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            self.stderr.write(
                _(
                    "%(rows)s rows: %(created)s new, %(updated)s changed, %(unchanged)s unchanged, "
                    "%(missing)s in the register but not in the file."
                )
                % {
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "missing": result.not_in_file,
                }
            )
            for error in result.errors[:50]:
                self.stderr.write(f"{error.sheet} {error.row} {error.column}: {error.message}")
        if result.errors:
            raise SystemExit(1)
