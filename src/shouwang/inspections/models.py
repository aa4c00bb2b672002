"""督查 inspections (domain.md §6, issue 22): a region's officer visits a unit (a school, a
village, a children's home under the region) and records what they found; each finding is a
rectification task (整改) with a person responsible at the unit and a deadline. The unit answers
with evidence (text and photos); the inspector closes it, or returns it with a reason and it is
open again. Past its deadline and not closed, it is overdue: shown on the unit's and the
region's dashboards and told once.

Nothing is deleted: an inspection or a rectification recorded by mistake is voided with a
reason, and every answer, return and close is a dated step of the rectification's history.

Glossary: 督查 inspection · 督查人员 inspectors · 常规督查 routine · 专项督查 special ·
回头看 follow-up visit · 发现问题 finding · 整改 rectification · 责任人 responsible person ·
整改期限 deadline · 整改情况 answer (evidence) · 退回 return · 销号 close · 逾期 overdue.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.core.fieldcrypt import EncryptedTextField
from shouwang.orgs.models import Org, OrgKind

# The units an inspection is held at (those under the inspector's region).
INSPECTED_KINDS = (OrgKind.SCHOOL, OrgKind.VILLAGE, OrgKind.CHILDREN_HOME)


class InspectionKind(models.TextChoices):
    ROUTINE = "routine", _("Routine inspection")
    SPECIAL = "special", _("Special inspection")
    FOLLOW_UP = "follow_up", _("Follow-up visit (回头看)")


class RectificationState(models.TextChoices):
    OPEN = "open", _("To be rectified")
    ANSWERED = "answered", _("Answered, waiting for the inspector")
    CLOSED = "closed", _("Rectified and closed off")


class StepKind(models.TextChoices):
    ANSWER = "answer", _("Answered")
    RETURN = "return", _("Returned")
    CLOSE = "close", _("Closed off")


class Inspection(models.Model):
    unit = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("unit")
    )
    on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=InspectionKind.choices)
    inspectors = models.CharField(_("inspectors"), max_length=200)
    # Encrypted: what an inspector writes of a unit may tell of a child's harm.
    summary_text = EncryptedTextField(_("summary"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(_("why it was voided"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.on:%Y-%m-%d} {self.get_kind_display()}"


class Rectification(models.Model):
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="rectifications"
    )
    # The inspection's unit, kept here so the scope and the dashboards filter one join less.
    unit = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    finding_text = EncryptedTextField(_("finding"))
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    responsible_name = models.CharField(_("responsible person (name)"), max_length=50, blank=True)
    deadline = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=RectificationState.choices,
        default=RectificationState.OPEN,
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Told once that it went past its deadline (tasks.tell_overdue).
    overdue_told_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(_("why it was voided"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["state", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(responsible_user__isnull=True, responsible_name=""),
                name="rectification_names_someone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.pk} {self.deadline:%Y-%m-%d}"

    @property
    def responsible(self) -> str:
        if self.responsible_user is not None:
            return self.responsible_user.display_name
        return self.responsible_name

    def is_overdue(self, today: date) -> bool:
        """Past the deadline and not closed (an answer waiting for the inspector included)."""
        return (
            self.voided_at is None
            and self.state != RectificationState.CLOSED
            and self.deadline < today
        )


class Step(models.Model):
    """One move of a rectification: the unit's answer with its evidence, the inspector's return
    with the reason, or the close."""

    rectification = models.ForeignKey(Rectification, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(_("kind"), max_length=8, choices=StepKind.choices)
    evidence_text = EncryptedTextField(_("what was done"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("rectification's step")
        verbose_name_plural = _("rectification's steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.rectification_id} {self.kind} {self.at:%Y-%m-%d}"


def photo_path(instance: EvidencePhoto, filename: str) -> str:
    return f"inspections/{instance.step.rectification_id}/{filename}"


class EvidencePhoto(models.Model):
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="photos")
    # Under var/media, a random name; served only through the scoped view (views.photo).
    image = models.FileField(_("photo"), upload_to=photo_path)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"photo {self.pk}"
