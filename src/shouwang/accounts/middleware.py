"""Request-wide plumbing for accounts: where a request comes from, and the login wall."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from shouwang.audit.services import RequestOrigin, origin_scope

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


class LoginRequiredMiddleware:
    """Every page needs a logged-in user, except the login page and static files.

    A wall rather than a decorator per view, so a new page cannot forget it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = settings.LOGIN_URL
                return response
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


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
