"""Emergencies (突发事件) and their timed notification chains (domain.md §4, seed 001)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.policy import Area
from shouwang.accounts.restrict import PolicyTarget, RestrictedQuerySet
from shouwang.children.models import Child
from shouwang.core.fieldcrypt import EncryptedTextField
from shouwang.orgs.models import Org, RegionSetting


class ChainSetting(RegionSetting):
    """A region's chain: which steps, each due so many minutes after the incident."""

    steps = models.JSONField(_("steps"))  # [{"key": "guardian", "minutes": 20}, ...]

    def __str__(self) -> str:
        return f"{self.region}: {self.since}"


class IncidentKind(models.TextChoices):
    INJURY = "injury", _("Injury")
    ILLNESS = "illness", _("Sudden illness")
    MISSING = "missing", _("Missing")
    TRAFFIC = "traffic", _("Traffic accident")
    DROWNING = "drowning", _("Drowning")
    VIOLENCE = "violence", _("Violence or bullying")
    ABUSE = "abuse", _("Suspected abuse")
    NEGLECT = "neglect", _("Suspected neglect")
    SELF_HARM = "self_harm", _("Self-harm")
    OTHER = "other", _("Other")


# Suspected abuse or neglect must be reported to the police (强制报告).
MANDATORY_KINDS = frozenset({IncidentKind.ABUSE, IncidentKind.NEGLECT})


class Incident(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="incidents")
    county = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", editable=False)
    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", editable=False)
    kind = models.CharField(_("what happened"), max_length=16, choices=IncidentKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    place = models.CharField(_("where"), max_length=100)
    description = EncryptedTextField(_("what happened, in words"))
    mandatory_report = models.BooleanField(_("mandatory report to the police (强制报告)"))
    police_reported_at = models.DateTimeField(_("reported to the police at"), null=True, blank=True)
    police_receipt = models.CharField(_("police receipt"), max_length=100, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = EncryptedTextField(_("outcome"), blank=True)

    # Who reaches it is the policy table's: Incident.objects.restrict(user, action).
    policy = PolicyTarget(Area.INCIDENTS, own="reported_by_id")
    objects = RestrictedQuerySet["Incident"].as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["county", "closed_at"])]

    def __str__(self) -> str:
        # In the deployment's time zone (Asia/Shanghai): the name is copied into the audit log.
        return f"{self.get_kind_display()} {timezone.localtime(self.occurred_at):%Y-%m-%d %H:%M}"


class HowTold(models.TextChoices):
    PHONE = "phone", _("By phone")
    IN_PERSON = "in_person", _("In person")
    MESSAGE = "message", _("By message")


class IncidentStep(models.Model):
    """One step of the chain: whom to tell by when; ticked with who was told, when and how."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="steps")
    order = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=32)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(_("told at"), null=True, blank=True)
    told_whom = models.CharField(_("who was told"), max_length=100, blank=True)
    how = models.CharField(_("how"), max_length=16, choices=HowTold.choices, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set once by the worker when the deadline passed with the step not done.
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "order"]
        indexes = [models.Index(fields=["done_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.key}"

    def is_late(self, now: datetime | None = None) -> bool:
        """Late when done after its deadline, or not done and the deadline has passed."""
        if self.done_at is not None:
            return self.done_at > self.due_at
        return (now or timezone.now()) > self.due_at
