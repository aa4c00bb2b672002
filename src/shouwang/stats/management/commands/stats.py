from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.commands import BadInputCommand, parse_date_arg
from shouwang.orgs.commands import org_by_code
from shouwang.stats import selectors
from shouwang.stats.flows import BadPeriod, period_of


class Command(BadInputCommand):
    help = "A unit's statistics on a day: the JSON of interfaces.md with --json."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--on", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--from", dest="start", default=None, help="YYYY-MM-DD: flow figures' first day"
        )
        parser.add_argument(
            "--to", dest="end", default=None, help="YYYY-MM-DD: flow figures' last day"
        )
        parser.add_argument("--profile", default=None, help="a definition profile's code or name")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_by_code(options["org"])
        if org.kind not in selectors.STATS_KINDS:
            raise CommandError(
                _("%(name)s holds no schools: it has no statistics of its own.")
                % {"name": org.name},
                returncode=1,
            )
        on = parse_date_arg(options["on"], default=timezone.localdate())
        profile = None
        if options["profile"]:
            profile = selectors.profile_named(options["profile"])
            if profile is None:
                known = ", ".join(selectors.profiles().values_list("code", flat=True))
                raise CommandError(
                    _("No definition profile is called %(name)s (known: %(known)s).")
                    % {"name": options["profile"], "known": known},
                    returncode=1,
                )
        try:
            period = period_of(
                org,
                on,
                parse_date_arg(options["start"], default=None),
                parse_date_arg(options["end"], default=None),
            )
        except BadPeriod as exc:
            raise CommandError(str(exc), returncode=1) from exc
        result = selectors.figures(org=org, on=on, profile=profile, with_units=False)
        data = result.as_json() | selectors.flows_for(None, org, on, period, result.profile)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        for group, key, value in selectors.as_rows(data):
            self.stdout.write(f"{group + ' ' if group else ''}{key}: {value}")
        for note in result.left_out_notes():
            self.stdout.write(note)
