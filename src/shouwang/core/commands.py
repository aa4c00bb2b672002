"""Helpers shared by the ``shouwang`` management commands: bad input is exit 1, in Chinese."""

from __future__ import annotations

from datetime import date
from typing import overload

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


def validation_error_to_command_error(exc: ValidationError) -> CommandError:
    if hasattr(exc, "message_dict"):
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    else:
        text = " ".join(exc.messages)
    return CommandError(text, returncode=1)


@overload
def parse_date_arg(value: str | None, *, default: date) -> date: ...
@overload
def parse_date_arg(value: str | None, *, default: None) -> date | None: ...
def parse_date_arg(value: str | None, *, default: date | None) -> date | None:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("%(value)s is not a date (use YYYY-MM-DD).") % {"value": value}, returncode=1
        ) from exc


class BadInputCommand(BaseCommand):
    """A command whose contract says "1 bad input": a wrong or missing option is bad input too.

    argparse stops with exit status 2 on a usage error; interfaces.md reserves 2 for
    ``import-ledger``'s unusable file, so commands whose bad input is 1 say so here.
    """

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except SystemExit as exc:
            if exc.code == 2:
                raise SystemExit(1) from exc
            raise
