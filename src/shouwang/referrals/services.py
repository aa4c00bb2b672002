"""Referral writes: one transaction each, checked (full_clean) and audited — the audit says
what happened, never the case's text. A referral is never deleted: it is closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import who
from shouwang.accounts.selectors import people_at
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.core.concurrency import check_version, version_token
from shouwang.notices.services import notify
from shouwang.orgs.models import Org

from .models import Referral, ReferralNote, ReferralSetting, ReferralState
from .selectors import RECEIVING_KINDS

if TYPE_CHECKING:
    from shouwang.accounts.models import User

DEFAULT_DAYS = 5  # a referral not accepted within this many days goes up a level
DAYS_RANGE = (1, 60)


def referral_state(referral: Referral) -> dict[str, Any]:
    """What a form was opened against: the state and how many notes."""
    return {
        "state": Referral.objects.filter(pk=referral.pk).values_list("state", flat=True).get(),
        "notes": ReferralNote.objects.filter(referral=referral).count(),
    }


def referral_version(referral: Referral) -> str:
    return version_token(referral_state(referral))


def _locked(referral: Referral, version: str | None) -> Referral:
    locked = (
        Referral.objects.select_for_update()
        .select_related("from_unit", "to_unit")
        .get(pk=referral.pk)
    )
    if version is not None:
        check_version(version, referral_state(locked), label=_label)
    return locked


def _label(key: str) -> str:
    return {"state": str(_("state")), "notes": str(_("notes"))}.get(key, key)


@transaction.atomic
def refer(
    *,
    child: Child,
    from_unit: Org,
    to_unit: Org,
    receiver_kind: str,
    reason_kind: str,
    case_text: str,
    by: User,
    receiver_name: str = "",
) -> Referral:
    kinds = RECEIVING_KINDS.get(receiver_kind)
    if kinds is None or to_unit.kind not in kinds:
        raise ValidationError({"to_unit": _("This unit does not take this kind of referral.")})
    if not to_unit.path.startswith(child.county.path):
        raise ValidationError({"to_unit": _("The receiving unit must be in the child's county.")})
    if receiver_kind in ("police", "guardian") and not receiver_name.strip():
        raise ValidationError(
            {"receiver_name": _("Name the police station or the appointed guardian.")}
        )
    if not case_text.strip():
        raise ValidationError({"case_text": _("Describe the case.")})
    referral = Referral(
        child=child,
        from_unit=from_unit,
        to_unit=to_unit,
        receiver_kind=receiver_kind,
        receiver_name=receiver_name.strip(),
        reason_kind=reason_kind,
        case_text=case_text.strip(),
        sent_by=by,
        sent_at=timezone.now(),
    )
    referral.full_clean()
    referral.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=referral,
        org_path=from_unit.path,
        changes={
            "child": child.pk,
            "to_unit": to_unit.pk,
            "receiver_kind": receiver_kind,
            "reason_kind": reason_kind,
        },
    )
    _tell_receiver(referral)
    return referral


def _tell_receiver(referral: Referral) -> None:
    """Those who answer at the receiving unit itself are told a case waits for them."""
    receiver = referral.to_unit
    people = list(people_at(receiver, answering=(Area.REFERRALS, Action.CHANGE)))
    notify(
        people,
        text=_("A case was referred to %(receiver)s: please accept it.")
        % {"receiver": referral.receiver},
        url=reverse("referrals:detail", args=[referral.pk]),
        key=f"referral-sent-{referral.pk}",
        private=True,
    )


@transaction.atomic
def accept(*, referral: Referral, by: User, version: str | None) -> Referral:
    referral = _locked(referral, version)
    if referral.state != ReferralState.SENT:
        raise ValidationError(_("This referral was accepted already."))
    referral.state = ReferralState.ACCEPTED
    referral.accepted_at = timezone.now()
    referral.accepted_by = by
    referral.full_clean()
    referral.save(update_fields=["state", "accepted_at", "accepted_by"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=referral,
        org_path=referral.to_unit.path,
        changes={"state": [ReferralState.SENT, ReferralState.ACCEPTED]},
    )
    return referral


@transaction.atomic
def add_note(*, referral: Referral, text: str, by: User) -> ReferralNote:
    referral = _locked(referral, None)
    if referral.state == ReferralState.CLOSED:
        raise ValidationError(_("This referral is closed."))
    if not text.strip():
        raise ValidationError({"text": _("Write what was done.")})
    note = ReferralNote(referral=referral, at=timezone.now(), text=text.strip(), by=by)
    note.full_clean()
    note.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=note,
        org_path=referral.to_unit.path,
        changes={"referral": referral.pk},
    )
    return note


@transaction.atomic
def close(*, referral: Referral, outcome: str, by: User, version: str | None) -> Referral:
    referral = _locked(referral, version)
    if referral.state != ReferralState.ACCEPTED:
        raise ValidationError(
            _("Only an accepted referral is closed.")
            if referral.state == ReferralState.SENT
            else _("This referral is closed.")
        )
    if not outcome.strip():
        raise ValidationError({"outcome": _("Say how the case ended.")})
    referral.state = ReferralState.CLOSED
    referral.closed_at = timezone.now()
    referral.closed_by = by
    referral.outcome = outcome.strip()
    referral.full_clean()
    referral.save(update_fields=["state", "closed_at", "closed_by", "outcome"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=referral,
        org_path=referral.to_unit.path,
        changes={"state": [ReferralState.ACCEPTED, ReferralState.CLOSED]},
    )
    return referral


def days_for(unit: Org, on: Any) -> int:
    setting = ReferralSetting.for_org(unit, on)
    return setting.days if setting is not None else DEFAULT_DAYS


@transaction.atomic
def set_days(*, region: Org, days: int, since: Any, by: User | None) -> ReferralSetting:
    low, high = DAYS_RANGE
    if not region.is_region:
        raise ValidationError(_("Only a region sets this."))
    if not low <= days <= high:
        raise ValidationError(
            {"days": _("Give between %(low)s and %(high)s days.") % {"low": low, "high": high}}
        )
    setting = ReferralSetting(region=region, days=days, since=since, by=by)
    setting.full_clean()
    setting.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=setting,
        org_path=region.path,
        changes={"days": days},
    )
    return setting


def escalate_unanswered(now: datetime) -> int:
    """Every referral still waiting to be accepted past its region's days is escalated once:
    marked, and the officers above the receiving unit told. Returns how many now."""
    today = timezone.localdate(now)
    in_force = ReferralSetting.in_force(today)
    waiting = Referral.objects.filter(
        state=ReferralState.SENT, escalated_at__isnull=True
    ).select_related("to_unit")
    done = 0
    for referral in waiting:
        setting = ReferralSetting.nearest(in_force, referral.to_unit.path)
        days = setting.days if setting is not None else DEFAULT_DAYS
        if referral.sent_at + timedelta(days=days) <= now:
            done += _escalate(referral.pk, now, days)
    return done


@transaction.atomic
def _escalate(pk: int, now: datetime, days: int) -> int:
    referral = Referral.objects.select_for_update().select_related("to_unit").get(pk=pk)
    if referral.escalated_at is not None or referral.state != ReferralState.SENT:
        return 0  # another run (or an answer) came first: once only
    receiver = referral.to_unit
    referral.escalated_at = now
    referral.escalated_to = Org.objects.get_parent(receiver)
    referral.save(update_fields=["escalated_at", "escalated_to"])
    at_receiver = set(people_at(receiver).values_list("pk", flat=True))
    above = [u for u in who(Area.REFERRALS, Action.ALERT, receiver) if u.pk not in at_receiver]
    notify(
        above,
        text=_("A referral to %(receiver)s has not been accepted in %(days)s days.")
        % {"receiver": referral.receiver, "days": days},
        url=reverse("referrals:detail", args=[referral.pk]),
        key=f"referral-escalated-{referral.pk}",
        private=True,  # a child's case: no text message or e-mail tells it
    )
    audit.record(
        actor=None,
        action=AuditAction.UPDATE,
        obj=referral,
        org_path=receiver.path,
        changes={"escalated_to": referral.escalated_to_id, "told": len(above)},
    )
    return 1
