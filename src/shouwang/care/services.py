"""Every write of care work: atomic, validated, audited (on the child's school path).

Who may do what is decided by the selectors the views call first (scope); the services check
what the data itself must satisfy: dates in order, a reason where one is owed, nothing lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import told_at
from shouwang.accounts.selectors import caring_unit_of
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import IN_REGISTER, Child
from shouwang.core.concurrency import StaleEdit
from shouwang.orgs.models import Org, OrgKind

from .models import (
    Caregiver,
    CarePlan,
    CarePlanItem,
    CarePlanReview,
    CareRecord,
    ClosedDayStamp,
    DutyPolicy,
    DutyRule,
    FollowUp,
    FollowUpKind,
    Pairing,
)
from .selectors import caregivers_pairable_by, records_correctable_by

if TYPE_CHECKING:
    from shouwang.accounts.models import User

RECORD_FIELDS = ("kind", "on", "minutes", "with_whom", "findings", "abnormal", "caregiver")
# A record longer than a school day is a typing slip.
MAX_MINUTES = 600


def _county_of(org: Org) -> Org | None:
    if org.kind == OrgKind.COUNTY:
        return org
    return Org.objects.get_ancestors(org).filter(kind=OrgKind.COUNTY).first()


def _validate(obj: Any) -> None:
    # clean() says it in words; the same rule as a database constraint would only repeat it.
    obj.full_clean(validate_constraints=False)


# --- caregivers and pairings --------------------------------------------------------------


@transaction.atomic
def add_caregiver(
    *,
    name: str,
    kind: str,
    org: Org,
    by: User | None,
    phone: str = "",
    user: User | None = None,
) -> Caregiver:
    caregiver = Caregiver(
        name=name.strip(),
        kind=kind,
        org=org,
        phone=phone.strip(),
        user=user,
        county=_county_of(org),
    )
    _validate(caregiver)
    caregiver.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=caregiver,
        org_path=org.path,
        changes={"name": caregiver.name, "kind": kind, "user": getattr(user, "pk", None)},
    )
    return caregiver


def caregiver_for_login(user: User) -> Caregiver:
    """The caregiver a login records care as; made from their first role the first time."""
    existing = Caregiver.objects.filter(user=user).first()
    if existing is not None:
        return existing
    # The caregiver kind follows the first role that looks after children (not the sysadmin's).
    caring = caring_unit_of(user)
    if caring is None:
        raise ValidationError(_("Only people with a role in a unit record care."))
    kind, org = caring
    if org.kind in (OrgKind.SCHOOL_CLASS, OrgKind.GRADE):
        org = Org.objects.get_ancestors(org).get(kind=OrgKind.SCHOOL)
    return add_caregiver(
        name=user.display_name,
        kind=kind,
        org=org,
        phone=user.phone,
        user=user,
        by=user,
    )


@transaction.atomic
def pair(
    *,
    child: Child,
    caregiver: Caregiver,
    role: str,
    starts_on: date,
    by: User | None,
    ends_on: date | None = None,
) -> Pairing:
    _check_pairable([caregiver], by)
    return _make_pairing(
        child=child, caregiver=caregiver, role=role, starts_on=starts_on, by=by, ends_on=ends_on
    )


def _make_pairing(
    *,
    child: Child,
    caregiver: Caregiver,
    role: str,
    starts_on: date,
    by: User | None,
    ends_on: date | None = None,
) -> Pairing:
    if child.status not in IN_REGISTER:
        raise ValidationError(_("Only children in the register are paired."))
    if not caregiver.is_active:
        raise ValidationError(_("This caregiver no longer takes part."))
    open_pairing = Pairing.objects.filter(child=child, caregiver=caregiver, ends_on__isnull=True)
    if open_pairing.exists():
        raise ValidationError(
            _("%(caregiver)s is already paired with %(child)s.")
            % {"caregiver": caregiver.name, "child": child.name}
        )
    pairing = Pairing(
        child=child,
        caregiver=caregiver,
        role=role,
        county_id=child.county_id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    _validate(pairing)
    pairing.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=pairing,
        object_repr=f"{caregiver.name} → {child.name}",
        org_path=child.school.path,
        changes={"caregiver": caregiver.name, "role": role, "starts_on": str(starts_on)},
    )
    return pairing


@transaction.atomic
def pair_many(
    *,
    children: Iterable[Child],
    caregivers: Iterable[tuple[Caregiver, str]],
    starts_on: date,
    by: User | None,
) -> list[Pairing]:
    """一对一, 二对一 or 多对一 in one step: every caregiver (with their role) to every child."""
    caregivers = list(caregivers)
    _check_pairable([caregiver for caregiver, _role in caregivers], by)  # once, not per child
    made = []
    for child in children:
        for caregiver, role in caregivers:
            made.append(
                _make_pairing(
                    child=child, caregiver=caregiver, role=role, starts_on=starts_on, by=by
                )
            )
    return made


def _check_pairable(caregivers: list[Caregiver], by: User | None) -> None:
    """A pairing lets the caregiver see the child: only the unit's own (issue 16)."""
    if by is None:
        return
    allowed = set(
        caregivers_pairable_by(by)
        .filter(pk__in=[c.pk for c in caregivers])
        .values_list("pk", flat=True)
    )
    for caregiver in caregivers:
        if caregiver.pk not in allowed:
            raise ValidationError(
                {
                    "caregivers": _("%(caregiver)s is not one of your unit's caregivers.")
                    % {"caregiver": caregiver.name}
                }
            )


@transaction.atomic
def end_pairing(
    *,
    pairing: Pairing,
    on: date,
    reason: str,
    by: User | None,
    handover_to: Caregiver | None = None,
) -> Pairing | None:
    """End a pairing with a reason; hand the child over to someone else from the next day."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the pairing ends.")})
    if pairing.ends_on is not None and pairing.ends_on < timezone.localdate():
        raise ValidationError(_("This pairing has already ended."))
    if on < pairing.starts_on:
        raise ValidationError({"on": _("A pairing cannot end before it starts.")})
    if handover_to is not None and handover_to.pk == pairing.caregiver_id:
        raise ValidationError({"handover_to": _("Hand the child over to someone else.")})
    successor = None
    if handover_to is not None:
        successor = pair(
            child=pairing.child,
            caregiver=handover_to,
            role=pairing.role,
            starts_on=on + timedelta(days=1),
            by=by,
        )
    before = {"ends_on": str(pairing.ends_on) if pairing.ends_on else None}
    pairing.ends_on, pairing.end_reason, pairing.handed_over_to = on, reason[:200], successor
    pairing.save(update_fields=["ends_on", "end_reason", "handed_over_to"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=pairing,
        object_repr=f"{pairing.caregiver.name} → {pairing.child.name}",
        org_path=pairing.child.school.path,
        changes={
            "ends_on": [before["ends_on"], str(on)],
            "end_reason": reason,
            "handed_over_to": handover_to.name if handover_to else None,
        },
    )
    return successor


# --- care records -------------------------------------------------------------------------


def _check_record(record: CareRecord) -> None:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if record.on and record.on > today:
        errors["on"] = _("A record is written after the contact: the date cannot be in the future.")
    if record.on and record.on < today - timedelta(days=366):
        errors["on"] = _("This date is more than a year ago; check the year.")
    if record.minutes is not None and not 1 <= record.minutes <= MAX_MINUTES:
        errors["minutes"] = _("Minutes run from 1 to %(max)d.") % {"max": MAX_MINUTES}
    if record.abnormal and not record.findings.strip():
        errors["findings"] = _("Say what was found, so the class teacher can follow it up.")
    if errors:
        raise ValidationError(errors)


def stamp_closed_days(days: Iterable[date]) -> None:
    """Mark the days before today among ``days`` as changed (``ClosedDayStamp``): every write of
    care records calls it, in its own transaction, with the days whose records it changed (a
    correction: the day it had and the day it has). A record of today stamps nothing; its day is
    kept only once it is two days old (``stats.selectors.care_person_times``), so a write that
    straddles midnight is still counted."""
    today = timezone.localdate()
    closed = sorted({day for day in days if day < today})
    if not closed:
        return
    now = timezone.now()
    ClosedDayStamp.objects.bulk_create(
        [ClosedDayStamp(day=day, stamp=uuid.uuid4().hex, changed_at=now) for day in closed],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["stamp", "changed_at"],
    )


def open_follow_up(record: CareRecord) -> FollowUp:
    """发现异常: a task for the child's class teacher and the school's leadership."""
    child = record.child
    return FollowUp.objects.create(
        child=child,
        county_id=child.county_id,
        school_id=child.school_id,
        school_class_id=child.school_class_id,
        kind=FollowUpKind.ABNORMAL_FINDING,
        record=record,
        summary=record.findings,
        opened_on=record.on,
    )


@transaction.atomic
def record_care(
    *,
    child: Child,
    caregiver: Caregiver,
    kind: str,
    on: date,
    by: User,
    minutes: int | None = None,
    with_whom: str = "child",
    findings: str = "",
    abnormal: bool = False,
) -> CareRecord:
    """A visit, talk, call, letter… as written on the phone; "发现异常" opens a follow-up."""
    record = CareRecord(
        child=child,
        county_id=child.county_id,
        caregiver=caregiver,
        kind=kind,
        on=on,
        minutes=minutes,
        with_whom=with_whom,
        findings=findings.strip(),
        abnormal=abnormal,
        recorded_by=by,
    )
    _validate(record)
    _check_record(record)
    record.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=record,
        object_repr=f"{child.name} {record}",
        org_path=child.school.path,
        changes={"child": child.pk, "kind": kind, "on": str(on), "abnormal": abnormal},
    )
    if abnormal:
        open_follow_up(record)
    _tell_mentioned(record, by)
    stamp_closed_days([on])
    return record


def _tell_mentioned(record: CareRecord, by: User) -> None:
    """ "@username" in the findings tells that person, if they may see the child."""
    from django.urls import reverse

    from shouwang.children.selectors import children_visible_to
    from shouwang.notices.services import tell_mentioned

    child = record.child
    tell_mentioned(
        record.findings,
        by=by,
        about=f"{child.name} · {record.get_kind_display()}",
        url=reverse("care:record_detail", args=[record.pk]),
        key=f"care-record-{record.pk}",
        may_see=lambda u: children_visible_to(u).filter(pk=child.pk).exists(),
    )


@transaction.atomic
def correct_record(*, record: CareRecord, by: User, reason: str, **changes: Any) -> CareRecord:
    """A correction is a new version; the old one stays in the history, no longer current."""
    current = CareRecord.objects.select_for_update().get(pk=record.pk)
    if not current.is_current:
        raise StaleEdit(_("open its latest version"))
    if not records_correctable_by(by).filter(pk=current.pk).exists():
        # Pages and the API never offer it (404); this is the rule's last line.
        raise PermissionDenied("only the record's author and the school's managers correct it")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the record is corrected.")})
    unknown = set(changes) - set(RECORD_FIELDS) - {"withdrawn"}
    if unknown:
        raise ValueError(f"not a record field: {sorted(unknown)}")
    new = CareRecord(
        child=current.child,
        county_id=current.county_id,
        original_id=current.root_id,
        version=current.version + 1,
        recorded_by=by,
        reason=reason[:200],
        **{name: getattr(current, name) for name in RECORD_FIELDS},
    )
    for name, value in changes.items():
        setattr(new, name, value.strip() if isinstance(value, str) else value)
    _validate(new)
    if not new.withdrawn:
        _check_record(new)
    before = {name: getattr(current, name) for name in (*RECORD_FIELDS, "withdrawn")}
    after = {name: getattr(new, name) for name in (*RECORD_FIELDS, "withdrawn")}
    diff = audit.field_changes(
        {k: getattr(v, "pk", v) for k, v in before.items()},
        {k: getattr(v, "pk", v) for k, v in after.items()},
    )
    if not diff:
        raise ValidationError(_("Nothing was changed."))
    CareRecord.objects.filter(pk=current.pk).update(is_current=False)
    new.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=new,
        object_repr=f"{current.child.name} {new}",
        org_path=current.child.school.path,
        changes={**diff, "reason": reason, "version": new.version},
    )
    if new.abnormal and not current.abnormal and not new.withdrawn:
        open_follow_up(new)
    stamp_closed_days([current.on, new.on])
    return new


def withdraw_record(*, record: CareRecord, by: User, reason: str) -> CareRecord:
    """A record written for the wrong child or by mistake: a last version that no longer counts."""
    return correct_record(record=record, by=by, reason=reason, withdrawn=True)


@transaction.atomic
def close_follow_up(*, follow_up: FollowUp, outcome: str, by: User) -> FollowUp:
    outcome = outcome.strip()
    if not outcome:
        raise ValidationError({"outcome": _("Say what was done.")})
    if follow_up.closed_on is not None:
        raise ValidationError(_("This follow-up is already closed."))
    follow_up.closed_on, follow_up.closed_by, follow_up.outcome = timezone.localdate(), by, outcome
    follow_up.save(update_fields=["closed_on", "closed_by", "outcome"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=follow_up,
        object_repr=f"{follow_up.child.name} {follow_up.get_kind_display()}",
        org_path=follow_up.school.path,
        changes={"closed_on": str(follow_up.closed_on), "outcome": outcome},
    )
    return follow_up


# --- care plans ---------------------------------------------------------------------------


def _plan_audit(plan: CarePlan, by: User | None, action: str, changes: dict[str, Any]) -> None:
    audit.record(
        actor=by,
        action=action,
        obj=plan,
        object_repr=f"{plan.child.name} 帮扶方案",
        org_path=plan.child.school.path,
        changes=changes,
    )


@transaction.atomic
def start_plan(
    *, child: Child, review_on: date, by: User | None, on: date | None = None
) -> CarePlan:
    on = on or timezone.localdate()
    if CarePlan.objects.filter(child=child).exists():
        raise ValidationError(_("This child already has a care plan; review it instead."))
    if review_on <= on:
        raise ValidationError({"review_on": _("The review date must be after today.")})
    plan = CarePlan(
        child=child, county_id=child.county_id, started_on=on, review_on=review_on, created_by=by
    )
    _validate(plan)
    plan.save()
    _plan_audit(plan, by, AuditAction.CREATE, {"review_on": str(review_on)})
    return plan


@transaction.atomic
def add_plan_item(
    *,
    plan: CarePlan,
    area: str,
    need: str,
    measure: str,
    by: User | None,
    responsible: Caregiver | None = None,
) -> CarePlanItem:
    item = CarePlanItem(
        plan=plan,
        area=area,
        need=need.strip(),
        measure=measure.strip(),
        responsible=responsible,
        added_on=timezone.localdate(),
    )
    _validate(item)
    item.save()
    _plan_audit(
        plan,
        by,
        AuditAction.UPDATE,
        {"added": {"area": area, "need": item.need, "measure": item.measure}},
    )
    return item


@transaction.atomic
def end_plan_item(*, item: CarePlanItem, by: User) -> CarePlanItem:
    if item.ended_on is not None:
        raise ValidationError(_("This measure has already ended."))
    item.ended_on = timezone.localdate()
    item.save(update_fields=["ended_on"])
    _plan_audit(item.plan, by, AuditAction.UPDATE, {"ended": {"measure": item.measure}})
    return item


@transaction.atomic
def review_plan(
    *, plan: CarePlan, progress: str, next_review_on: date, by: User, on: date | None = None
) -> CarePlanReview:
    """A review records progress and sets the next review date (the next due task)."""
    on = on or timezone.localdate()
    if not progress.strip():
        raise ValidationError({"progress": _("Say how the child is doing.")})
    if next_review_on <= on:
        raise ValidationError({"next_review_on": _("The next review must be after today.")})
    review = CarePlanReview(
        plan=plan, on=on, progress=progress.strip(), next_review_on=next_review_on, by=by
    )
    _validate(review)
    review.save()
    before = plan.review_on
    plan.review_on = next_review_on
    plan.save(update_fields=["review_on"])
    _plan_audit(
        plan,
        by,
        AuditAction.UPDATE,
        {"review_on": [str(before), str(next_review_on)], "progress": review.progress},
    )
    return review


# --- duty policies ------------------------------------------------------------------------


@transaction.atomic
def apply_preset(*, preset: DutyPolicy, org: Org, by: User | None) -> DutyPolicy:
    """The unit takes a preset as its own policy (a copy it may edit)."""
    if preset.org_id is not None:
        raise ValidationError(_("Only presets are applied."))
    if DutyPolicy.objects.filter(org=org, code=preset.code, is_active=True).exists():
        raise ValidationError(_("%(name)s is already in force here.") % {"name": preset.name})
    policy = DutyPolicy.objects.create(
        org=org, code=preset.code, name=preset.name, source=preset.source, created_by=by
    )
    for rule in preset.rules.all():
        rule.pk = None
        rule.policy = policy
        rule.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=policy,
        org_path=org.path,
        changes={"preset": preset.code, "rules": [r.label for r in policy.rules.all()]},
    )
    return policy


@transaction.atomic
def add_policy(*, org: Org, name: str, by: User | None) -> DutyPolicy:
    policy = DutyPolicy(org=org, name=name.strip(), created_by=by)
    _validate(policy)
    policy.save()
    audit.record(actor=by, action=AuditAction.CREATE, obj=policy, org_path=org.path)
    return policy


@transaction.atomic
def add_rule(*, policy: DutyPolicy, by: User | None, **fields: Any) -> DutyRule:
    if policy.org_id is None:
        raise ValidationError(_("Presets are not edited; apply one and edit the copy."))
    rule = DutyRule(policy=policy, **fields)
    _validate(rule)
    rule.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=policy,
        org_path=policy.org.path if policy.org else "",
        changes={"added rule": rule.label},
    )
    return rule


@transaction.atomic
def set_policy_in_force(*, policy: DutyPolicy, in_force: bool, by: User | None) -> DutyPolicy:
    if policy.org_id is None:
        raise ValidationError(_("Presets are not edited; apply one and edit the copy."))
    if policy.is_active != in_force:
        policy.is_active = in_force
        policy.save(update_fields=["is_active"])
        audit.record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=policy,
            org_path=policy.org.path if policy.org else "",
            changes={"is_active": [not in_force, in_force]},
        )
    return policy


# --- telling people about overdue duties (the worker, daily) -------------------------------


def notify_overdue(on: date) -> int:
    """Tell everyone who owes overdue duties how many, once a week (the worker runs this daily;
    the notification key is the ISO week, so a second run the same week tells nobody again).
    Returns how many people were told now."""
    from collections import Counter

    from django.urls import reverse

    from shouwang.accounts.models import User
    from shouwang.notices.services import notify

    from . import engine
    from .selectors import obligations_for

    owed: Counter[int] = Counter()  # user id → overdue duties
    for county in Org.objects.filter(kind=OrgKind.COUNTY):
        children = Child.objects.filter(county=county, status__in=IN_REGISTER)
        overdue = [o for o in obligations_for(children, on) if o.status == engine.OVERDUE]
        if not overdue:
            continue
        login_of = dict(
            Caregiver.objects.filter(county=county, user__isnull=False).values_list("pk", "user")
        )
        # Duties a class owes go to its class teachers, a school's to its leaders (TELL).
        places = Org.objects.filter(
            path__startswith=county.path, kind__in=[OrgKind.SCHOOL_CLASS, OrgKind.SCHOOL]
        )
        told_of = told_at(Area.TASKS, Action.ALERT, list(places))
        holders: dict[tuple[str, int], list[int]] = {}
        for place in places:
            kind = "class" if place.kind == OrgKind.SCHOOL_CLASS else "school"
            holders[(kind, place.pk)] = sorted(told_of.get(place.pk, ()))
        for item in overdue:
            kind, pk = item.owner
            if kind == "caregiver":
                users = [login_of[pk]] if pk in login_of else []
            elif kind == "shared":
                users = [login_of[c] for c in item.caregiver_ids if c in login_of]
            else:
                users = holders.get(item.owner, [])
            for user_id in users:
                owed[user_id] += 1
    year, week, _day = on.isocalendar()
    told = 0
    for user in User.objects.filter(pk__in=owed, is_active=True):
        told += notify(
            [user],
            text=_("%(n)s of your care duties are overdue.") % {"n": owed[user.pk]},
            url=reverse("care:tasks"),
            key=f"care-overdue-{year}-W{week:02d}",
        )
    return told


def notify_overdue_follow_ups(on: date) -> int:
    """Tell the school's leaders (accounts.policy.TELL) of each follow-up open longer than
    SHOUWANG_FOLLOW_UP_DAYS, once: the notice's key is the follow-up's, so the daily run tells
    each person of each follow-up one time, in the app and through the outbox. Returns how many
    notices were written now."""
    from django.urls import reverse

    from shouwang.accounts.models import User
    from shouwang.notices.services import notify

    from . import follow_ups

    late = list(
        FollowUp.objects.filter(
            closed_on__isnull=True, opened_on__lt=follow_ups.overdue_before(on)
        ).select_related("child")
    )
    if not late:
        return 0
    told_of = told_at(
        Area.FOLLOW_UPS, Action.ALERT, Org.objects.filter(pk__in={f.school_id for f in late})
    )
    people = User.objects.in_bulk({pk for ids in told_of.values() for pk in ids})
    url = reverse("care:tasks") + "#follow-ups"
    told = 0
    for item in late:
        users = [people[pk] for pk in sorted(told_of.get(item.school_id, ())) if pk in people]
        if not users:
            continue
        # The finding's words stay in Shouwang: a text message names the child and the wait.
        told += notify(
            users,
            text=_("A follow-up for %(child)s has waited %(days)s days.")
            % {"child": item.child.name, "days": follow_ups.age(item.opened_on, on)},
            url=url,
            key=f"follow-up-{item.pk}-overdue",
        )
    return told
