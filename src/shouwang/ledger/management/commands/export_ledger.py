from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from shouwang.core.commands import BadInputCommand
from shouwang.ledger.ledgers import export_ledger
from shouwang.orgs.commands import org_by_code


class Command(BadInputCommand):
    help = "Write a unit's 台账 as Excel, masked unless --unmasked."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--unmasked", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_by_code(options["org"])
        rows = export_ledger(
            org=org, out=Path(options["out"]), by=None, unmasked=options["unmasked"]
        )
        self.stderr.write(_("%(rows)s children written.") % {"rows": rows})
