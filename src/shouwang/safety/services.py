"""Reporting an emergency, ticking its chain, and the worker's escalation of missed deadlines.

Every write is atomic and audited on the child's school path.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import who
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.notices.services import notify
from shouwang.orgs.models import Org

from .chains import AUDIENCES, SEED_001_CHAIN, label_of
from .models import MANDATORY_KINDS, ChainSetting, Incident, IncidentStep

if TYPE_CHECKING:
    from shouwang.accounts.models import User

# A report is written soon after: a time more than a few minutes ahead is a typing slip.
CLOCK_SLACK = timedelta(minutes=5)


def chain_for(school: Org, on: date) -> list[dict[str, Any]]:
    """The chain of the nearest region at or above the school that set one, else seed 001's."""
    setting = ChainSetting.for_org(school, on)
    return setting.steps if setting else SEED_001_CHAIN


@transaction.atomic
def set_chain(*, region: Org, steps: list[dict[str, Any]], since: date, by: User) -> ChainSetting:
    if not steps:
        raise ValidationError(_("A chain needs at least one step."))
    for step in steps:
        if step.get("key") not in AUDIENCES or not 1 <= int(step.get("minutes", 0)) <= 24 * 60:
            raise ValidationError(_("Each step names whom to tell and within 1 to 1440 minutes."))
    setting = ChainSetting.objects.create(region=region, steps=steps, since=since, by=by)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=setting,
        org_path=region.path,
        changes={"chain": steps},
    )
    return setting


@transaction.atomic
def report_incident(
    *,
    child: Child,
    kind: str,
    occurred_at: datetime,
    place: str,
    description: str,
    by: User,
    mandatory_report: bool = False,
) -> Incident:
    """A teacher reports: the chain starts from the time it happened, not from the report."""
    now = timezone.now()
    if occurred_at > now + CLOCK_SLACK:
        raise ValidationError({"occurred_at": _("The time cannot be in the future.")})
    if occurred_at < now - timedelta(days=30):
        raise ValidationError({"occurred_at": _("This is more than 30 days ago; check the date.")})
    if not description.strip():
        raise ValidationError({"description": _("Say what happened.")})
    incident = Incident.objects.create(
        child=child,
        county_id=child.county_id,
        school_id=child.school_id,
        kind=kind,
        occurred_at=occurred_at,
        place=place.strip(),
        description=description.strip(),
        mandatory_report=mandatory_report or kind in MANDATORY_KINDS,
        reported_by=by,
    )
    steps = chain_for(child.school, timezone.localdate(occurred_at))
    IncidentStep.objects.bulk_create(
        IncidentStep(
            incident=incident,
            order=n,
            key=step["key"],
            due_at=occurred_at + timedelta(minutes=int(step["minutes"])),
        )
        for n, step in enumerate(steps, start=1)
    )
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=incident,
        org_path=child.school.path,
        changes={"child": child.pk, "kind": kind, "occurred_at": occurred_at.isoformat()},
    )
    notify(
        _told(incident, Action.ADD),
        text=_("Emergency at %(school)s: %(kind)s. The chain has started.")
        % {"school": child.school.name, "kind": incident.get_kind_display()},
        url=reverse("safety:detail", args=[incident.pk]),
        key=f"incident-{incident.pk}-reported",
        urgent=True,
    )
    return incident


@transaction.atomic
def tick_step(
    *, step: IncidentStep, told_whom: str, how: str, at: datetime, by: User
) -> IncidentStep:
    """Who was told, when and how. A step done after its deadline stays marked late."""
    step = IncidentStep.objects.select_for_update().select_related("incident").get(pk=step.pk)
    if step.done_at is not None:
        raise ValidationError(_("This step is already ticked."))
    if step.incident.closed_at is not None:
        raise ValidationError(_("The incident is closed."))
    if not told_whom.strip():
        raise ValidationError({"told_whom": _("Say who was told.")})
    if at > timezone.now() + CLOCK_SLACK:
        raise ValidationError({"at": _("The time cannot be in the future.")})
    if at < step.incident.occurred_at:
        raise ValidationError({"at": _("Nobody is told before it happened.")})
    step.done_at, step.told_whom, step.how, step.done_by = at, told_whom.strip(), how, by
    step.save(update_fields=["done_at", "told_whom", "how", "done_by"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=step.incident,
        org_path=step.incident.child.school.path,
        changes={
            "step": step.key,
            "told": step.told_whom,
            "how": how,
            "at": at.isoformat(),
            "late": step.is_late(),
        },
    )
    return step


@transaction.atomic
def record_police_report(*, incident: Incident, at: datetime, receipt: str, by: User) -> Incident:
    """When the 强制报告 reached the police and its receipt; corrected until the incident is
    closed (the audit keeps what it said before)."""
    incident = _locked(incident)
    if incident.closed_at is not None:
        raise ValidationError(_("The incident is closed."))
    if at > timezone.now() + CLOCK_SLACK or at < incident.occurred_at:
        raise ValidationError({"at": _("The report's time lies between the event and now.")})
    before_at, before_receipt = incident.police_reported_at, incident.police_receipt
    incident.police_reported_at, incident.police_receipt = at, receipt.strip()
    incident.save(update_fields=["police_reported_at", "police_receipt"])
    changes: dict[str, object] = (
        {"police_reported_at": at.isoformat(), "receipt": incident.police_receipt}
        if before_at is None
        else {  # a correction: what it said before, and now
            "police_reported_at": [before_at.isoformat(), at.isoformat()],
            "receipt": [before_receipt, incident.police_receipt],
        }
    )
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=incident,
        org_path=incident.child.school.path,
        changes=changes,
    )
    return incident


@transaction.atomic
def close_incident(*, incident: Incident, outcome: str, by: User) -> Incident:
    incident = _locked(incident)
    if incident.closed_at is not None:
        raise ValidationError(_("The incident is already closed."))
    if not outcome.strip():
        raise ValidationError({"outcome": _("Say how it ended.")})
    if incident.mandatory_report and incident.police_reported_at is None:
        raise ValidationError(_("Record the report to the police first (强制报告)."))
    incident.closed_at, incident.closed_by, incident.outcome = timezone.now(), by, outcome.strip()
    incident.save(update_fields=["closed_at", "closed_by", "outcome"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=incident,
        org_path=incident.child.school.path,
        changes={"closed": True, "outcome": incident.outcome},
    )
    return incident


def _locked(incident: Incident) -> Incident:
    """The incident as the database holds it, locked until the write commits."""
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("child__school")
        .get(pk=incident.pk)
    )


# --- the worker ----------------------------------------------------------------------------


def _told(incident: Incident, action: Action) -> list[User]:
    """Whom the policy tells (accounts.policy.TELL) — the school's leaders when it is reported,
    the region's officers above too when a step is late — and whoever reported it."""
    people = {u.pk: u for u in who(Area.INCIDENTS, action, incident.school)}
    people[incident.reported_by.pk] = incident.reported_by
    return list(people.values())


def escalate_due(now: datetime) -> int:
    """Every step whose deadline passed undone is escalated once: the people responsible and
    the level above are told. Safe to run twice at once: a step is claimed by one update. The
    claim, the notices and their texts in the outbox commit together, so a worker that dies
    afterwards loses no text (the outbox sends it), and one that dies before leaves the step
    to be escalated by the next run."""
    due = IncidentStep.objects.filter(
        done_at__isnull=True,
        escalated_at__isnull=True,
        due_at__lt=now,
        incident__closed_at__isnull=True,
    )
    escalated = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            # Claimed only if still undone and unescalated (a plain row condition, so a second
            # worker waiting on the row sees the first one's claim): a step ticked since the
            # list was read is not called late.
            claimed = IncidentStep.objects.filter(
                pk=pk, escalated_at__isnull=True, done_at__isnull=True
            ).update(escalated_at=now)
            if not claimed:
                continue
            step = IncidentStep.objects.select_related(
                "incident", "incident__school", "incident__child", "incident__reported_by"
            ).get(pk=pk)
            incident = step.incident
            if incident.closed_at is not None:  # closed since the list was read
                continue
            notify(
                _told(incident, Action.ALERT),
                text=_("Late: %(school)s has not told %(whom)s about an emergency (%(kind)s).")
                % {
                    "school": incident.school.name,
                    "whom": label_of(step.key),
                    "kind": incident.get_kind_display(),
                },
                url=reverse("safety:detail", args=[incident.pk]),
                key=f"incident-step-{step.pk}-late",
                urgent=True,
            )
            escalated += 1
    return escalated
