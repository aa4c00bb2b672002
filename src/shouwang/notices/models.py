"""The in-app notification centre: what a user is told, once, and whether they have read it;
and the outbox: the same notice leaving Shouwang by text message or e-mail, sent by the worker.

Glossary: 通知 notification · 短信 text message (``sms``) · 邮件 e-mail · 待发 pending ·
已发 sent · 发送失败 failed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.core.fieldcrypt import EncryptedCharField


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    # What it is about ("incident-step-12-late"): the same thing is never told twice.
    key = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_user")
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text[:50]


class Channel(models.TextChoices):
    SMS = "sms", _("text message")
    EMAIL = "email", _("e-mail")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("could not be sent")


class OutboxMessage(models.Model):
    """One notification leaving by one channel. Written in the transaction that tells the
    person, so a rollback sends nothing and a crash after the commit loses nothing; the worker
    claims a row for a while (``claimed_until``), sends it, marks it sent. A row whose claim ran
    out (the worker died) is claimed again; a failure waits longer each time (``next_try_at``)
    until the last try marks it failed. Sent at least once, and — the constraint below — for
    one person, one thing and one channel, one row."""

    notification = models.ForeignKey(Notification, on_delete=models.PROTECT, related_name="outbox")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The phone number or e-mail address when the notice was written: encrypted at rest, as
    # every phone is (core.fieldcrypt, issue 18).
    address = EncryptedCharField(max_length=254)
    # The words that leave (for counseling only that something waits, never what).
    text = models.CharField(max_length=300)
    # Emergencies go before the weekly reminders when the worker has a queue.
    urgent = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="outbox_once_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_try_at"],
                condition=Q(status="pending"),
                name="outbox_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} #{self.notification_id}"
