"""转介 referral (domain.md §6, seed 002): a case a school or village cannot solve — a guardian
who fails, a child out of school, abuse, hardship — referred to a receiving unit, which accepts
it, acts (dated notes) and closes it with an outcome. Unanswered past the region's days, it is
escalated once to the level above the receiver.

Receivers inside Shouwang are units of the tree: a civil-affairs office (民政), a women's
federation (妇联), a township. The police and a community-appointed guardian are not units of
the tree: a referral to them names them (``receiver_name``: 东镇派出所, 张某某) and is held by
the region unit that answers for them there (the township or county), whose officers record
what the police or the guardian did.

Glossary: 转介 referral · 接收 accept · 办理情况 notes · 办结 close · 逾期上报 escalate.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.children.models import Child
from shouwang.core.fieldcrypt import EncryptedTextField
from shouwang.orgs.models import Org, RegionSetting


class ReceiverKind(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs (民政)")
    FEDERATION = "federation", _("Women's federation (妇联)")
    POLICE = "police", _("Police (公安)")
    TOWNSHIP = "township", _("Township (乡镇)")
    GUARDIAN = "guardian", _("Community-appointed guardian")


class ReasonKind(models.TextChoices):
    GUARDIAN_FAILS = "guardian_fails", _("The guardian fails the child")
    OUT_OF_SCHOOL = "out_of_school", _("Out of school")
    ABUSE = "abuse", _("Abuse or violence")
    HARDSHIP = "hardship", _("Hardship")
    OTHER = "other", _("Other")


class ReferralState(models.TextChoices):
    SENT = "sent", _("Waiting to be accepted")
    ACCEPTED = "accepted", _("Accepted, in hand")
    CLOSED = "closed", _("Closed")


class Referral(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="referrals")
    from_unit = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", verbose_name=_("referred by")
    )
    to_unit = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", verbose_name=_("receiving unit")
    )
    receiver_kind = models.CharField(_("referred to"), max_length=16, choices=ReceiverKind.choices)
    receiver_name = models.CharField(_("receiver's name"), max_length=100, blank=True)
    reason_kind = models.CharField(_("why"), max_length=16, choices=ReasonKind.choices)
    case_text = EncryptedTextField(_("the case"))
    state = models.CharField(
        _("state"), max_length=10, choices=ReferralState.choices, default=ReferralState.SENT
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = EncryptedTextField(_("outcome"), blank=True)
    # Unanswered past the days: told once to the level above the receiver.
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Org, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["state", "escalated_at", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.get_receiver_kind_display()} {self.sent_at:%Y-%m-%d}"

    @property
    def receiver(self) -> str:
        return self.receiver_name or self.to_unit.name


class ReferralNote(models.Model):
    """What was done, dated: by either end."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="notes")
    at = models.DateTimeField()
    text = EncryptedTextField(_("note"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.at:%Y-%m-%d}"


class ReferralSetting(RegionSetting):
    """A region's days: a referral not accepted this many days after it was sent is escalated
    to the level above the receiver. Where no region set one, ``DEFAULT_DAYS`` (services)."""

    days = models.PositiveSmallIntegerField(_("days to accept a referral"))

    def __str__(self) -> str:
        return f"{self.region}: {self.days}"
