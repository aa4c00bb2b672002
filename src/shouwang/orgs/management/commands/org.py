from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from shouwang.core.commands import BadInputCommand, validation_error_to_command_error
from shouwang.orgs import services
from shouwang.orgs.commands import org_by_code
from shouwang.orgs.models import OrgKind


class Command(BadInputCommand):
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
            parent = org_by_code(options["parent"])
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
