"""Users, their roles at organisations, and the append-only audit log.

Glossary (UI term → name in code):
    系统管理员        sysadmin
    区域管理员        region_officer (民政、教育、妇联 officers of a county or township)
    学校管理员        school_admin (校长, 德育主任)
    班主任 / 教师     teacher
    儿童主任 / 村干部 village_director
    志愿者 / 爱心妈妈 volunteer (代理家长 from outside school too)
    心理辅导员        counselor
    审计日志          audit entry
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.orgs.models import ATTACHED_KINDS, REGION_KINDS, OrgKind


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", _("System administrator")
    REGION_OFFICER = "region_officer", _("Region officer")
    SCHOOL_ADMIN = "school_admin", _("School administrator")
    TEACHER = "teacher", _("Teacher")
    VILLAGE_DIRECTOR = "village_director", _("Village child director")
    VOLUNTEER = "volunteer", _("Volunteer")
    COUNSELOR = "counselor", _("Counselor")


# Where each role may be assigned (domain.md §1). A region officer of a 妇联 or 教育局 works for
# the region that unit belongs to; a teacher is assigned to classes (or to the school alone when
# they only have pairings).
ROLE_ORG_KINDS: dict[str, frozenset[str]] = {
    Role.SYSADMIN: frozenset(OrgKind.values),
    Role.REGION_OFFICER: frozenset(
        {
            *(REGION_KINDS - {OrgKind.VILLAGE}),
            OrgKind.FEDERATION,
            OrgKind.CIVIL_AFFAIRS,
            OrgKind.EDUCATION_BUREAU,
            OrgKind.COMMUNITY_CENTRE,
        }
    ),
    Role.SCHOOL_ADMIN: frozenset({OrgKind.SCHOOL}),
    Role.TEACHER: frozenset({OrgKind.SCHOOL_CLASS, OrgKind.SCHOOL}),
    Role.VILLAGE_DIRECTOR: frozenset({OrgKind.VILLAGE}),
    Role.VOLUNTEER: frozenset({*REGION_KINDS, *ATTACHED_KINDS}),
    Role.COUNSELOR: frozenset({OrgKind.SCHOOL}),
}


class User(AbstractUser):
    """A person who logs in. Never deleted: leaving is ``is_active = False``."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class RoleAssignment(models.Model):
    """A user holds a role at one organisation; a person may hold several."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="assignments", verbose_name=_("org")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org"],
                condition=models.Q(is_active=True),
                name="one_active_assignment_per_user_role_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.org}"

    def clean(self) -> None:
        if self.org_id and self.org.kind not in ROLE_ORG_KINDS[self.role]:
            raise ValidationError(
                {
                    "org": _("A %(role)s cannot be assigned to a %(kind)s.")
                    % {"role": self.get_role_display(), "kind": self.org.get_kind_display()}
                }
            )


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


class RevokeReason(StrEnum):
    """Why a user's API token (and maybe sessions) ended, as the audit entry says."""

    LOGOUT_EVERYWHERE = "logout_everywhere"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (a reason, not a password)
    DEACTIVATED = "deactivated"


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

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
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

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries cannot be deleted")
