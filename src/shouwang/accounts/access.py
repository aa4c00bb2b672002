"""Refusing access the way the whole app does it: as if the thing were not there (404)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from .models import User


def require_perm(user: Any, perm: str, obj: Any = None) -> None:
    if not user.has_perm(perm, obj):
        raise Http404


def acting_user(request: HttpRequest | Any) -> User:
    """The logged-in user of a request, a page's or the API's (the login wall and the API's
    IsAuthenticated let no one else through)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user
