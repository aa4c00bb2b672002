from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.core.commands import BadInputCommand, parse_date_arg
from shouwang.orgs.commands import org_by_code
from shouwang.reports.context import build
from shouwang.reports.periods import resolve_period
from shouwang.reports.render import render_docx, render_pdf
from shouwang.reports.selectors import template_bytes
from shouwang.stats.flows import BadPeriod
from shouwang.stats.selectors import STATS_KINDS


class Command(BadInputCommand):
    help = "A unit's 工作总结 for a period (default: the current term) as DOCX or PDF."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--from", dest="start", default=None, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", default=None, help="YYYY-MM-DD")
        parser.add_argument("--term", default="", help="a term's name in the unit's calendar")
        parser.add_argument("--format", required=True, choices=["docx", "pdf"])
        parser.add_argument("--out", required=True, help="the file to write")
        parser.add_argument(
            "--user", default="", help="write it as this user may see it (scope, money)"
        )
        parser.add_argument(
            "--next-steps", default=None, help="a text file: the next steps, one a line"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_by_code(options["org"])
        if org.kind not in STATS_KINDS:
            raise CommandError(
                _("%(name)s holds no schools: it has no statistics of its own.")
                % {"name": org.name},
                returncode=1,
            )
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None or not scope_of(user).may(Area.REPORTS, Action.VIEW, org):
                raise CommandError(
                    _("%(user)s may not have the reports of %(name)s.")
                    % {"user": options["user"], "name": org.name},
                    returncode=1,
                )
        try:
            period = resolve_period(
                org,
                term=options["term"],
                start=parse_date_arg(options["start"], default=None),
                end=parse_date_arg(options["end"], default=None),
            )
        except BadPeriod as exc:
            raise CommandError(str(exc), returncode=1) from exc
        next_steps = None
        if options["next_steps"]:
            try:
                text = Path(options["next_steps"]).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(str(exc), returncode=1) from exc
            next_steps = [line.strip() for line in text.splitlines() if line.strip()] or None
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(
                _("The folder %(dir)s does not exist.") % {"dir": out.parent}, returncode=1
            )
        report = build(org, period, user=user)
        if options["format"] == "pdf":
            content = render_pdf(report, next_steps)
        else:
            content = render_docx(report, template_bytes(org), next_steps)
        out.write_bytes(content)
        self.stderr.write(f"{out}: {report.title} ({period.start} — {period.end})")
