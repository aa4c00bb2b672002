"""Audit entries for logins, failed logins and logouts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from . import audit
from .models import AuditAction


def _origin(request: HttpRequest | None) -> audit.RequestOrigin | None:
    if request is None:
        return None
    from .middleware import origin_of

    return origin_of(request)


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action=AuditAction.LOGIN, obj=user, origin=_origin(request))


@receiver(user_logged_out)
def audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(actor=user, action=AuditAction.LOGOUT, obj=user, origin=_origin(request))


@receiver(user_login_failed)
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    audit.record(
        actor=user,
        actor_name=username,
        action=AuditAction.LOGIN_FAILED,
        object_repr=username,
        origin=_origin(request),
    )
