"""``shouwang audit verify [--json]`` and ``shouwang audit purge --before DATE``."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from shouwang.audit import chain
from shouwang.audit import services as audit
from shouwang.core.commands import (
    BadInputCommand,
    parse_date_arg,
    validation_error_to_command_error,
)


class Command(BadInputCommand):
    help = "Check the audit log's hash chain, or remove entries older than six months."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the hash chain from the first entry")
        verify.add_argument("--json", action="store_true")
        purge = sub.add_parser("purge", help="remove entries made before a day six months ago")
        purge.add_argument("--before", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "purge":
            self._purge(options["before"])
            return
        verdict = chain.verify()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "intact": verdict.intact,
                        "checked": verdict.checked,
                        "broken_at": verdict.broken_at,
                        "reason": verdict.reason,
                    }
                )
            )
        elif verdict.intact:
            self.stdout.write(
                _("Audit log intact: %(n)s entries checked.") % {"n": verdict.checked}
            )
        if not verdict.intact:
            raise CommandError(
                _("Audit log broken at entry %(id)s: %(reason)s.")
                % {"id": verdict.broken_at, "reason": _(verdict.reason)},
                returncode=1,
            )

    def _purge(self, before: str) -> None:
        day = parse_date_arg(before, default=date.min)  # required: never empty
        try:
            removed = audit.purge(before=day)
        except ValidationError as exc:
            raise validation_error_to_command_error(exc) from exc
        self.stderr.write(_("%(n)s audit entries removed.") % {"n": removed})
