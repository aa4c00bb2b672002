"""What the ``shouwang`` commands of every app ask of the org tree."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from .models import Org


def org_by_code(code: str, *, returncode: int = 1) -> Org:
    """The organisation a command names by code, or the command stops saying which code."""
    org = Org.objects.filter(code=code).first()
    if org is None:
        raise CommandError(
            _("No organisation has the code %(code)s.") % {"code": code}, returncode=returncode
        )
    return org
