"""API tokens that end: ``SHOUWANG_TOKEN_DAYS`` after they are issued, or when revoked.

A token is one row per user (Django REST framework's ``Token``); revoking it deletes the row
(services.revoke_access: logging out everywhere, a password change, a deactivation), and
``/api/v1/token/`` issues a fresh one after expiry rather than handing the old one back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def lifetime() -> timedelta:
    return timedelta(days=settings.SHOUWANG_TOKEN_DAYS)


def is_expired(token: Token) -> bool:
    return token.created <= timezone.now() - lifetime()


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …`` as Django REST framework reads it, refused once expired (401)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if is_expired(token):
            raise AuthenticationFailed(
                _("This API token has expired. Ask for a new one at /api/v1/token/.")
            )
        return user, token
