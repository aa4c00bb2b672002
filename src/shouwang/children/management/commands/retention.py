"""``shouwang retention [--dry-run] [--json]``: the retention rule applied now, with its report."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.children import services
from shouwang.core.commands import BadInputCommand, validation_error_to_command_error


class Command(BadInputCommand):
    help = (
        "Anonymise the archives of children who left the register more than "
        "SHOUWANG_RETENTION_YEARS years ago (nothing is deleted)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="say what would be done")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = services.apply_retention(
                today=timezone.localdate(),
                years=settings.SHOUWANG_RETENTION_YEARS,
                by=None,
                via="cli",
                dry_run=options["dry_run"],
            )
        except ValidationError as exc:
            raise validation_error_to_command_error(exc) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        if options["dry_run"]:
            head = _(
                "Dry run: %(n)s archives of children who left before %(cutoff)s would be "
                "anonymised."
            )
        else:
            head = _("%(n)s archives of children who left before %(cutoff)s were anonymised.")
        self.stdout.write(head % {"n": report["children"], "cutoff": report["cutoff"]})
        for code, n in report["by_unit"].items():
            self.stdout.write(f"  {code}: {n}")
