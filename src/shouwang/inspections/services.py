"""Inspection writes: one transaction each, checked (full_clean) and audited — the audit says
what happened, never the finding's or the evidence's text. Nothing is deleted: voided with a
reason. Forms carry the state they were opened at (core.concurrency): a stale one is refused."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import told_at
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.core.concurrency import check_version, version_token
from shouwang.notices.services import notify
from shouwang.orgs.models import Org

from .models import (
    INSPECTED_KINDS,
    EvidencePhoto,
    Inspection,
    Rectification,
    RectificationState,
    Step,
    StepKind,
)
from .selectors import people_of

MAX_PHOTOS = 5  # evidence photos per answer


# --- versions ------------------------------------------------------------------------------


def _digest(text: str) -> str:
    """A text in a form's version token by its digest: the token travels in the page, and the
    text is kept encrypted."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def inspection_state(inspection: Inspection) -> dict[str, Any]:
    row = Inspection.objects.get(pk=inspection.pk)
    return {
        "on": row.on.isoformat(),
        "kind": row.kind,
        "inspectors": row.inspectors,
        "summary_text": _digest(row.summary_text),
        "voided": row.voided_at is not None,
    }


def inspection_version(inspection: Inspection) -> str:
    return version_token(inspection_state(inspection))


def rectification_state(rectification: Rectification) -> dict[str, Any]:
    row = Rectification.objects.get(pk=rectification.pk)
    return {
        "state": row.state,
        "finding_text": _digest(row.finding_text),
        "responsible_user": row.responsible_user_id,
        "responsible_name": row.responsible_name,
        "deadline": row.deadline.isoformat(),
        "steps": Step.objects.filter(rectification=row).count(),
        "voided": row.voided_at is not None,
    }


def rectification_version(rectification: Rectification) -> str:
    return version_token(rectification_state(rectification))


def _label(key: str) -> str:
    return {
        "on": str(_("date")),
        "kind": str(_("kind")),
        "inspectors": str(_("inspectors")),
        "summary_text": str(_("summary")),
        "state": str(_("state")),
        "finding_text": str(_("finding")),
        "responsible_user": str(_("responsible person")),
        "responsible_name": str(_("responsible person")),
        "deadline": str(_("deadline")),
        "steps": str(_("answers and returns")),
        "voided": str(_("voided")),
    }.get(key, key)


def _shown(key: str, value: Any) -> Any:
    # Texts are encrypted at rest: the refusal names what changed, never repeats the text.
    return "…" if key in ("summary_text", "finding_text") else value


def _locked_inspection(inspection: Inspection, version: str | None) -> Inspection:
    locked = Inspection.objects.select_for_update().select_related("unit").get(pk=inspection.pk)
    if version is not None:
        check_version(version, inspection_state(locked), label=_label, shown=_shown)
    if locked.voided_at is not None:
        raise ValidationError(_("This inspection was voided."))
    return locked


def _locked(rectification: Rectification, version: str | None) -> Rectification:
    locked = (
        Rectification.objects.select_for_update()
        .select_related("unit", "inspection")
        .get(pk=rectification.pk)
    )
    if version is not None:
        check_version(version, rectification_state(locked), label=_label, shown=_shown)
    if locked.voided_at is not None or locked.inspection.voided_at is not None:
        raise ValidationError(_("This rectification was voided."))
    return locked


# --- the inspection ------------------------------------------------------------------------


def _check_inspection(unit: Org, on: date, inspectors: str) -> None:
    if unit.kind not in INSPECTED_KINDS:
        raise ValidationError({"unit": _("Inspections are held at schools, villages and homes.")})
    if on > timezone.localdate():
        raise ValidationError({"on": _("An inspection is recorded once it was held.")})
    if not inspectors.strip():
        raise ValidationError({"inspectors": _("Name the inspectors.")})


@transaction.atomic
def record_inspection(
    *, unit: Org, on: date, kind: str, inspectors: str, summary_text: str = "", by: User | None
) -> Inspection:
    _check_inspection(unit, on, inspectors)
    inspection = Inspection(
        unit=unit,
        on=on,
        kind=kind,
        inspectors=inspectors.strip(),
        summary_text=summary_text.strip(),
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    inspection.full_clean()
    inspection.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=inspection,
        org_path=unit.path,
        changes={"unit": unit.pk, "on": on.isoformat(), "kind": kind},
    )
    return inspection


@transaction.atomic
def change_inspection(
    *,
    inspection: Inspection,
    on: date,
    kind: str,
    inspectors: str,
    summary_text: str = "",
    by: User,
    version: str | None,
) -> Inspection:
    inspection = _locked_inspection(inspection, version)
    _check_inspection(inspection.unit, on, inspectors)
    before = {"on": inspection.on.isoformat(), "kind": inspection.kind}
    inspection.on, inspection.kind = on, kind
    inspection.inspectors, inspection.summary_text = inspectors.strip(), summary_text.strip()
    inspection.full_clean()
    inspection.save(update_fields=["on", "kind", "inspectors", "summary_text"])
    after = {"on": on.isoformat(), "kind": kind}
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=inspection,
        org_path=inspection.unit.path,
        changes={k: [before[k], after[k]] for k in before if before[k] != after[k]}
        | {"inspectors": inspection.inspectors},
    )
    return inspection


def _void(row: Inspection | Rectification, reason: str, by: User) -> None:
    """Strike a row out with its reason (nothing is deleted), audited at its unit."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it is voided.")})
    row.voided_at, row.voided_by = timezone.now(), by
    row.void_reason = reason.strip()
    row.full_clean()
    row.save(update_fields=["voided_at", "voided_by", "void_reason"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=row,
        org_path=row.unit.path,
        changes={"voided": row.void_reason},
    )


@transaction.atomic
def void_inspection(*, inspection: Inspection, reason: str, by: User) -> Inspection:
    inspection = _locked_inspection(inspection, None)
    _void(inspection, reason, by)
    return inspection


# --- findings: rectification tasks ---------------------------------------------------------


def _check_responsible(unit: Org, user: User | None, name: str) -> None:
    if user is None and not name.strip():
        raise ValidationError(
            {"responsible_user": _("Name the person responsible: pick one or write a name.")}
        )
    if user is not None and not people_of(unit).filter(pk=user.pk).exists():
        raise ValidationError({"responsible_user": _("This person does not work at the unit.")})


@transaction.atomic
def add_rectification(
    *,
    inspection: Inspection,
    finding_text: str,
    deadline: date,
    by: User | None,
    responsible_user: User | None = None,
    responsible_name: str = "",
) -> Rectification:
    inspection = _locked_inspection(inspection, None)
    if not finding_text.strip():
        raise ValidationError({"finding_text": _("Describe what was found.")})
    _check_responsible(inspection.unit, responsible_user, responsible_name)
    if deadline < inspection.on:
        raise ValidationError({"deadline": _("The deadline is before the inspection.")})
    rectification = Rectification(
        inspection=inspection,
        unit=inspection.unit,
        finding_text=finding_text.strip(),
        responsible_user=responsible_user,
        responsible_name="" if responsible_user else responsible_name.strip(),
        deadline=deadline,
        created_at=timezone.now(),
    )
    rectification.full_clean()
    rectification.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=rectification,
        org_path=inspection.unit.path,
        changes={
            "inspection": inspection.pk,
            "deadline": deadline.isoformat(),
            "responsible_user": responsible_user.pk if responsible_user else None,
        },
    )
    if responsible_user is not None:
        notify(
            [responsible_user],
            text=_("%(unit)s: a rectification is yours, due %(deadline)s.")
            % {"unit": inspection.unit.name, "deadline": deadline.isoformat()},
            url=reverse("inspections:detail", args=[inspection.pk]),
            key=f"rectification-assigned-{rectification.pk}",
        )
    return rectification


@transaction.atomic
def change_rectification(
    *,
    rectification: Rectification,
    finding_text: str,
    deadline: date,
    by: User,
    version: str | None,
    responsible_user: User | None = None,
    responsible_name: str = "",
) -> Rectification:
    rectification = _locked(rectification, version)
    if rectification.state == RectificationState.CLOSED:
        raise ValidationError(_("This rectification is closed."))
    if not finding_text.strip():
        raise ValidationError({"finding_text": _("Describe what was found.")})
    _check_responsible(rectification.unit, responsible_user, responsible_name)
    if deadline < rectification.inspection.on:
        raise ValidationError({"deadline": _("The deadline is before the inspection.")})
    before = (rectification.deadline.isoformat(), rectification.responsible_user_id)
    if deadline > rectification.deadline:
        rectification.overdue_told_at = None  # a new deadline: told again if missed again
    rectification.finding_text = finding_text.strip()
    rectification.deadline = deadline
    rectification.responsible_user = responsible_user
    rectification.responsible_name = "" if responsible_user else responsible_name.strip()
    rectification.full_clean()
    rectification.save()
    after = (deadline.isoformat(), rectification.responsible_user_id)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=rectification,
        org_path=rectification.unit.path,
        changes={
            "deadline": [before[0], after[0]],
            "responsible_user": [before[1], after[1]],
        },
    )
    return rectification


@transaction.atomic
def void_rectification(*, rectification: Rectification, reason: str, by: User) -> Rectification:
    rectification = _locked(rectification, None)
    _void(rectification, reason, by)
    return rectification


def _step(rectification: Rectification, kind: str, text: str, by: User) -> Step:
    step = Step(
        rectification=rectification, kind=kind, evidence_text=text, by=by, at=timezone.now()
    )
    step.full_clean()
    step.save()
    return step


def _tell(rectification: Rectification, text: str, key: str, users: Iterable[Any]) -> None:
    notify(
        users,
        text=text,
        url=reverse("inspections:detail", args=[rectification.inspection_id]),
        key=key,
    )


@transaction.atomic
def answer(
    *,
    rectification: Rectification,
    evidence_text: str,
    by: User,
    version: str | None,
    photos: Iterable[Any] = (),
) -> Step:
    """The unit says what it did, with photos; the rectification waits for the inspector."""
    rectification = _locked(rectification, version)
    if rectification.state != RectificationState.OPEN:
        raise ValidationError(
            _("This rectification is closed.")
            if rectification.state == RectificationState.CLOSED
            else _("This rectification was answered already: the inspector has it.")
        )
    photos = [p for p in photos if p]
    if not evidence_text.strip():
        raise ValidationError({"evidence_text": _("Say what was done.")})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(
            {"photos": _("At most %(n)s photos with one answer.") % {"n": MAX_PHOTOS}}
        )
    step = _step(rectification, StepKind.ANSWER, evidence_text.strip(), by)
    for image in photos:
        photo = EvidencePhoto(step=step, uploaded_by=by)
        suffix = Path(image.name or "").suffix.lower()
        photo.image.save(f"{secrets.token_urlsafe(12)}{suffix}", image, save=False)
        photo.full_clean()
        photo.save()
    rectification.state = RectificationState.ANSWERED
    rectification.save(update_fields=["state"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=rectification,
        org_path=rectification.unit.path,
        changes={
            "state": [RectificationState.OPEN, RectificationState.ANSWERED],
            "photos": len(photos),
        },
    )
    inspector = rectification.inspection.recorded_by
    if inspector is not None and inspector.pk != by.pk:
        _tell(
            rectification,
            _("%(unit)s answered a rectification: please check it.")
            % {"unit": rectification.unit.name},
            f"rectification-answered-{step.pk}",
            [inspector],
        )
    return step


@transaction.atomic
def close(
    *, rectification: Rectification, by: User, version: str | None, comment: str = ""
) -> Rectification:
    """The inspector accepts the answer: the rectification is closed (销号)."""
    rectification = _locked(rectification, version)
    if rectification.state != RectificationState.ANSWERED:
        raise ValidationError(
            _("This rectification is closed.")
            if rectification.state == RectificationState.CLOSED
            else _("Only an answered rectification is closed.")
        )
    last = rectification.steps.filter(kind=StepKind.ANSWER).order_by("-pk").first()
    if last is not None and last.by_id == by.pk:
        # Four eyes: whoever answered (an officer may) does not also close their own answer.
        raise ValidationError(_("You answered this rectification: another officer closes it."))
    _step(rectification, StepKind.CLOSE, comment.strip(), by)
    rectification.state = RectificationState.CLOSED
    rectification.closed_at = timezone.now()
    rectification.save(update_fields=["state", "closed_at"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=rectification,
        org_path=rectification.unit.path,
        changes={"state": [RectificationState.ANSWERED, RectificationState.CLOSED]},
    )
    return rectification


@transaction.atomic
def send_back(
    *, rectification: Rectification, reason: str, by: User, version: str | None
) -> Rectification:
    """The inspector returns the answer with the reason: the rectification is open again."""
    rectification = _locked(rectification, version)
    if rectification.state != RectificationState.ANSWERED:
        raise ValidationError(_("Only an answered rectification is returned."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it is returned.")})
    step = _step(rectification, StepKind.RETURN, reason.strip(), by)
    rectification.state = RectificationState.OPEN
    rectification.save(update_fields=["state"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=rectification,
        org_path=rectification.unit.path,
        changes={
            "state": [RectificationState.ANSWERED, RectificationState.OPEN],
            "returned": reason.strip(),
        },
    )
    answered_by = (
        Step.objects.filter(rectification=rectification, kind=StepKind.ANSWER)
        .order_by("-at", "-pk")
        .values_list("by", flat=True)
        .first()
    )
    people = [u for u in (rectification.responsible_user,) if u is not None]
    if answered_by is not None:
        people += list(User.objects.filter(pk=answered_by))
    _tell(
        rectification,
        _("%(unit)s: a rectification's answer was returned: %(reason)s")
        % {"unit": rectification.unit.name, "reason": reason.strip()},
        f"rectification-returned-{step.pk}",
        [u for u in people if u.pk != by.pk],
    )
    return rectification


# --- the reminder --------------------------------------------------------------------------


def tell_overdue(now: datetime) -> int:
    """Each rectification past its deadline and not closed is told once — to its unit's leaders
    and the region's officers above (TELL, Area.INSPECTIONS ALERT) and its responsible person:
    ``overdue_told_at`` and the notice's key both stop a second telling. Returns how many now."""
    today = timezone.localdate(now)
    due = list(
        Rectification.objects.filter(
            deadline__lt=today,
            overdue_told_at__isnull=True,
            voided_at__isnull=True,
            inspection__voided_at__isnull=True,
        )
        .exclude(state=RectificationState.CLOSED)
        .select_related("unit", "responsible_user")
    )
    if not due:
        return 0
    people = told_at(Area.INSPECTIONS, Action.ALERT, {r.unit for r in due})
    ids = {pk for found in people.values() for pk in found}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    told = 0
    for rectification in due:
        with transaction.atomic():
            marked = Rectification.objects.filter(
                pk=rectification.pk, overdue_told_at__isnull=True
            ).update(overdue_told_at=now)
            if not marked:  # another worker told it meanwhile
                continue
            whom = [
                users[pk] for pk in sorted(people.get(rectification.unit_id, ())) if pk in users
            ]
            if rectification.responsible_user is not None:
                whom.append(rectification.responsible_user)
            audit.record(
                actor=None,
                action=AuditAction.UPDATE,
                obj=rectification,
                org_path=rectification.unit.path,
                changes={"overdue_told_at": now.isoformat(), "told": len({u.pk for u in whom})},
            )
            _tell(
                rectification,
                _("%(unit)s: a rectification is past its deadline (%(deadline)s).")
                % {"unit": rectification.unit.name, "deadline": rectification.deadline.isoformat()},
                f"rectification-overdue-{rectification.pk}-{rectification.deadline.isoformat()}",
                whom,
            )
        told += 1
    return told
