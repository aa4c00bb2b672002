"""``shouwang round open / submit / show`` (interfaces.md) and ``round return`` (the level above
sends a unit's latest submission back with a comment): reporting rounds by command."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.core.commands import (
    BadInputCommand,
    parse_date_arg,
    validation_error_to_command_error,
)
from shouwang.orgs.commands import org_by_code
from shouwang.orgs.models import Org
from shouwang.oversight import selectors, services
from shouwang.oversight.models import Round, RoundUnit


class Command(BadInputCommand):
    help = (
        "Reporting rounds: `round open --org C --title T --due D`, "
        "`round submit ROUND --org C --by USER`, "
        "`round return ROUND --org C --by USER --comment TEXT`, `round show ROUND --json`."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        opening = sub.add_parser("open", help="open a round for the units under --org")
        opening.add_argument("--org", required=True)
        opening.add_argument("--title", required=True)
        opening.add_argument("--due", required=True, help="YYYY-MM-DD: schools and villages")
        opening.add_argument(
            "--due-upward", default=None, help="YYYY-MM-DD: townships reporting upward"
        )
        opening.add_argument(
            "--units", default="", help="comma-separated codes (default: every school and village)"
        )
        opening.add_argument("--by", default=None, help="the opening officer's username")
        opening.add_argument("--json", action="store_true")
        submitting = sub.add_parser("submit", help="a unit submits its figures and ledger")
        submitting.add_argument("round", type=int)
        submitting.add_argument("--org", required=True)
        submitting.add_argument("--by", required=True)
        submitting.add_argument("--json", action="store_true")
        returning = sub.add_parser(
            "return", help="the level above returns a unit's latest submission with a comment"
        )
        returning.add_argument("round", type=int)
        returning.add_argument("--org", required=True, help="the code of the unit returned")
        returning.add_argument("--by", required=True)
        returning.add_argument("--comment", required=True, help="what is to be corrected")
        returning.add_argument("--json", action="store_true")
        showing = sub.add_parser("show", help="who submitted, who is late, the summed figures")
        showing.add_argument("round", type=int)
        showing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ValidationError as exc:
            raise validation_error_to_command_error(exc) from exc

    def _open(self, options: dict[str, Any]) -> None:
        org = org_by_code(options["org"])
        codes = [c.strip() for c in options["units"].split(",") if c.strip()]
        units = [org_by_code(code) for code in codes] or None
        round_ = services.open_round(
            org=org,
            title=options["title"],
            due=parse_date_arg(options["due"], default=timezone.localdate()),
            due_upward=parse_date_arg(options["due_upward"], default=None),
            units=units,
            by=_user(options["by"]) if options["by"] else None,
        )
        if options["json"]:
            out = {"id": round_.pk, "title": round_.title, "units": round_.units.count()}
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(str(round_.pk))

    def _submit(self, options: dict[str, Any]) -> None:
        round_ = _round(options["round"])
        org = org_by_code(options["org"])
        unit = _unit(round_, org)
        submission = services.submit(unit=unit, by=_user(options["by"]))
        if options["json"]:
            out = {
                "id": submission.pk,
                "round": round_.pk,
                "org": org.code,
                "version": submission.version,
                "submitted_at": timezone.localtime(submission.submitted_at).isoformat(),
                "left_behind_total": submission.figures.get("left_behind_total"),
                "children": len(submission.children),
                "ledger_sha256": submission.ledger_sha256,
            }
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(f"{org.code}\tv{submission.version}")

    def _return(self, options: dict[str, Any]) -> None:
        round_ = _round(options["round"])
        org = org_by_code(options["org"])
        latest = selectors.current(_unit(round_, org))
        if latest is None:
            raise CommandError(
                _("%(org)s has not submitted in this round.") % {"org": org.name}, returncode=1
            )
        returned = services.return_submission(
            submission=latest, comment=options["comment"], by=_user(options["by"])
        )
        if options["json"]:
            out = {
                "id": returned.pk,
                "round": round_.pk,
                "org": org.code,
                "version": returned.version,
                "returned_at": timezone.localtime(returned.returned_at).isoformat()
                if returned.returned_at
                else None,
                "return_comment": returned.return_comment,
            }
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(f"{org.code}\tv{returned.version}\treturned")

    def _show(self, options: dict[str, Any]) -> None:
        data = selectors.report_whole(_round(options["round"])).as_json()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(f"{data['title']} ({data['org']}, {data['due']})")
        for unit in data["units"]:
            self.stdout.write(f"{unit['org']}\t{unit['name']}\t{unit['status']}")


def _round(pk: int) -> Round:
    found = Round.objects.select_related("org").filter(pk=pk).first()
    if found is None:
        raise CommandError(_("No reporting round has the id %(id)s.") % {"id": pk}, returncode=1)
    return found


def _unit(round_: Round, org: Org) -> RoundUnit:
    unit = (
        RoundUnit.objects.filter(round=round_, org=org)
        .select_related("org", "round")
        .prefetch_related("submissions")
        .first()
    )
    if unit is None:
        raise CommandError(
            _("%(org)s does not report in this round.") % {"org": org.name}, returncode=1
        )
    return unit


def _user(username: str) -> User:
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise CommandError(
            _("No active user is called %(name)s.") % {"name": username}, returncode=1
        )
    return found
