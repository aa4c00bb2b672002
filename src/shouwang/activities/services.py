"""Every write of activities, interest groups, training and commendations: one transaction
each, ``full_clean()`` before saving, an audit entry in the same transaction. Nothing is
deleted: a row recorded by mistake is voided with a reason. The callers (pages, API, demo)
have found the rows through the selectors, the caller's scope applied."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child, Guardian
from shouwang.core.concurrency import check_version, version_token
from shouwang.orgs.models import Org, OrgKind

from .models import (
    Activity,
    ActivityStatus,
    Attendance,
    AttendeeKind,
    Commendation,
    InterestGroup,
    Membership,
    Photo,
    RecipientKind,
    Session,
    Trainee,
    TraineeKind,
    TrainingSession,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

# --- activities ------------------------------------------------------------------------------

# What the edit form was opened at (a save over someone else's change is refused).
PLAN_FIELDS = ("kind", "title", "place", "starts_on", "budget", "materials", "outcome", "status")


def activity_state(activity: Activity) -> dict[str, Any]:
    """What an edit form was opened at. The token is signed, not encrypted: the budget (money,
    which a teacher in charge may not see) goes into it only as a keyed digest."""
    row = Activity.objects.filter(pk=activity.pk).values(*PLAN_FIELDS).get()
    row["budget"] = salted_hmac("activities.budget", str(row["budget"])).hexdigest()[:16]
    row["in_charge"] = sorted(activity.in_charge.values_list("pk", flat=True))
    row["volunteers"] = sorted(activity.volunteers.values_list("pk", flat=True))
    return row


def activity_version(activity: Activity) -> str:
    return version_token(activity_state(activity))


def _check_people(unit: Org, in_charge: Sequence[User]) -> None:
    if not in_charge:
        raise ValidationError({"in_charge": _("Name at least one person in charge.")})


@transaction.atomic
def plan_activity(
    *,
    unit: Org,
    kind: str,
    title: str,
    starts_on: date,
    in_charge: Sequence[User],
    by: User | None,
    place: str = "",
    volunteers: Sequence[User] = (),
    budget: Decimal | None = None,
    materials: str = "",
    starts_at: time | None = None,
    ends_at: time | None = None,
) -> Activity:
    """A planned activity with its first session on ``starts_on``."""
    if unit.kind == OrgKind.GRADE:
        raise ValidationError({"unit": _("Choose a school, class or region.")})
    _check_people(unit, in_charge)
    if budget is not None and budget < 0:
        raise ValidationError({"budget": _("A budget cannot be negative.")})
    activity = Activity(
        unit=unit,
        kind=kind,
        title=title.strip(),
        place=place.strip(),
        starts_on=starts_on,
        budget=budget,
        materials=materials.strip(),
        created_by=by,
    )
    activity.full_clean()
    activity.save()
    activity.in_charge.set(in_charge)
    activity.volunteers.set(volunteers)
    session = Session(
        activity=activity, on=starts_on, starts_at=starts_at, ends_at=ends_at, place=place
    )
    session.full_clean()
    session.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=activity,
        org_path=unit.path,
        changes={
            "kind": kind,
            "title": activity.title,
            "on": str(starts_on),
            "in_charge": [u.pk for u in in_charge],
            "volunteers": [u.pk for u in volunteers],
            "budget": str(budget) if budget is not None else None,
        },
    )
    return activity


def _shown(key: str, value: Any) -> Any:
    return "…" if key == "budget" else value


@transaction.atomic
def change_activity(
    *, activity: Activity, by: User | None, version: str, **values: Any
) -> Activity:
    """The plan or the outcome changed (``values``: any of PLAN_FIELDS, ``in_charge``,
    ``volunteers``); a form opened before someone else's change is refused."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    check_version(version, activity_state(activity), shown=_shown)
    before, budget = activity_state(activity), activity.budget
    people = {k: values.pop(k) for k in ("in_charge", "volunteers") if k in values}
    if "in_charge" in people:
        _check_people(activity.unit, people["in_charge"])
    if values.get("status") == ActivityStatus.CANCELLED and not values.get("cancel_reason"):
        raise ValidationError({"status": _("Say why the activity was cancelled.")})
    for key, value in values.items():
        if key not in (*PLAN_FIELDS, "cancel_reason"):
            raise ValidationError(_("This cannot be changed here."))
        setattr(activity, key, value.strip() if isinstance(value, str) else value)
    if activity.budget is not None and activity.budget < 0:
        raise ValidationError({"budget": _("A budget cannot be negative.")})
    activity.full_clean()
    activity.save()
    for key, users in people.items():
        getattr(activity, key).set(users)
    after = activity_state(activity)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=activity,
        org_path=activity.unit.path,
        changes={
            k: [str(budget), str(activity.budget)]
            if k == "budget"
            else [str(before[k]), str(after[k])]
            for k in after
            if before[k] != after[k]
        },
    )
    return activity


@transaction.atomic
def add_session(
    *,
    activity: Activity,
    on: date,
    by: User | None,
    starts_at: time | None = None,
    ends_at: time | None = None,
    place: str = "",
) -> Session:
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValidationError({"ends_at": _("A session ends after it starts.")})
    session = Session(
        activity=activity, on=on, starts_at=starts_at, ends_at=ends_at, place=place.strip()
    )
    session.full_clean()
    session.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=session,
        org_path=activity.unit.path,
        changes={"activity": activity.pk, "on": str(on)},
    )
    return session


def group_state(session: Session, group: Org) -> dict[str, Any]:
    present = Attendance.objects.filter(
        session=session, voided_at__isnull=True, child__in=_group_children(group)
    )
    return {"present": sorted(present.values_list("child_id", flat=True))}


def attendance_version(session: Session, group: Org) -> str:
    return version_token(group_state(session, group))


def _group_children(group: Org) -> Any:
    if group.kind == OrgKind.SCHOOL_CLASS:
        return Child.objects.filter(school_class=group)
    return Child.objects.filter(home_village=group, school=group)


def _check_session_day(session: Session) -> None:
    if session.on > timezone.localdate():
        raise ValidationError(_("Attendance is taken on or after the session's day."))


@transaction.atomic
def take_attendance(
    *,
    session: Session,
    group: Org,
    present: Iterable[Child],
    by: User | None,
    version: str,
) -> dict[str, int]:
    """The children of one class list (or village) at a session: the ticked ones are present,
    the unticked ones that were present are voided ("unticked"). A list opened before someone
    else saved it is refused. Children outside the list are refused."""
    list(Session.objects.select_for_update().filter(pk=session.pk).values_list("pk"))
    check_version(version, group_state(session, group), label=lambda _k: _("Attendance"))
    _check_session_day(session)
    if session.activity.status == ActivityStatus.CANCELLED:
        raise ValidationError(_("The activity was cancelled."))
    wanted = {child.pk: child for child in present}
    allowed = set(_group_children(group).filter(pk__in=wanted).values_list("pk", flat=True))
    if set(wanted) - allowed:
        raise ValidationError({"children": _("Tick children of this list only.")})
    rows = Attendance.objects.filter(
        session=session, voided_at__isnull=True, child__in=_group_children(group)
    )
    there = set(rows.values_list("child_id", flat=True))
    added = [pk for pk in wanted if pk not in there]
    removed = sorted(there - set(wanted))
    for pk in added:
        row = Attendance(session=session, kind=AttendeeKind.CHILD, child=wanted[pk], recorded_by=by)
        row.full_clean()
        row.save()
    if removed:
        rows.filter(child__in=removed).update(
            voided_at=timezone.now(), void_reason=_("Unticked on the class list")
        )
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=session,
        org_path=session.activity.unit.path,
        changes={"group": group.code or group.pk, "added": sorted(added), "removed": removed},
    )
    return {"added": len(added), "removed": len(removed)}


@transaction.atomic
def add_adults(
    *,
    session: Session,
    kind: str,
    by: User | None,
    name: str = "",
    count: int = 1,
    guardian: Guardian | None = None,
    user: User | None = None,
) -> Attendance:
    """An adult at a session by name (one person), or a group nobody names by its number
    (seed 000: 32 cadres)."""
    _check_session_day(session)
    if kind == AttendeeKind.CHILD:
        raise ValidationError({"kind": _("Children are ticked on their class list.")})
    if guardian is not None:
        kind, name = AttendeeKind.GUARDIAN, name or guardian.name
    if user is not None:
        name = name or user.get_full_name() or user.get_username()
    name = name.strip()
    if name and count != 1:
        raise ValidationError({"count": _("A named person is one person.")})
    if count < 1:
        raise ValidationError({"count": _("Give the number of people.")})
    row = Attendance(
        session=session,
        kind=kind,
        name=name,
        count=count,
        guardian=guardian,
        user=user,
        recorded_by=by,
    )
    row.full_clean()
    row.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=row,
        org_path=session.activity.unit.path,
        changes={"session": session.pk, "kind": kind, "name": name, "count": count},
    )
    return row


@transaction.atomic
def void_attendance(*, row: Attendance, by: User | None, reason: str) -> Attendance:
    row = Attendance.objects.select_for_update().get(pk=row.pk)
    if row.voided_at is not None:
        raise ValidationError(_("This row was already struck out."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why.")})
    row.voided_at, row.void_reason = timezone.now(), reason.strip()
    row.full_clean()
    row.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=row,
        org_path=row.session.activity.unit.path,
        changes={"voided": reason.strip()},
    )
    return row


@transaction.atomic
def add_photo(*, activity: Activity, image: Any, by: User | None, caption: str = "") -> Photo:
    """Stored under a random name (a phone's file name may carry a child's name)."""
    photo = Photo(activity=activity, caption=caption.strip(), uploaded_by=by)
    suffix = Path(image.name or "").suffix.lower()
    photo.image.save(f"{secrets.token_urlsafe(12)}{suffix}", image, save=False)
    photo.full_clean()
    photo.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=photo,
        org_path=activity.unit.path,
        changes={"activity": activity.pk, "caption": photo.caption},
    )
    return photo


# --- interest groups -------------------------------------------------------------------------


@transaction.atomic
def add_group(
    *, unit: Org, name: str, started_on: date, by: User | None, leader: str = ""
) -> InterestGroup:
    group = InterestGroup(
        unit=unit, name=name.strip(), leader=leader.strip(), started_on=started_on
    )
    group.full_clean()
    group.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=group,
        org_path=unit.path,
        changes={"name": group.name, "leader": group.leader},
    )
    return group


@transaction.atomic
def join_group(*, group: InterestGroup, child: Child, on: date, by: User | None) -> Membership:
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    if Membership.objects.filter(group=group, child=child, left_on__isnull=True).exists():
        raise ValidationError({"child": _("The child is already in this group.")})
    membership = Membership(group=group, child=child, joined_on=on)
    membership.full_clean()
    membership.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=membership,
        org_path=group.unit.path,
        changes={"child": child.pk, "joined_on": str(on)},
    )
    return membership


@transaction.atomic
def leave_group(*, membership: Membership, on: date, by: User | None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.left_on is not None:
        raise ValidationError(_("The child has left this group already."))
    if on < membership.joined_on:
        raise ValidationError({"on": _("A child leaves after joining.")})
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    membership.left_on = on
    membership.full_clean()
    membership.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=membership,
        org_path=membership.group.unit.path,
        changes={"left_on": str(on)},
    )
    return membership


# --- training --------------------------------------------------------------------------------


@transaction.atomic
def add_training(
    *,
    unit: Org,
    kind: str,
    title: str,
    on: date,
    by: User | None,
    place: str = "",
    trainer: str = "",
) -> TrainingSession:
    session = TrainingSession(
        unit=unit,
        kind=kind,
        title=title.strip(),
        on=on,
        place=place.strip(),
        trainer=trainer.strip(),
        created_by=by,
    )
    session.full_clean()
    session.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=session,
        org_path=unit.path,
        changes={"kind": kind, "title": session.title, "on": str(on)},
    )
    return session


@transaction.atomic
def add_trainees(
    *,
    session: TrainingSession,
    by: User | None,
    guardians: Iterable[Guardian] = (),
    kind: str = "",
    names: Iterable[str] = (),
) -> list[Trainee]:
    """Guardians from the archive (each once per session), and people by name."""
    if session.on > timezone.localdate():
        raise ValidationError(_("Attendance is taken on or after the session's day."))
    there = set(
        session.trainees.filter(voided_at__isnull=True, guardian__isnull=False).values_list(
            "guardian_id", flat=True
        )
    )
    made: list[Trainee] = []
    for guardian in guardians:
        if guardian.pk in there:
            continue
        there.add(guardian.pk)
        made.append(
            Trainee(
                session=session,
                kind=TraineeKind.GUARDIAN,
                guardian=guardian,
                name=guardian.name,
                recorded_by=by,
            )
        )
    cleaned = [n.strip() for n in names if n.strip()]
    if cleaned and kind not in TraineeKind.values:
        raise ValidationError({"kind": _("Say who they are.")})
    made += [Trainee(session=session, kind=kind, name=n, recorded_by=by) for n in cleaned]
    if not made:
        raise ValidationError(_("Choose or name at least one person."))
    for trainee in made:
        trainee.full_clean()
        trainee.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=session,
        org_path=session.unit.path,
        changes={"trainees_added": [t.pk for t in made]},
    )
    return made


@transaction.atomic
def void_trainee(*, trainee: Trainee, by: User | None, reason: str) -> Trainee:
    trainee = Trainee.objects.select_for_update().get(pk=trainee.pk)
    if trainee.voided_at is not None or not reason.strip():
        raise ValidationError({"reason": _("Say why.")})
    trainee.voided_at, trainee.void_reason = timezone.now(), reason.strip()
    trainee.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=trainee,
        org_path=trainee.session.unit.path,
        changes={"voided": reason.strip()},
    )
    return trainee


# --- commendations ---------------------------------------------------------------------------


@transaction.atomic
def commend(
    *,
    unit: Org,
    on: date,
    occasion: str,
    honour: str,
    recipient_kind: str,
    by: User | None,
    children: Iterable[Child] = (),
    recipient: str = "",
) -> list[Commendation]:
    """A commendation of each child given (``recipient_kind`` child), or of one person or unit
    by name."""
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    if recipient_kind == RecipientKind.CHILD:
        rows = [
            Commendation(
                unit=unit,
                on=on,
                occasion=occasion.strip(),
                honour=honour.strip(),
                recipient_kind=recipient_kind,
                child=child,
                recipient=child.name,
                created_by=by,
            )
            for child in children
        ]
        if not rows:
            raise ValidationError({"children": _("Choose the children commended.")})
    else:
        if not recipient.strip():
            raise ValidationError({"recipient": _("Name who was commended.")})
        rows = [
            Commendation(
                unit=unit,
                on=on,
                occasion=occasion.strip(),
                honour=honour.strip(),
                recipient_kind=recipient_kind,
                recipient=recipient.strip(),
                created_by=by,
            )
        ]
    for row in rows:
        row.full_clean()
        row.save()
        audit.record(
            actor=by,
            action=AuditAction.CREATE,
            obj=row,
            org_path=unit.path,
            changes={"honour": row.honour, "occasion": row.occasion, "who": recipient_kind},
        )
    return rows
