"""Who sees counseling: counselors and the leadership of the child's school, region officers
over it. Nobody else — not the class teacher, never a volunteer (domain.md §1). Views audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.orgs.models import Org, OrgKind

from .models import CounselingSession, IndividualPlan, MailboxLetter, MailboxOpening

MAILBOX_DAYS = 7  # the box is opened weekly; after this many days it is late


@dataclass(frozen=True)
class Mailbox:
    school: Org
    last_opened: date | None
    days: int | None  # since the last opening
    late: bool


def last_openings(schools: QuerySet[Org]) -> dict[Org, date]:
    """Each school's last opening of its box (schools that never opened one are absent)."""
    rows = (
        MailboxOpening.objects.filter(school__in=schools)
        .values("school")
        .annotate(last=Max("opened_on"))
    )
    last = {row["school"]: row["last"] for row in rows}
    return {school: last[school.pk] for school in schools.filter(pk__in=last)}


def mailboxes_for(user: Any, today: date) -> list[Mailbox]:
    """The boxes of the schools the user counsels for, the late ones and the never opened first."""
    schools = Org.objects.filter(schools_q(user, "path"), kind=OrgKind.SCHOOL).order_by("path")
    last = last_openings(schools)
    boxes = []
    for school in schools:
        on = last.get(school)
        days = (today - on).days if on else None
        boxes.append(Mailbox(school, on, days, days is None or days > MAILBOX_DAYS))
    return sorted(boxes, key=lambda box: not box.late)


def schools_q(user: Any, field: str = "school__path") -> Q:
    """Rows (by the path ``field`` of their school) whose counseling the user sees."""
    return scope_of(user).units_q(Area.COUNSELING, Action.VIEW, field)


def may_counsel(user: Any) -> bool:
    return scope_of(user).may(Area.COUNSELING, Action.VIEW)


def sees_counseling_of(user: Any, child: Child) -> bool:
    return scope_of(user).may(Area.COUNSELING, Action.VIEW, child)


def child_for_counseling(user: Any, pk: int) -> Child:
    """The child, if the user may see their counseling; the look is audited."""
    if not may_counsel(user):
        raise Http404
    child = get_object_or_404(Child.objects.filter(schools_q(user)), pk=pk)
    _looked_at(user, child, child.school.path, "counseling")
    return child


def _looked_at(user: Any, obj: Child | MailboxLetter, org_path: str, what: str) -> None:
    """Every look at counseling is a VIEW entry in the audit log, naming what was seen."""
    audit.record_read(
        actor=user, action=AuditAction.VIEW, obj=obj, org_path=org_path, changes={"what": what}
    )


def sessions_of(child: Child) -> QuerySet[CounselingSession]:
    return CounselingSession.objects.filter(child=child).select_related("by")


def plans_of(child: Child) -> QuerySet[IndividualPlan]:
    return IndividualPlan.objects.filter(child=child).prefetch_related("reviews")


def letters_for(user: Any) -> QuerySet[MailboxLetter]:
    return MailboxLetter.objects.filter(schools_q(user)).select_related("child", "school")


def letter_for(user: Any, pk: int) -> MailboxLetter:
    return get_object_or_404(letters_for(user), pk=pk)


def letter_read_by(user: Any, pk: int) -> MailboxLetter:
    """A letter shown to be answered; the look is audited."""
    letter = letter_for(user, pk)
    _looked_at(user, letter, letter.school.path, "letter")
    return letter


def record_overview_seen(
    user: Any, letters: list[MailboxLetter], plans: list[IndividualPlan]
) -> None:
    """The counseling overview shows letters and plans of many children: one audit entry names
    them all."""
    audit.record_read(
        actor=user,
        action=AuditAction.VIEW,
        object_repr="counseling overview",
        org_path=_common_path(
            [letter.school.path for letter in letters] + [plan.child.school.path for plan in plans]
        ),
        changes={
            "what": "counseling overview",
            "letters": [letter.pk for letter in letters],
            "plans": [plan.pk for plan in plans],
        },
    )


def _common_path(paths: list[str]) -> str:
    """The deepest org path above all of ``paths`` (whole steps only)."""
    if not paths:
        return ""
    common = min(paths)
    for path in paths:
        while not path.startswith(common):
            common = common[: -Org.steplen]
    return common


def letter_scan_for(user: Any, pk: int) -> MailboxLetter:
    """A letter's scan, for those who see the mailbox; the look is audited."""
    letter = letter_for(user, pk)
    if not letter.scan:
        raise Http404
    _looked_at(user, letter, letter.school.path, "letter scan")
    return letter


def plans_due_for(user: Any) -> QuerySet[IndividualPlan]:
    return (
        IndividualPlan.objects.filter(schools_q(user), ended_on__isnull=True)
        .select_related("child__school")
        .order_by("review_on")
    )
