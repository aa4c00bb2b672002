"""Request-wide plumbing for accounts: where a request comes from, and the login wall."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from shouwang.audit.services import RequestOrigin, origin_scope

from . import twofactor
from .scope import answers_kept
from .tokens import ExpiringTokenAuthentication

# Pages anyone may open without logging in. The API answers for itself: a token is checked by
# Django REST framework, whose default permission (IsAuthenticated) guards every endpoint but
# the token one; an anonymous call gets 401/403 there, not a redirect to a login page.
# The API (its schema too) answers for itself: a token or a session, or 401.
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/static/",
    "/favicon.ico",
    "/healthz",
    "/api/v1/",
    "/api/schema/",
)


def client_ip(request: HttpRequest) -> str | None:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def origin_of(request: HttpRequest) -> RequestOrigin:
    return RequestOrigin(
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        via="web",
    )


class RequestOriginMiddleware:
    """Makes the request's address known to every audit entry written while it is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with origin_scope(origin_of(request)):
            return self.get_response(request)


class ScopeAnswersMiddleware:
    """The gate's answers over one row are kept while a request is served and forgotten when it
    ends, however it ends: a child's page asks whether the user may see the child once, not in
    every section (accounts.scope.answers_kept, issue 17)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with answers_kept():
            return self.get_response(request)


# Open to a session that still owes its second step (两步验证), besides the step's own page.
SECOND_STEP_OPEN = (
    "/accounts/login/",
    "/accounts/logout/",
    "/static/",
    "/favicon.ico",
    "/healthz",
    "/api/v1/token/",
)


class LoginRequiredMiddleware:
    """Every page needs a logged-in user, except the login page and static files; and a login
    that still owes its second step (a code, or enrolling a device: accounts/twofactor.py)
    reaches nothing but that step until it is done.

    A wall rather than a decorator per view, so a new page cannot forget it. Needs django-otp's
    OTPMiddleware before it (``request.user.is_verified``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            if not request.path.startswith(PUBLIC_PREFIXES):
                return self.sent_to(request, settings.LOGIN_URL)
        elif (step := twofactor.pending_step(request)) is not None:
            return self.second_step(request, step)
        return self.get_response(request)

    def second_step(self, request: HttpRequest, step: twofactor.Step) -> HttpResponse:
        url = reverse(f"accounts:two_factor_{step}")
        path = request.path
        if path == url or path.startswith(SECOND_STEP_OPEN):
            return self.get_response(request)
        if path.startswith("/api/"):
            # A token: the API decides, not the session. Only the token's own scheme: with any
            # other header the API would fall back to this unverified session.
            scheme = request.headers.get("Authorization", "").split(" ", 1)[0]
            if scheme.lower() == ExpiringTokenAuthentication.keyword.lower():
                return self.get_response(request)
            return JsonResponse(
                {"detail": _("Finish two-step verification on the login page first.")},
                status=403,
            )
        return self.sent_to(request, url)

    @staticmethod
    def sent_to(request: HttpRequest, url: str) -> HttpResponse:
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = resolve_url(url)
            return response
        return redirect_to_login(request.get_full_path(), url)


class IdleTimeoutMiddleware:
    """30 idle minutes log out (SESSION_COOKIE_AGE), without every page writing the session.

    A session ends SESSION_COOKIE_AGE after it was last saved. Saving it on every request kept
    SQLite's one writer busy with reads; a request saves it again only once the last save is
    SHOUWANG_SESSION_RENEW_SECONDS old (a minute), so someone who opens no page is logged out
    SESSION_COOKIE_AGE after their last page, or up to that minute sooner.
    """

    SAVED_AT = "_shouwang_saved_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        # Empty: no one logged in, or just logged out (a new session must not be made).
        if not session.is_empty():
            now = time.time()
            stale = now - self.saved_at(request) >= settings.SHOUWANG_SESSION_RENEW_SECONDS
            if stale or session.modified:  # saved anyway: note when, at no extra cost
                session[self.SAVED_AT] = int(now)
        return response

    def saved_at(self, request: HttpRequest) -> float:
        saved: float | None = request.session.get(self.SAVED_AT)
        if saved is not None:
            return saved
        # Not noted yet: a session saved at login outside a request (a test's force_login) or
        # older than this middleware. Logging in saved it.
        last_login = getattr(getattr(request, "user", None), "last_login", None)
        return last_login.timestamp() if last_login else 0.0
