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

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.core.fieldcrypt import EncryptedCharField
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
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True)
    # Set when a manager reset the password (accounts/reset.py): every page leads to choosing a
    # new one until it is done.
    must_change_password = models.BooleanField(_("must change password"), default=False)

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


class RevokeReason(StrEnum):
    """Why a user's API token (and maybe sessions) ended, as the audit entry says."""

    LOGOUT_EVERYWHERE = "logout_everywhere"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (a reason, not a password)
    DEACTIVATED = "deactivated"
    TWO_FACTOR_RESET = "two_factor_reset"  # a sysadmin reset their 两步验证 (accounts/twofactor)
