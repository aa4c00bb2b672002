"""Rate limits on logging in: per address and per username, whatever the outcome.

django-axes locks a username or an address after failed logins; this counts every attempt, so
a guessed-right password, a token fetched in a loop or a spray over many usernames are slowed
too. Counts live in the "ratelimit" cache (settings.CACHES): files under var/ that every server
process shares, so gunicorn's workers do not each grant their own allowance.

Counting is by fixed windows (this minute, this hour): at most twice the rate can pass across
a window's edge, which is enough to stop a script and never bothers a person.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from .middleware import client_ip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The login page and the API's token endpoint: both take a username and a password.
LOGIN_VIEWS = {"accounts:login", "api:token"}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/minute" → (10, 60). A rate that cannot be read stops the start, naming it."""
    try:
        number, period = rate.split("/")
        return int(number), PERIODS[period.strip()[0]]
    except (ValueError, KeyError, IndexError) as exc:
        raise ImproperlyConfigured(
            f"rate {rate!r} is not N/second, N/minute, N/hour or N/day"
        ) from exc


def count_in_window(name: str, period: int) -> tuple[int, int]:
    """One more event under ``name`` in the present window of ``period`` seconds: how many so
    far in it, and the window's number. Counted in the shared file cache, so every server
    process counts together (logins here, the sysadmins' alerts in notices.alerts)."""
    window = int(time.time()) // period
    key = f"{name}:{period}:{window}"
    cache = caches["ratelimit"]
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the entry expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    return count, window


def hit(scope: str, ident: str, rate: str) -> int:
    """Counts one attempt; 0 if it is within the rate, else the seconds until the window ends."""
    allowed, period = parse_rate(rate)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    count, window = count_in_window(f"login:{scope}:{digest}", period)
    if count > allowed:
        return max(1, (window + 1) * period - int(time.time()))
    return 0


def login_wait(request: HttpRequest, username: str) -> int:
    """Counts a login attempt against the address and the username; the seconds to wait."""
    waits = [hit("address", client_ip(request) or "", settings.SHOUWANG_LOGIN_RATE_PER_ADDRESS)]
    if username:
        name = username.strip().casefold()
        waits.append(hit("username", name, settings.SHOUWANG_LOGIN_RATE_PER_USERNAME))
    return max(waits)


def throttled_message(wait: int) -> str:
    return _("Too many login attempts. Try again in %(seconds)s seconds.") % {"seconds": wait}


def _username(request: HttpRequest) -> str:
    name = request.POST.get("username")
    if name is None and request.content_type == "application/json":
        import json

        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        name = body.get("username") if isinstance(body, dict) else None
    return str(name or "")


def _refusing(form_class: type[forms.Form], message: str) -> type[forms.Form]:
    """The login view's own form, refusing with the message before any password is checked."""

    class Throttled(form_class):  # type: ignore[valid-type,misc]
        def clean(self) -> dict[str, Any]:
            raise forms.ValidationError(message, code="throttled")

    return Throttled


class LoginRateLimitMiddleware:
    """A login attempt beyond the rate is answered 429: the login page shows the reason as a
    form error (the view itself renders it, with its own form), the token endpoint as JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if request.method != "POST" or match is None or match.view_name not in LOGIN_VIEWS:
            return None
        wait = login_wait(request, _username(request))
        if not wait:
            return None
        message = throttled_message(wait)
        view_class = getattr(view_func, "view_class", None)
        form_class = getattr(view_class, "form_class", None)
        if match.view_name == "accounts:login" and view_class and form_class:
            initkwargs = {**getattr(view_func, "view_initkwargs", {})}
            initkwargs["form_class"] = _refusing(form_class, message)
            response: HttpResponse = view_class.as_view(**initkwargs)(
                request, *view_args, **view_kwargs
            )
            if hasattr(response, "render"):
                response.render()
        else:
            response = JsonResponse({"detail": message}, status=429)
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response
