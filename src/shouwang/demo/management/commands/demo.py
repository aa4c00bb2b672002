from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.demo import services


class Command(BaseCommand):
    help = "(Re)create the demo county, deterministic for a seed, and print the demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--children", type=int, default=600)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty", action="store_true", help="only build when the database has no data"
        )

    def handle(self, *args: Any, children: int, seed: int, if_empty: bool, **options: Any) -> None:
        if if_empty and not services.database_is_empty():
            self.stderr.write(_("The database already has data; the demo county was not rebuilt."))
        else:
            try:
                services.build_demo_county(seed=seed, children=children, today=timezone.localdate())
            except services.NotADemoDatabase as exc:
                raise CommandError(
                    _(
                        "This database holds real organisations or users; the demo will not "
                        "overwrite it."
                    ),
                    returncode=1,
                ) from exc
            self.stderr.write(_("Demo county built (seed %(seed)s).") % {"seed": seed})
        logins = services.demo_logins()
        if not logins:
            return
        self.stdout.write(_("Demo logins (password: %(pw)s)") % {"pw": services.DEMO_PASSWORD})
        width = max(len(login.username) for login in logins) + 2
        for login in logins:
            line = f"  {login.username.ljust(width)}{login.role}  ·  {login.org_name}"
            self.stdout.write(line + ("  *" if login.enrols else ""))
        if any(login.enrols for login in logins):
            self.stdout.write(
                _(
                    "* sets up two-step verification at the first login: have an authenticator "
                    "app on a phone ready (SHOUWANG_2FA_ROLES= turns the requirement off)."
                )
            )
