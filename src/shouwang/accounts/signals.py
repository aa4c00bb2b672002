"""Audit entries for logins, failed logins and logouts; a new password revokes the API token;
a login notes the second step it still owes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction

from . import services, twofactor
from .models import RevokeReason


def _origin(request: HttpRequest | None) -> audit.RequestOrigin | None:
    if request is None:
        return None
    from .middleware import origin_of

    return origin_of(request)


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action=AuditAction.LOGIN, obj=user, origin=_origin(request))


@receiver(user_logged_in)
def note_second_step(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """What this login still owes after the password (两步验证), noted in its session."""
    if request is not None and hasattr(request, "session"):
        twofactor.note_login(request, user)


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


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def revoke_access_on_new_password(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Whoever sets a password (the user's own change, a sysadmin's reset, ``changepassword``),
    the API token issued under the old one stops working. Sessions need nothing: Django ends
    the others itself, the session hash being derived from the password.

    ``AbstractBaseUser.save()`` holds a newly set password in ``_password`` until the row is
    written (to tell the password validators); a hash upgraded at login is not held there.
    """
    if not created and instance._password is not None:
        services.revoke_access(user=instance, by=None, reason=RevokeReason.PASSWORD_CHANGED)
