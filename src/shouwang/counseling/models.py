"""心理辅导 (domain.md §4): sessions and screening notes, the 悄悄话信箱, individual plans.

The most private part of a child's archive: only counselors, the school's leadership and region
officers see it, and every look at it is in the audit log.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.children.models import Child
from shouwang.core.fieldcrypt import EncryptedTextField
from shouwang.orgs.models import Org


class SessionKind(models.TextChoices):
    SESSION = "session", _("Counseling session")
    SCREENING = "screening", _("Screening")


class CounselingSession(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="counseling_sessions")
    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=SessionKind.choices)
    on = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(_("minutes"), null=True, blank=True)
    topic = models.CharField(_("topic"), max_length=100)
    notes = EncryptedTextField(_("notes"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"


class MailboxOpening(models.Model):
    """The 悄悄话信箱 of a school opened on a day — with letters in it or empty. The box is
    opened weekly: the counseling page shows each school's last opening, late after a week."""

    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    opened_on = models.DateField(_("box opened on"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_on"]
        constraints = [
            models.UniqueConstraint(fields=["school", "opened_on"], name="one_opening_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.opened_on}"


class MailboxLetter(models.Model):
    """A letter from the 悄悄话信箱, typed in when the box is opened (weekly); a child may not
    sign it. The reply is written back to the child."""

    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, null=True, blank=True, related_name="letters"
    )
    opened_on = models.DateField(_("box opened on"))
    text = EncryptedTextField(_("letter"), blank=True)
    # The letter as the child wrote it, scanned or photographed: kept under var/media (never
    # served as a public file), shown only through the counseling pages, each look audited.
    scan = models.FileField(_("scan"), upload_to="letters/%Y/%m/", blank=True)
    reply = EncryptedTextField(_("reply"), blank=True)
    replied_on = models.DateField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.school_id} {self.opened_on}"


class IndividualPlan(models.Model):
    """个别教育管理方案 for a child with serious behaviour or psychological problems."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="individual_plans")
    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", editable=False)
    problem = EncryptedTextField(_("the problem"))
    measures = EncryptedTextField(_("measures"))
    started_on = models.DateField(_("started on"))
    review_on = models.DateField(_("review by"))
    ended_on = models.DateField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["review_on"]

    def __str__(self) -> str:
        return f"{self.child_id}: {self.review_on}"


class PlanReview(models.Model):
    plan = models.ForeignKey(IndividualPlan, on_delete=models.PROTECT, related_name="reviews")
    on = models.DateField()
    progress = EncryptedTextField(_("progress"))
    next_review_on = models.DateField(_("next review by"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.on}"
