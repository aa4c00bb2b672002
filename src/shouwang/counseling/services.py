"""Counseling writes: atomic and audited — the audit says what was written, never the notes."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.orgs.models import Org, OrgKind

from .models import CounselingSession, IndividualPlan, MailboxLetter, MailboxOpening, PlanReview

if TYPE_CHECKING:
    from shouwang.accounts.models import User


def _not_future(on: date, field: str = "on") -> None:
    if on > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})


@transaction.atomic
def add_session(
    *,
    child: Child,
    kind: str,
    on: date,
    topic: str,
    notes: str,
    by: User,
    minutes: int | None = None,
) -> CounselingSession:
    _not_future(on)
    if not notes.strip():
        raise ValidationError({"notes": _("Write what was talked about.")})
    session = CounselingSession.objects.create(
        child=child,
        school_id=child.school_id,
        kind=kind,
        on=on,
        minutes=minutes,
        topic=topic.strip(),
        notes=notes.strip(),
        by=by,
    )
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=session,
        org_path=child.school.path,
        changes={"child": child.pk, "kind": kind, "on": str(on)},
    )
    from shouwang.notices.services import tell_mentioned

    from .selectors import sees_counseling_of

    tell_mentioned(
        session.notes,
        by=by,
        about=f"{child.name} · {session.get_kind_display()}",
        url=reverse("counseling:child", args=[child.pk]),
        key=f"counseling-session-{session.pk}",
        may_see=lambda u: sees_counseling_of(u, child),
        private=True,  # no child's name and counseling in a text message or an e-mail
    )
    return session


@transaction.atomic
def add_letter(
    *,
    school: Org,
    opened_on: date,
    text: str,
    by: User,
    child: Child | None = None,
    scan: UploadedFile | None = None,
) -> MailboxLetter:
    _not_future(opened_on, "opened_on")
    if not text.strip() and not scan:
        raise ValidationError({"text": _("Type the letter in, or attach a scan of it.")})
    if child is not None and child.school_id != school.pk:
        raise ValidationError({"child": _("The child is not at this school.")})
    open_mailbox(school=school, on=opened_on, by=by)
    letter = MailboxLetter(
        school=school, child=child, opened_on=opened_on, text=text.strip(), by=by
    )
    if scan:
        # A random name: the file name a phone gives may carry the child's name.
        suffix = Path(scan.name or "").suffix.lower()
        letter.scan.save(f"{secrets.token_urlsafe(12)}{suffix}", scan, save=False)
    letter.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=letter,
        org_path=school.path,
        changes={
            "opened_on": str(opened_on),
            "signed": child is not None,
            "scanned": bool(scan),
        },
    )
    return letter


@transaction.atomic
def open_mailbox(*, school: Org, on: date, by: User | None) -> MailboxOpening:
    """Record that the school's box was opened on ``on`` (with letters or empty); once a day."""
    _not_future(on, "opened_on")
    opening, created = MailboxOpening.objects.get_or_create(
        school=school, opened_on=on, defaults={"by": by}
    )
    if created:
        audit.record(
            actor=by,
            action=AuditAction.CREATE,
            obj=opening,
            org_path=school.path,
            changes={"opened_on": str(on)},
        )
    return opening


def remind_unopened_mailboxes(on: date) -> int:
    """Tell the counselors and leaders of each school whose box has waited longer than a week
    since its last opening — once per ISO week. Schools that never opened one are not nagged:
    the mailbox is theirs to start. Returns how many people were told now."""
    from shouwang.accounts.models import User
    from shouwang.accounts.policy import Action, Area
    from shouwang.accounts.scope import told_at
    from shouwang.notices.services import notify

    from .selectors import MAILBOX_DAYS, last_openings

    late = {
        school: last
        for school, last in last_openings(
            Org.objects.filter(kind=OrgKind.SCHOOL, is_active=True)
        ).items()
        if (on - last).days > MAILBOX_DAYS
    }
    if not late:
        return 0
    year, week, _day = on.isocalendar()
    told = 0
    people = told_at(Area.COUNSELING, Action.ALERT, list(late))
    users = User.objects.in_bulk({u for ids in people.values() for u in ids})
    for school in late:
        if school.pk not in people:
            continue
        told += notify(
            [users[pk] for pk in sorted(people[school.pk])],
            text=_("The whisper mailbox of %(school)s was last opened on %(on)s.")
            % {"school": school.name, "on": late[school]},
            url=reverse("counseling:overview"),
            key=f"mailbox-{school.pk}-{year}-W{week:02d}",
        )
    return told


@transaction.atomic
def reply(*, letter: MailboxLetter, text: str, by: User) -> MailboxLetter:
    if not text.strip():
        raise ValidationError({"text": _("Write the reply.")})
    letter = MailboxLetter.objects.select_for_update().select_related("school").get(pk=letter.pk)
    if letter.reply:  # a reply once given is kept, never written over
        raise ValidationError(_("This letter has a reply already."))
    letter.reply, letter.replied_on = text.strip(), timezone.localdate()
    letter.save(update_fields=["reply", "replied_on"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=letter,
        org_path=letter.school.path,
        changes={"replied": True},
    )
    return letter


REVIEW_WITHIN_DAYS = 366  # a plan is looked at again within the school year


def _check_review_day(day: date, today: date, field: str) -> None:
    if day <= today:
        raise ValidationError({field: _("The review date must be after today.")})
    if (day - today).days > REVIEW_WITHIN_DAYS:
        raise ValidationError({field: _("Review the plan within a year.")})


@transaction.atomic
def start_plan(
    *, child: Child, problem: str, measures: str, review_on: date, by: User
) -> IndividualPlan:
    today = timezone.localdate()
    _check_review_day(review_on, today, "review_on")
    plan = IndividualPlan.objects.create(
        child=child,
        school_id=child.school_id,
        problem=problem.strip(),
        measures=measures.strip(),
        started_on=today,
        review_on=review_on,
        by=by,
    )
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=plan,
        org_path=child.school.path,
        changes={"child": child.pk, "review_on": str(review_on)},
    )
    return plan


@transaction.atomic
def review_plan(
    *, plan: IndividualPlan, progress: str, next_review_on: date, by: User
) -> PlanReview:
    today = timezone.localdate()
    _check_review_day(next_review_on, today, "next_review_on")
    review = PlanReview.objects.create(
        plan=plan, on=today, progress=progress.strip(), next_review_on=next_review_on, by=by
    )
    plan.review_on = next_review_on
    plan.save(update_fields=["review_on"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=plan,
        org_path=plan.child.school.path,
        changes={"review_on": str(next_review_on)},
    )
    return review
