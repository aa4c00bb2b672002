"""``shouwang import-ledger``: exit 0 all applied, 1 rows rejected or bad input (a unit code no
organisation has), 2 unusable file, 3 system failure (interfaces.md). County IT staff script on
these codes, so a full disk or a database that refuses writes is 3 with one line saying so, never
1 with a traceback. The file is read with the header words the unit taught on the web, and within
the limits the web's uploads have (core.sheets.limits): a bomb is 2, refused before it is parsed,
and so is a CSV whose encoding is not certain, the message naming the choices for --encoding."""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError
from django.db import Error as DbError
from django.utils.translation import gettext as _

from shouwang.core.sheets import encodings
from shouwang.core.sheets.reader import EncodingUnsure, UnreadableFile
from shouwang.core.sheets.rows import RowError
from shouwang.ledger.report import write_error_report
from shouwang.ledger.services import ImportResult, import_ledger, mapping_for
from shouwang.orgs.commands import org_by_code

ROWS_REJECTED = BAD_INPUT = 1
UNUSABLE_FILE, SYSTEM_FAILURE = 2, 3
DISK_FULL_WORDS = ("disk is full", "no space left")


class Command(BaseCommand):
    help = "Import a 台账 (xlsx, xls or csv) into a unit: all rows or none."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="the unit's code")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--errors", default=None, help="write the error report here (.xlsx)")
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument(
            "--encoding",
            default=None,
            choices=sorted(encodings.ENCODINGS),
            help="a CSV's encoding, when it cannot be told for certain (exit 2 says so)",
        )

    def execute(self, *args: Any, **options: Any) -> Any:
        # Around the whole command (checks, the unit's lookup, the import, the report, the
        # output): wherever the system fails, the answer is the same. The import is one
        # transaction, so nothing of it was written. django.db.Error: a refused or failed query
        # (DatabaseError) and a lost connection (InterfaceError) alike.
        try:
            return super().execute(*args, **options)
        except (OSError, DbError) as exc:
            if options.get("traceback"):
                raise  # asked for by whoever debugs it
            self.fail(options, system_failure(exc), SYSTEM_FAILURE)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org = org_by_code(options["org"])
        except CommandError as exc:
            self.fail(options, str(exc), BAD_INPUT)
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
                mapping=mapping_for(org),  # as on the web: the same file, the same answer
                progress=progress,
                encoding=options["encoding"],
            )
        except EncodingUnsure as exc:
            choices = ", ".join(exc.candidates)
            self.fail(options, f"{exc} --encoding {{{choices}}}", UNUSABLE_FILE)
        except UnreadableFile as exc:
            self.fail(options, str(exc), UNUSABLE_FILE)
        result = plan.result
        if options["errors"] and result.errors:
            report = Path(options["errors"])
            try:
                write_error_report(plan, report, by=None)
            except OSError:
                report.unlink(missing_ok=True)  # not half a report for the clerk to open
                raise
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
            if result.waiting_for_review:
                self.stderr.write(
                    _(
                        "%(count)s new or changed archives wait for review by the level above: "
                        "they count once confirmed."
                    )
                    % {"count": result.waiting_for_review}
                )
            for error in result.errors[:50]:
                self.stderr.write(f"{error.sheet} {error.row} {error.column}: {error.message}")
        if result.errors:
            raise SystemExit(ROWS_REJECTED)

    def fail(self, options: dict[str, Any], message: str, code: int) -> NoReturn:
        """Nothing was imported (an unknown unit, an unusable file, a system failure): one line
        on stderr, and with --json the usual object on stdout with the reason as its one error."""
        if options.get("as_json"):
            result = ImportResult(
                file=Path(options.get("file") or "").name,
                org=options.get("org") or "",
                dry_run=bool(options.get("dry_run")),
                errors=[RowError("", 0, "", message)],
            )
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        if code == SYSTEM_FAILURE:
            self.stderr.write(message)
            raise SystemExit(code)
        raise CommandError(message, returncode=code)


def system_failure(exc: OSError | DbError) -> str:
    """One line for the county's IT staff: what failed, in Chinese, and the system's own words."""
    detail = " ".join(str(exc).split())[:300]
    disk_full = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    # SQLite says "database or disk is full", PostgreSQL "No space left on device".
    if disk_full or any(words in detail.lower() for words in DISK_FULL_WORDS):
        reason = _("the disk is full")
    elif isinstance(exc, DbError):
        reason = _("the database refused to write or could not be reached")
    else:
        reason = _("a file could not be read or written")
    return _("System failure, nothing was imported: %(reason)s (%(detail)s).") % {
        "reason": reason,
        "detail": detail,
    }
