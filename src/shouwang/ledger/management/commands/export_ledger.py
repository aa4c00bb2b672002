from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.commands import BadInputCommand
from shouwang.core.sheets.writer import Watermark
from shouwang.ledger.ledgers import export_ledger, new_serial, operator
from shouwang.ledger.roster import ROSTER_KINDS, export_roster
from shouwang.orgs.commands import org_by_code


class Command(BadInputCommand):
    help = (
        "Write a unit's 台账 as Excel (in its county's saved layout), masked unless --unmasked, "
        "watermarked with the operator; --roster: the school's 花名册, one sheet per grade."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--unmasked", action="store_true")
        parser.add_argument("--roster", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_by_code(options["org"])
        # The operator's own command on the server: no second person is asked (they hold the
        # database itself), but the file carries their name, the time and a serial like any
        # other export, and the serial is on the audit log.
        watermark = Watermark(who=operator(), at=timezone.now(), serial=new_serial())
        if options["roster"] and org.kind not in ROSTER_KINDS:
            raise CommandError(
                _("A roster is made for a school, a grade or a class."), returncode=1
            )
        export = export_roster if options["roster"] else export_ledger
        rows = export(
            org=org,
            out=Path(options["out"]),
            by=None,
            unmasked=options["unmasked"],
            watermark=watermark,
        )
        self.stderr.write(
            _("%(rows)s children written (serial %(serial)s).")
            % {"rows": rows, "serial": watermark.serial}
        )
