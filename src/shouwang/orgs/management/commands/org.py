from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shouwang.core.commands import validation_error_to_command_error
from shouwang.orgs import services
from shouwang.orgs.models import Org, OrgKind


class Command(BaseCommand):
    help = (
        "Manage the organisation tree: `shouwang org add --code C --name N --kind K [--parent P]`."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add an organisation")
        add.add_argument("--code", default="")
        add.add_argument("--name", required=True)
        add.add_argument("--kind", required=True, choices=OrgKind.values)
        add.add_argument("--parent", default=None, help="the parent's code")
        add.add_argument("--stage", default="", help="grades only: kindergarten/primary/…")

    def handle(self, *args: Any, **options: Any) -> None:
        parent = None
        if options["parent"]:
            parent = Org.objects.filter(code=options["parent"]).first()
            if parent is None:
                raise CommandError(
                    _("No organisation has the code %(code)s.") % {"code": options["parent"]},
                    returncode=1,
                )
        try:
            org = services.add_org(
                code=options["code"],
                name=options["name"],
                kind=options["kind"],
                parent=parent,
                stage=options["stage"],
                by=None,
            )
        except ValidationError as exc:
            raise validation_error_to_command_error(exc) from exc
        self.stdout.write(f"{org.code}\t{org.name}")
