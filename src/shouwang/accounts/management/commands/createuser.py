from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from shouwang.accounts import services
from shouwang.accounts.models import Role, User
from shouwang.core.commands import BadInputCommand, validation_error_to_command_error
from shouwang.orgs.commands import org_by_code


class Command(BadInputCommand):
    help = "Add a user with a role at an organisation; the password is read from stdin."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--org", required=True, help="the organisation's code")
        parser.add_argument("--name", default="", help="full name")
        parser.add_argument("--phone", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_by_code(options["org"])
        if User.objects.filter(username=options["username"]).exists():
            raise CommandError(
                _("The username %(username)s is taken.") % {"username": options["username"]},
                returncode=1,
            )
        if sys.stdin.isatty():
            password = getpass.getpass(_("Password: "))
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(_("Give the password on standard input."), returncode=1)
        try:
            user = services.create_user(
                username=options["username"],
                password=password,
                role=options["role"],
                org=org,
                full_name=options["name"],
                phone=options["phone"],
                by=None,
            )
        except ValidationError as exc:
            raise validation_error_to_command_error(exc) from exc
        self.stdout.write(f"{user.username}\t{options['role']}\t{org.code}")
