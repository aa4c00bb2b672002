"""``shouwang cross-check FILE --org CODE --list dibao|poverty_registered|disabled|orphan
[--json]`` (interfaces.md): 比对核实 of another system's list against the children under the
unit. Exit 0 done; 1 bad input (an unknown unit or list); 2 an unusable file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from shouwang.core.commands import BadInputCommand
from shouwang.core.sheets import encodings
from shouwang.core.sheets.reader import EncodingUnsure, UnreadableFile
from shouwang.crosschecks.models import ListKind
from shouwang.crosschecks.selectors import children_under
from shouwang.crosschecks.services import CheckResult, Disagreement, cross_check
from shouwang.orgs.commands import org_by_code

BAD_INPUT, UNUSABLE_FILE = 1, 2


class Command(BadInputCommand):
    help = "比对核实: match another system's list (xlsx, xls or csv) to the archive by ID number."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="the unit's code")
        parser.add_argument("--list", required=True, dest="list_kind", choices=ListKind.values)
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument(
            "--encoding",
            default=None,
            choices=sorted(encodings.ENCODINGS),
            help="a CSV's encoding, when it cannot be told for certain (exit 2 says so)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org = org_by_code(options["org"])
        except CommandError as exc:
            self.fail(options, str(exc), BAD_INPUT)
        path = Path(options["file"])
        try:
            _check, result = cross_check(
                source=path,
                filename=path.name,
                org=org,
                list_kind=options["list_kind"],
                scope=children_under(org),
                by=None,
                encoding=options["encoding"],
            )
        except EncodingUnsure as exc:
            self.fail(options, f"{exc} --encoding {{{', '.join(exc.candidates)}}}", UNUSABLE_FILE)
        except UnreadableFile as exc:
            self.fail(options, str(exc), UNUSABLE_FILE)
        if options["as_json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            self.stderr.write(
                _(
                    "%(rows)s rows: %(matched)s found, %(added)s flags added, %(already)s "
                    "flagged already, %(missing)s not in the archive, %(outside)s outside the "
                    "unit, %(disagreements)s to check."
                )
                % {
                    "rows": result.rows,
                    "matched": result.matched,
                    "added": result.flags_added,
                    "already": result.already_flagged,
                    "missing": result.not_in_archive,
                    "outside": result.outside_scope,
                    "disagreements": len(result.disagreements),
                }
            )
            for d in result.disagreements[:50]:
                self.stderr.write(f"{d.sheet} {d.row}: {d.message}")

    def fail(self, options: dict[str, Any], message: str, code: int) -> NoReturn:
        if options.get("as_json"):
            result = CheckResult(
                file=Path(options.get("file") or "").name,
                org=options.get("org") or "",
                kind=options.get("list_kind") or "",
                disagreements=[Disagreement("", 0, message)],
            )
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        raise CommandError(message, returncode=code)
