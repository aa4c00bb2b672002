"""The append-only audit log: who did what, when, from where.

It sits below the org tree and the users, so every app (the tree's own writes included) can
record to it; the actor is a user by id and name, with no constraint, and the org path is a
string, so the log imports neither. The table keeps its first name (``accounts_auditentry``):
the log moved out of ``accounts`` without a copy of a single row.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logged out")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    VIEW = "view", _("Viewed")
    REVEAL = "reveal", _("Revealed masked data")
    EXPORT = "export", _("Exported")
    IMPORT = "import", _("Imported")
    REVOKE = "revoke", _("Revoked access")
    PURGE = "purge", _("Purged old entries")


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    """Append-only: bulk changes through the ORM are refused (the database refuses them too)."""

    def update(self, **kwargs: object) -> int:
        raise PermissionError("audit entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries cannot be deleted")


class AuditEntry(models.Model):
    """Who did what, when, from where. Written in the same transaction as the change it records.

    The actor is kept as a plain id and a name, with no foreign-key constraint, so the log never
    holds anything else back and never loses its subject.
    """

    # Set when the entry is made, so a read written later in a batch keeps the moment of the look.
    at = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # The org path of the object (or of the actor's unit), so a county's log is one prefix query.
    org_path = models.CharField(max_length=255, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    via = models.CharField(_("via"), max_length=10, default="web")
    # The hash chain (audit.chain): the digest of the entry before, and this entry's own.
    previous = models.CharField(max_length=64, blank=True, editable=False)
    digest = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        db_table = "accounts_auditentry"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="accounts_au_object__2df7a0_idx")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries cannot be deleted")
