"""A user's own notifications: nobody reads anyone else's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Notification


def notifications_of(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def notification_of(user: Any, pk: int) -> Notification:
    return get_object_or_404(notifications_of(user), pk=pk)


def unread_count(user: Any) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()
