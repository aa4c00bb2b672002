"""The API's rate limits: per user (a token is its user's) and per address for the anonymous.

Counted in the "ratelimit" cache every server process shares (settings.CACHES); the rates are
read from settings on every call (SHOUWANG_API_RATE_USER, SHOUWANG_API_RATE_ANONYMOUS).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.utils.translation import gettext as _
from rest_framework import throttling
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shouwang.accounts.middleware import client_ip


class _SharedCache:
    """DRF's throttles keep their history in Django's default cache, bound at import; ours in
    the shared one, looked up when used (tests swap caches)."""

    @property
    def cache(self) -> Any:
        return caches["ratelimit"]

    @cache.setter
    def cache(self, value: Any) -> None:  # DRF assigns nothing, but keep its attribute writable
        pass


class UserThrottle(_SharedCache, throttling.UserRateThrottle):
    scope = "user"

    def get_rate(self) -> str:
        return str(settings.SHOUWANG_API_RATE_USER)

    def get_ident(self, request: Request) -> str:
        return client_ip(request) or ""


class AnonymousThrottle(_SharedCache, throttling.AnonRateThrottle):
    scope = "anon"

    def get_rate(self) -> str:
        return str(settings.SHOUWANG_API_RATE_ANONYMOUS)

    def get_ident(self, request: Request) -> str:
        # The address as the rest of Shouwang reads it: X-Forwarded-For only when trusted.
        return client_ip(request) or ""


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with a throttled call told in Chinese when it may call again."""
    if isinstance(exc, Throttled):
        wait = max(1, round(exc.wait or 1))
        exc.detail = _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": wait}
    return drf_exception_handler(exc, context)
