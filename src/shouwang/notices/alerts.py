"""Alerts to the system's administrators about one person's unusual activity (issue 18): many
exports in a short time (a county's ledger taken again and again), or many pages that are not
there (someone walking through numbers to find what is hidden behind a 404).

Counted in the "ratelimit" cache that every server process shares (accounts.ratelimit: files
under var/, so gunicorn's workers count together and counting never writes to the database), in
fixed windows; the administrators are told once per person and window, when the count first
passes the limit: a notification (and its text or e-mail through the outbox, urgent) to each of
them, and an entry on the audit log naming the person, what and how many.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.ratelimit import count_in_window
from shouwang.accounts.scope import who
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction

from .services import notify

EXPORTS = "exports"
NOT_FOUND = "not_found"


def _texts() -> dict[str, str]:
    return {
        EXPORTS: _("%(who)s asked for %(n)s exports within %(minutes)s minutes."),
        NOT_FOUND: _("%(who)s opened %(n)s pages that do not exist within %(minutes)s minutes."),
    }


def _limits() -> dict[str, tuple[int, int]]:
    """Kind → (most allowed in a window, the window in minutes)."""
    return {
        EXPORTS: (settings.SHOUWANG_ALERT_EXPORTS, settings.SHOUWANG_ALERT_EXPORTS_MINUTES),
        NOT_FOUND: (settings.SHOUWANG_ALERT_NOT_FOUND, settings.SHOUWANG_ALERT_NOT_FOUND_MINUTES),
    }


def note(kind: str, user: Any) -> bool:
    """Counts one ``kind`` event by ``user``; tells the administrators when this one passes the
    limit (once per window). Returns whether it did."""
    limit, minutes = _limits()[kind]
    count, window = count_in_window(f"alert:{kind}:{user.pk}", max(1, minutes) * 60)
    if count != limit + 1:
        return False
    _alert(kind, user, count=count, minutes=minutes, window=window)
    return True


def _alert(kind: str, user: Any, *, count: int, minutes: int, window: int) -> None:
    text = _texts()[kind] % {
        "who": f"{user.display_name}（{user.get_username()}）",
        "n": count,
        "minutes": minutes,
    }
    with transaction.atomic():
        audit.record(
            actor=user,
            action=AuditAction.CREATE,
            object_repr=text[:200],
            changes={"alert": kind, "count": count, "minutes": minutes},
        )
        notify(
            who(Area.AUDIT, Action.ALERT),
            text=text,
            url=reverse("accounts:audit"),
            # Once per person and window, whichever process counted past the limit first.
            key=f"alert-{kind}-{user.pk}-{minutes}-{window}",
            urgent=True,
        )


class NotFoundAlertMiddleware:
    """Counts each 404 a logged-in person gets (a page or the API alike)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                note(NOT_FOUND, user)
        return response
