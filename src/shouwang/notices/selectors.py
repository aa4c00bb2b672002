"""A user's own notifications: nobody reads anyone else's."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from .models import Notification, OutboxMessage, OutboxStatus


def notifications_of(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def notification_of(user: Any, pk: int) -> Notification:
    return get_object_or_404(notifications_of(user), pk=pk)


def unread_count(user: Any) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()


def outbox_counts() -> dict[str, int]:
    """For the sysadmin's shell (``shouwang outbox``): how many messages wait, left, failed."""
    counts = dict(
        OutboxMessage.objects.values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in OutboxStatus.values}


def failed_messages() -> QuerySet[OutboxMessage]:
    return (
        OutboxMessage.objects.filter(status=OutboxStatus.FAILED)
        .select_related("notification__user")
        .order_by("failed_at", "pk")
    )
