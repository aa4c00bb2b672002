"""Every write to a child's archive: atomic, validated with the archive's own rules, audited.

The child's timeline is its audit trail (the audit app), so every change here is recorded there
with its before and after values.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.core.concurrency import check_version, version_token
from shouwang.core.fieldcrypt import lookup_hash
from shouwang.core.validators import mask_id_number, mask_phone
from shouwang.orgs.models import Org, OrgKind

from . import types
from .models import (
    IN_REGISTER,
    Anonymisation,
    ArchiveReview,
    Assessment,
    AssessmentKind,
    Child,
    ChildStatus,
    ClassHandover,
    ConsentRecord,
    ConsentScope,
    DefinitionProfile,
    DifficultyFlag,
    DuplicateCase,
    Guardian,
    GuardianAssessment,
    HeartLevelRule,
    Parent,
    ParentRelation,
    RegionProfile,
    RetentionRun,
    ReviewKind,
    ReviewSetting,
    ReviewState,
    RiskGrade,
    StatusChange,
)
from .profiles import age_limit_exceeded, profile_for

if TYPE_CHECKING:
    from shouwang.accounts.models import User

CHILD_FIELDS = ["school", *Child.ARCHIVE_FIELDS]
PARENT_FIELDS = ["name", "phone", "status", "work_place", "employer", "away_since", "visits_home"]
GUARDIAN_FIELDS = [
    "name",
    "relation",
    "age",
    "health",
    "literacy",
    "phone",
    "address",
    "responsibility_letter_signed_on",
]


def _values(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name, None)
        out[name] = getattr(value, "pk", value)
    return out


def _prefixed(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{prefix}.{k}": v for k, v in values.items()}


def archive_state(child_pk: int) -> dict[str, Any]:
    """The archive as stored: the child, both parents, the guardian and the open difficulties.
    What an edit form was opened at, and what a save compares against (read from the database,
    never from an instance a form may already have written its values onto)."""
    stored = Child.objects.get(pk=child_pk)
    state = _values(stored, CHILD_FIELDS)
    for parent in Parent.objects.filter(child_id=child_pk):
        state |= _prefixed(str(parent.relation), _values(parent, PARENT_FIELDS))
    guardian = Guardian.objects.filter(child_id=child_pk).first()
    if guardian is not None:
        state |= _prefixed("guardian", _values(guardian, GUARDIAN_FIELDS))
    kinds = DifficultyFlag.objects.filter(child_id=child_pk, ended_on__isnull=True)
    state["difficulties"] = sorted(kinds.values_list("kind", flat=True))
    return state


def edit_state(child_pk: int) -> dict[str, Any]:
    """The archive as its edit form shows it: as stored, with the change that waits for review
    on top (:func:`waiting_change`) — what the next edit starts from."""
    state = archive_state(child_pk)
    for key, (_before, after) in waiting_change(child_pk).items():
        if not key.startswith("_") and key not in DERIVED_KEYS:
            state[key] = after
    return state


def waiting_form_values(child_pk: int) -> dict[str, dict[str, Any]]:
    """The change waiting for review as the edit forms take it: {"": the child's fields,
    "father": …, "mother": …, "guardian": …}, so the unit's next edit opens at what it asked
    for, not at the confirmed archive (empty when nothing waits)."""
    out: dict[str, dict[str, Any]] = {}
    for key, (_before, after) in waiting_change(child_pk).items():
        if key.startswith("_") or key in DERIVED_KEYS:
            continue
        prefix, _dot, name = key.rpartition(".")
        value = list(after or []) if key == "difficulties" else _stored_to_python(key, after)
        out.setdefault(prefix, {})[name] = value
    return out


def archive_version(child: Child) -> str:
    """The token an edit form carries (core.concurrency): of what the form shows, so a change
    saved meanwhile, waiting for review or not, refuses the older form."""
    return version_token(edit_state(child.pk))


def archive_field(key: str) -> Any:
    """The model field an archive key names: ``name`` on the child, ``father.phone`` on the
    father's row, ``guardian.age`` on the guardian's (the form, the importer and the stale-form
    message all spell them so)."""
    prefix, _dot, name = key.rpartition(".")
    model: Any = {"father": Parent, "mother": Parent, "guardian": Guardian}.get(prefix, Child)
    return model._meta.get_field(name)


def _field_label(key: str) -> str:
    prefix, _dot, name = key.rpartition(".")
    try:
        label = str(archive_field(key).verbose_name)
    except Exception:
        label = str(_("Difficulties")) if name == "difficulties" else name
    if prefix:
        whose = {
            "father": _("Father"),
            "mother": _("Mother"),
            "guardian": _("Guardian"),
        }.get(prefix, prefix)
        return f"{whose}{label}"
    return label


def _shown_value(key: str, value: Any) -> Any:
    if key.endswith("id_number") and isinstance(value, str):
        return mask_id_number(value)
    if key.endswith("phone") and isinstance(value, str):
        return mask_phone(value)
    if key in ("school", "school_class", "home_village") and value is not None:
        org = Org.objects.filter(pk=value).only("name").first()
        return org.name if org else value
    return value


def _county_of(school: Org) -> Org:
    county = Org.objects.get_ancestors(school).filter(kind=OrgKind.COUNTY).first()
    if county is None:
        raise ValidationError({"school": _("The school is not inside a county.")})
    return county


def _check_placement(child: Child) -> None:
    """A child's unit is a school (and a class of it, or none yet) or, for a child in no school,
    their home village with no class (domain.md §2: preschoolers at home, dropouts)."""
    errors: dict[str, str] = {}
    if child.school.kind == OrgKind.VILLAGE:
        if child.school_class:
            errors["school_class"] = _("A child registered at a village is in no class.")
        if child.home_village != child.school:
            errors["home_village"] = _("A child registered at a village lives in it.")
    elif child.school.kind != OrgKind.SCHOOL:
        errors["school"] = _("Choose a school, or the village for a child in no school.")
    elif child.school_class and not (
        child.school_class.kind == OrgKind.SCHOOL_CLASS
        and child.school_class.path.startswith(child.school.path)
    ):
        errors["school_class"] = _("The class is not in this school.")
    if child.home_village and child.home_village.kind != OrgKind.VILLAGE:
        errors["home_village"] = _("Choose a village.")
    if errors:
        raise ValidationError(errors)


def _check_age_limit(child: Child, on: date) -> DefinitionProfile:
    profile = profile_for(child.school, on)
    if age_limit_exceeded(child.birth_date, profile, on):
        raise ValidationError(
            {
                "birth_date": _(
                    "The child is %(age)s: over the age limit of the definition in use "
                    "(%(profile)s: under %(limit)s)."
                )
                % {"age": child.age_on(on), "profile": profile.name, "limit": profile.age_limit}
            }
        )
    return profile


def _save_parts(
    child: Child,
    *,
    father: Mapping[str, Any],
    mother: Mapping[str, Any],
    guardian: Mapping[str, Any],
) -> dict[str, Any]:
    """Create or update father, mother and guardian rows; return the changed values."""
    changes: dict[str, Any] = {}
    for relation, data in ((ParentRelation.FATHER, father), (ParentRelation.MOTHER, mother)):
        parent = Parent.objects.filter(child=child, relation=relation).first() or Parent(
            child=child, relation=relation
        )
        before = _values(parent, PARENT_FIELDS) if parent.pk else {}
        for name in PARENT_FIELDS:
            if name in data:
                setattr(parent, name, data[name])
        _clean_part(parent, str(relation))
        parent.save()
        changes |= _prefixed(
            str(relation), audit.field_changes(before, _values(parent, PARENT_FIELDS))
        )
    guardian_row = Guardian.objects.filter(child=child).first() or Guardian(child=child)
    before = _values(guardian_row, GUARDIAN_FIELDS) if guardian_row.pk else {}
    for name in GUARDIAN_FIELDS:
        if name in guardian:
            setattr(guardian_row, name, guardian[name])
    _clean_part(guardian_row, "guardian")
    guardian_row.save()
    changes |= _prefixed(
        "guardian", audit.field_changes(before, _values(guardian_row, GUARDIAN_FIELDS))
    )
    return changes


def _clean_part(obj: Parent | Guardian, prefix: str) -> None:
    try:
        obj.full_clean(exclude=["child"])
    except ValidationError as exc:
        raise ValidationError(
            {f"{prefix}.{field}": msgs for field, msgs in exc.message_dict.items()}
        ) from exc


def _set_difficulties(child: Child, kinds: Iterable[str], on: date) -> dict[str, Any]:
    wanted = set(kinds)
    current = {f.kind: f for f in child.difficulties.filter(ended_on__isnull=True)}
    for kind in wanted - current.keys():
        DifficultyFlag.objects.create(child=child, kind=kind, noted_on=on)
    for kind in current.keys() - wanted:
        flag = current[kind]
        flag.ended_on = on
        flag.save(update_fields=["ended_on"])
    if wanted == current.keys():
        return {}
    return {"difficulties": [sorted(current), sorted(wanted)]}


def _derive(child: Child, *, by: User | None, on: date) -> None:
    """Refresh the derived columns: left-behind type, and the guardian class from the guardian."""
    child.left_behind_type = child.derive_left_behind_type()
    guardian = Guardian.objects.filter(child=child).first()
    reclassify_guardian(child, guardian, on=on, by=by)
    child.save(update_fields=["left_behind_type", "guardian_class", "name_initials"])


def reclassify_guardian(
    child: Child, guardian: Guardian | None, *, on: date, by: User | None
) -> None:
    """Set the derived guardian class; a new class is a dated classification row (seed 002).
    The caller saves the child (the ledger importer saves thousands at once)."""
    guardian_class = types.guardian_class(guardian.relation if guardian else None)
    if guardian_class and guardian_class != child.guardian_class:
        Assessment.objects.create(
            child=child,
            kind=AssessmentKind.GUARDIAN_CLASS,
            value=guardian_class,
            assessed_on=on,
            by=by,
            reasons={"guardian_relation": guardian.relation if guardian else ""},
        )
    child.guardian_class = guardian_class


def _raise_duplicates(child: Child) -> list[DuplicateCase]:
    """The same ID number in another archive is one child twice: open a case to merge."""
    others = (
        Child.objects.filter(id_hash=lookup_hash(child.id_number))
        .exclude(pk=child.pk)
        .exclude(status=ChildStatus.MERGED)
    )
    cases = []
    for other in others:
        first, second = sorted([other, child], key=lambda c: c.pk)
        case, _created = DuplicateCase.objects.get_or_create(
            first=first, second=second, defaults={"id_number": child.id_number}
        )
        cases.append(case)
    return cases


@transaction.atomic
def register_child(
    *,
    child: Mapping[str, Any],
    father: Mapping[str, Any],
    mother: Mapping[str, Any],
    guardian: Mapping[str, Any],
    difficulties: Iterable[str] = (),
    by: User | None,
    on: date | None = None,
    reason: str = "",
) -> Child:
    """Enter a child into the register with parents and guardian, in one step or not at all."""
    on = on or timezone.localdate()
    row = Child(**{k: v for k, v in child.items() if k in CHILD_FIELDS})
    if row.school.kind == OrgKind.VILLAGE and row.home_village is None:
        row.home_village = row.school  # registered at the village: a child who lives there
    row.county = _county_of(row.school)
    row.left_behind_type = ""
    row.full_clean(exclude=["county", "left_behind_type"])
    _check_placement(row)
    _check_age_limit(row, on)
    row.save()
    parts = _save_parts(row, father=father, mother=mother, guardian=guardian)
    _set_difficulties(row, difficulties, on)
    _derive(row, by=by, on=on)
    StatusChange.objects.create(
        child=row,
        status=ChildStatus.ACTIVE,
        on=on,
        reason=reason or _("Registered"),
        by=by,
        to_school=row.school,
    )
    _raise_duplicates(row)
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=row,
        org_path=row.school.path,
        changes={**_values(row, CHILD_FIELDS), **parts, "left_behind_type": row.left_behind_type},
    )
    if review_required(child=row, by=by, on=on):
        entered = audit.field_changes({}, _values(row, CHILD_FIELDS))
        _queue_review(row, ReviewKind.CREATED, entered | parts, by=by)
    return row


@transaction.atomic
def update_child(
    *,
    child: Child,
    data: Mapping[str, Any],
    father: Mapping[str, Any],
    mother: Mapping[str, Any],
    guardian: Mapping[str, Any],
    difficulties: Iterable[str] | None = None,
    by: User | None,
    note: str = "",
    version: str | None = None,
) -> dict[str, Any]:
    """Save an edit of the archive; returns what changed (empty: nothing did).

    The "before" values are read from the database under a row lock, never from ``child``
    (a bound form has already written the posted values onto it). With ``check`` (every page
    and API edit), ``version`` must be the token the form was opened at: a save over a change
    made meanwhile is refused naming it (core.concurrency), and the newer data stays. Pages
    and the API always pass the token they were given ("" when none came); ``None`` is for
    code that read the archive in the same transaction.

    审核: where the region asks for review and ``by`` is a school's or a village's, a change
    of an archive that counts waits for the level above (:func:`_hold_change`): the archive
    keeps its confirmed values, and so do the figures and the rounds, until it is confirmed.
    A reviewer who edits an archive whose change waits writes that change with theirs and so
    confirms it.
    """
    today = timezone.localdate()
    # The lock, taken before reading "before" (and without the ordering's joins: PostgreSQL
    # locks no row of a nullable outer join); the review state as the locked row has it (a
    # confirmation may have come since ``child`` was read).
    locked = Child.objects.select_for_update().filter(pk=child.pk).order_by()
    child.review_state = locked.values_list("review_state", flat=True).get()
    if version is not None:
        check_version(version, edit_state(child.pk), label=_field_label, shown=_shown_value)
    edit = _Edit(data, father, mother, guardian, difficulties)
    reviewed = review_required(child=child, by=by, on=today)
    if reviewed and child.review_state == ReviewState.CONFIRMED:
        return _hold_change(child, edit, by=by, on=today, note=note)
    waiting = None if reviewed else _change_decided_by(child, by)
    edits = [edit] if waiting is None else [_Edit.from_changes(_changes_of(waiting)), edit]
    changes = _apply_edits(child, edits, by=by, on=today)
    if waiting is not None:
        _decide_by_editing(waiting, by=by)
    if changes:
        _record_edit(child, changes, by=by, note=note)
        if reviewed:
            _queue_review(child, ReviewKind.CHANGED, changes, by=by)
        else:
            _confirmed_by_reviewer(child, by=by)
    return changes


class _Edit:
    """What an edit asks for: the child's fields, each parent's, the guardian's, the open
    difficulties (``None``: left as they are)."""

    def __init__(
        self,
        data: Mapping[str, Any],
        father: Mapping[str, Any],
        mother: Mapping[str, Any],
        guardian: Mapping[str, Any],
        difficulties: Iterable[str] | None = None,
    ) -> None:
        self.data, self.father, self.mother, self.guardian = data, father, mother, guardian
        self.difficulties = None if difficulties is None else list(difficulties)

    @classmethod
    def from_changes(cls, changes: Mapping[str, Any]) -> _Edit:
        """The edit that makes each key of ``changes`` ({key: [before, after]}, as a review
        keeps it) its "after" value; derived keys (the left-behind type) follow by themselves."""
        parts: dict[str, dict[str, Any]] = {"": {}, "father": {}, "mother": {}, "guardian": {}}
        difficulties = None
        for key, (_before, after) in changes.items():
            if key.startswith("_") or key in DERIVED_KEYS:
                continue
            if key == "difficulties":
                difficulties = list(after or [])
                continue
            prefix, _dot, name = key.rpartition(".")
            parts[prefix][name] = _stored_to_python(key, after)
        return cls(parts[""], parts["father"], parts["mother"], parts["guardian"], difficulties)


# Keys a review shows that no one enters: they follow from the others.
DERIVED_KEYS = frozenset({"left_behind_type"})


def _stored_to_python(key: str, value: Any) -> Any:
    """A value as a review keeps it (JSON: a unit by its id, a date as text) as the archive's
    field takes it."""
    field = archive_field(key)
    if field.is_relation:
        return None if value in (None, "") else field.related_model.objects.get(pk=value)
    return field.to_python(value)


def _edit(child: Child, edit: _Edit, *, by: User | None, on: date) -> None:
    """Write ``edit`` onto the archive, validated by the archive's own rules."""
    for name in CHILD_FIELDS:
        if name in edit.data and name not in ("school", "school_class"):
            setattr(child, name, edit.data[name])
    if "school_class" in edit.data:
        child.school_class = edit.data["school_class"]
    child.full_clean(exclude=["county", "left_behind_type"])
    _check_placement(child)
    child.save()
    _save_parts(child, father=edit.father, mother=edit.mother, guardian=edit.guardian)
    if edit.difficulties is not None:
        _set_difficulties(child, edit.difficulties, on)
    _derive(child, by=by, on=on)


def _apply_edits(
    child: Child, edits: Iterable[_Edit], *, by: User | None, on: date, dry_run: bool = False
) -> dict[str, Any]:
    """Write the edits one after the other and return the whole difference they make,
    {key: [before, after]} with the left-behind type that follows, unrecorded. ``dry_run``
    takes it all back afterwards (a savepoint) and leaves ``child`` as stored."""
    before = archive_state(child.pk)
    old_type = Child.objects.filter(pk=child.pk).values_list("left_behind_type", flat=True)[0]
    changes: dict[str, Any] = {}
    try:
        with transaction.atomic():
            for edit in edits:
                _edit(child, edit, by=by, on=on)
            changes = dict(audit.field_changes(before, archive_state(child.pk)))
            if changes and child.left_behind_type != old_type:
                changes["left_behind_type"] = [old_type, child.left_behind_type]
            if dry_run:
                raise _DryRun
    except _DryRun:
        child.refresh_from_db()  # the instance the form wrote onto is the stored archive again
        return changes
    if "id_number" in changes:
        _raise_duplicates(child)
    return changes


def _record_edit(
    child: Child, changes: Mapping[str, Any], *, by: User | None, note: str = ""
) -> None:
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=child,
        org_path=child.school.path,
        changes={**changes, "_note": note} if note else dict(changes),
    )


def _change_decided_by(child: Child, by: User | None) -> ArchiveReview | None:
    """The change waiting for review that ``by`` decides, if one waits (their edit writes it)."""
    if by is None:
        return None
    waiting = (
        ArchiveReview.objects.select_for_update()
        .filter(child=child, state=ReviewState.PENDING, kind=ReviewKind.CHANGED)
        .first()
    )
    if waiting is None or not scope_of(by).may(Area.REVIEW, Action.CHANGE, child):
        return None
    return waiting


def _decide_by_editing(review: ArchiveReview, *, by: User | None) -> None:
    comment = str(_("Confirmed with the reviewer's own edit of the archive."))
    _close_waiting(review, state=ReviewState.CONFIRMED, comment=comment, by=by)


def _close_waiting(review: ArchiveReview, *, state: str, comment: str, by: User | None) -> None:
    """A waiting change decided by an edit, not on the review's page (its form's token then
    refuses a decision there)."""
    review.state, review.comment = state, comment
    review.decided_by, review.decided_at = by, timezone.now()
    review.save()
    _record_review(
        review,
        by=by,
        action=AuditAction.UPDATE,
        changes={"state": [ReviewState.PENDING, state]},
    )


class _DryRun(Exception):
    """Rolls a savepoint back after an edit was tried (:func:`_hold_change`)."""


def _hold_change(
    child: Child, edit: _Edit, *, by: User | None, on: date, note: str
) -> dict[str, Any]:
    """A change of a counted archive that waits for review: tried on the archive (the archive's
    own checks refuse bad input at once), taken back, and kept in the waiting review as the
    whole difference between the confirmed archive and what the unit now asks for — the
    change already waiting with this one on top, so a second edit can also undo the first.

    Nothing of it counts until the level above confirms it (:func:`decide_review` writes it
    then, through the same checks); the unit's next form opens at what waits."""
    waiting = (
        ArchiveReview.objects.select_for_update()
        .filter(child=child, state=ReviewState.PENDING)
        .first()
    )
    edits = [edit] if waiting is None else [_Edit.from_changes(_changes_of(waiting)), edit]
    changes = _apply_edits(child, edits, by=by, on=on, dry_run=True)
    if not changes:
        if waiting is not None:  # changed back to what counts: nothing waits any more
            comment = str(_("Changed back by the unit before the review."))
            _close_waiting(waiting, state=ReviewState.RETURNED, comment=comment, by=by)
        return {}
    review = waiting or ArchiveReview(child=child, kind=ReviewKind.CHANGED)
    action = AuditAction.UPDATE if review.pk else AuditAction.CREATE
    review.by, review.at = by, timezone.now()
    review.changes = json.dumps(changes, cls=DjangoJSONEncoder, ensure_ascii=False)
    review.full_clean()
    review.save()
    recorded = {**changes, "_note": note} if note else dict(changes)
    _record_review(review, by=by, action=action, changes={**recorded, "_waits": True})
    return changes


def _changes_of(review: ArchiveReview) -> dict[str, Any]:
    return json.loads(review.changes or "{}")


def _record_review(
    review: ArchiveReview, *, by: User | None, action: str, changes: Mapping[str, Any]
) -> None:
    audit.record(
        actor=by,
        action=action,
        obj=review,
        org_path=review.child.school.path,
        changes=dict(changes),
    )


def waiting_change(child_pk: int) -> dict[str, Any]:
    """The change of a counted archive that waits for review, {key: [before, after]} (empty
    when none waits): what the unit's edit form opens at."""
    review = ArchiveReview.objects.filter(
        child_id=child_pk, state=ReviewState.PENDING, kind=ReviewKind.CHANGED
    ).first()
    return _changes_of(review) if review is not None else {}


@transaction.atomic
def change_status(
    *, child: Child, status: str, on: date, reason: str, by: User | None
) -> StatusChange:
    """A child leaves (or comes back to) the register; nothing is deleted."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the status changes.")})
    if status == child.status:
        raise ValidationError({"status": _("The child already has this status.")})
    if status in (ChildStatus.TRANSFERRED, ChildStatus.MERGED):
        raise ValidationError({"status": _("Use the transfer or merge page for this.")})
    change = StatusChange.objects.create(
        child=child, status=status, on=on, reason=reason.strip(), by=by, from_school=child.school
    )
    old = child.status
    child.status = status
    child.save(update_fields=["status"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=child,
        org_path=child.school.path,
        changes={"status": [old, status], "_reason": reason.strip(), "_on": str(on)},
    )
    return change


@transaction.atomic
def transfer_child(
    *,
    child: Child,
    to_school: Org,
    to_class: Org | None,
    on: date,
    reason: str,
    by: User | None,
) -> Child:
    """The archive moves with the child; both schools keep a dated record of the move."""
    if to_school.kind != OrgKind.SCHOOL or to_school == child.school:
        raise ValidationError({"to_school": _("Choose the other school.")})
    from_school = child.school
    StatusChange.objects.create(
        child=child,
        status=ChildStatus.TRANSFERRED,
        on=on,
        reason=reason,
        by=by,
        from_school=from_school,
        to_school=to_school,
    )
    StatusChange.objects.create(
        child=child,
        status=ChildStatus.ACTIVE,
        on=on,
        reason=reason,
        by=by,
        from_school=from_school,
        to_school=to_school,
    )
    child.school, child.school_class = to_school, to_class
    child.county = _county_of(to_school)
    child.status = ChildStatus.ACTIVE
    _check_placement(child)
    child.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=child,
        org_path=to_school.path,
        changes={"school": [from_school.pk, to_school.pk], "_reason": reason},
    )
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=child,
        org_path=from_school.path,
        changes={"transferred_to": to_school.name, "_reason": reason},
    )
    return child


@transaction.atomic
def assess(
    *,
    child: Child,
    kind: str,
    value: str,
    on: date,
    by: User | None,
    reasons: Mapping[str, Any] | None = None,
) -> Assessment:
    valid: dict[str, set[str]] = {
        AssessmentKind.GUARDIAN_ASSESSMENT: set(GuardianAssessment.values),
        AssessmentKind.RISK_GRADE: set(RiskGrade.values),
    }
    if kind not in valid or value not in valid[kind]:
        raise ValidationError({"value": _("Not a valid result for this classification.")})
    assessment = Assessment.objects.create(
        child=child, kind=kind, value=value, assessed_on=on, by=by, reasons=dict(reasons or {})
    )
    if kind == AssessmentKind.RISK_GRADE:
        child.risk_grade = value
        child.save(update_fields=["risk_grade"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=child,
        org_path=child.school.path,
        changes={kind: value, "_reasons": dict(reasons or {})},
    )
    return assessment


@transaction.atomic
def assess_heart_level(
    *,
    child: Child,
    ratings: Mapping[str, int],
    on: date,
    by: User | None,
    rule: HeartLevelRule | None = None,
) -> Assessment:
    """Rate the five dimensions (seed 002); the rule turns them into 1–4 hearts."""
    rule = rule or HeartLevelRule.objects.get(is_default=True)
    if any(int(r) not in range(4) for r in ratings.values()):
        raise ValidationError({"ratings": _("Each dimension is rated from 0 to 3.")})
    level, reasons = rule.level_for(dict(ratings))
    assessment = Assessment.objects.create(
        child=child,
        kind=AssessmentKind.HEART_LEVEL,
        value=str(level),
        assessed_on=on,
        by=by,
        reasons=reasons,
    )
    old = child.heart_level
    child.heart_level = level
    child.save(update_fields=["heart_level"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=child,
        org_path=child.school.path,
        changes={"heart_level": [old, level], "_reasons": reasons},
    )
    return assessment


@transaction.atomic
def set_region_profile(
    *, region: Org, profile: DefinitionProfile, since: date, by: User | None
) -> RegionProfile:
    if not region.is_region:
        raise ValidationError({"region": _("A definition is chosen by a region.")})
    choice = RegionProfile.objects.create(region=region, profile=profile, since=since, by=by)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=region,
        changes={"definition_profile": profile.code, "since": str(since)},
    )
    return choice


@transaction.atomic
def merge_duplicate(*, case: DuplicateCase, keep: Child, by: User | None) -> Child:
    """One child, two archives: keep one, mark the other merged into it; both histories stay."""
    if case.resolved_at is not None:
        raise ValidationError(_("This duplicate was resolved already."))
    if keep not in (case.first, case.second):
        raise ValidationError(_("Keep one of the two archives."))
    other = case.second if keep == case.first else case.first
    other.status = ChildStatus.MERGED
    other.merged_into = keep
    other.save(update_fields=["status", "merged_into"])
    StatusChange.objects.create(
        child=other,
        status=ChildStatus.MERGED,
        on=timezone.localdate(),
        by=by,
        reason=_("Merged into the archive at %(school)s") % {"school": keep.school.name},
    )
    case.kept = keep
    case.resolved_at = timezone.now()
    case.save(update_fields=["kept", "resolved_at"])
    for child in (keep, other):
        audit.record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=child,
            org_path=child.school.path,
            changes={"merged": {"kept": keep.pk, "merged": other.pk}},
        )
    return keep


@transaction.atomic
def hand_over_class(
    *, school_class: Org, to_teacher: User, on: date, by: User | None, note: str = ""
) -> ClassHandover:
    """Term-end 交接: the class's teachers end, the next one starts, and the archives follow."""
    from shouwang.accounts import services as account_services

    if school_class.kind != OrgKind.SCHOOL_CLASS:
        raise ValidationError(_("Hand over a class."))
    ended = account_services.hand_class_over(
        school_class=school_class, to_teacher=to_teacher, by=by
    )
    handover = ClassHandover.objects.create(
        school_class=school_class,
        from_teachers="、".join(teacher.display_name for teacher in ended),
        to_teacher=to_teacher,
        on=on,
        children=Child.objects.filter(school_class=school_class, status__in=IN_REGISTER).count(),
        note=note,
        by=by,
    )
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=school_class,
        changes={
            "handover_to": to_teacher.get_username(),
            "children": handover.children,
            "from": handover.from_teachers,
        },
    )
    return handover


def record_reveal(*, child: Child, field: str, by: User) -> None:
    """An allowed user unmasked an ID number or phone — one field, or the edit form that shows
    them all (``edit_form``): that is itself on the record."""
    audit.record(
        actor=by,
        action=AuditAction.REVEAL,
        obj=child,
        org_path=child.school.path,
        changes={"field": field},
    )


def record_cards_export(*, by: User, rows: int, class_code: str) -> None:
    audit.record(
        actor=by,
        action=AuditAction.EXPORT,
        object_repr=_("Contact cards"),
        changes={"rows": rows, "class": class_code},
    )


def record_view(*, child: Child, by: User, where: str = "") -> None:
    audit.record_read(
        actor=by,
        action=AuditAction.VIEW,
        obj=child,
        org_path=child.school.path,
        changes={"where": where} if where else None,
    )


def record_api_read(*, by: User, child_ids: list[Any]) -> None:
    """A page of an API list of children's data: one entry naming the children on it."""
    if not child_ids:
        return
    audit.record_read(
        actor=by,
        action=AuditAction.VIEW,
        object_repr=_("API list"),
        changes={"children": [pk for pk in child_ids if pk is not None], "where": "api"},
    )


def record_id_search(*, number: str, found: int, by: User) -> None:
    """A search of the register by ID number: on the record (masked), and counted against the
    hourly limit (selectors.id_searches_left)."""
    audit.record(
        actor=by,
        action=AuditAction.VIEW,
        object_repr=_("Search by ID number"),
        changes={"id_search": mask_id_number(number), "found": found},
    )


# --- the guardian's consent (PIPL arts. 28, 31; 未成年人保护法 art. 72) ---------------------------

# A child's consent rows in the order they happened, the one in force first.
CONSENT_ORDER = ("-on", "-created_at", "-pk")


def consent_state(child_pk: int) -> dict[str, Any]:
    """What a consent form was opened at: the child's latest consent row (a form opened before
    someone else recorded or withdrew a consent is refused, not added on top unseen)."""
    latest = ConsentRecord.objects.filter(child_id=child_pk).order_by(*CONSENT_ORDER).first()
    return {"consent": latest.pk if latest else None}


def consent_version(child: Child) -> str:
    return version_token(consent_state(child.pk))


def _consent_label(key: str) -> str:
    return _("Guardian's consent")


@transaction.atomic
def record_consent(
    *,
    child: Child,
    on: date,
    given_by: str,
    relation: str,
    by: User | None,
    version: str,
    scopes: Iterable[str] = (),
    scan: Any = None,
    withdrawn: bool = False,
) -> ConsentRecord:
    """The guardian consents (to ``scopes``) or, ``withdrawn``, withdraws the consent in force:
    a new dated row either way, the earlier ones kept. The signed form's scan is stored under a
    random name (a phone's file name may carry the child's name)."""
    # One writer per child (no ordering: the archive's default one joins nullable classes).
    list(Child.objects.select_for_update().filter(pk=child.pk).order_by().values_list("pk"))
    check_version(version, consent_state(child.pk), label=_consent_label)
    scopes = sorted(set(scopes))
    errors: dict[str, list[str]] = {}
    if on > timezone.localdate():
        errors["on"] = [_("The date cannot be in the future.")]
    elif on < child.birth_date:
        errors["on"] = [_("The date is before the child was born.")]
    if not given_by.strip():
        errors["given_by"] = [_("Say who signed.")]
    if withdrawn:
        scopes = []
        current = ConsentRecord.objects.filter(child=child).order_by(*CONSENT_ORDER).first()
        if current is None or current.withdrawn:
            errors[NON_FIELD_ERRORS] = [_("There is no consent in force to withdraw.")]
        elif on < current.on:
            errors["on"] = [_("A consent cannot be withdrawn before the day it was given.")]
    elif not scopes or not set(scopes) <= set(ConsentScope.values):
        errors["scopes"] = [_("Choose what the guardian agreed to.")]
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord(
        child=child,
        withdrawn=withdrawn,
        on=on,
        given_by=given_by.strip(),
        relation=relation,
        by=by,
        **{s: s in scopes for s in ConsentScope.values},
    )
    if scan:
        suffix = Path(scan.name or "").suffix.lower()
        record.scan.save(f"{secrets.token_urlsafe(12)}{suffix}", scan, save=False)
    record.full_clean()
    record.save()
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=child,
        org_path=child.school.path,
        changes={
            "consent": "withdrawn" if withdrawn else "given",
            "_on": str(on),
            "scopes": scopes,
            "relation": relation,
            "scanned": bool(scan),
        },
    )
    return record


# --- retention: archives of children who left long ago, anonymised ---------------------------

# Statuses of a child who has left the register (离开 / 毕业 / 转出 …). A merged archive is the
# other archive's duplicate and follows it (not anonymised on its own).
LEFT = (
    ChildStatus.RETURNED,
    ChildStatus.TRANSFERRED,
    ChildStatus.GRADUATED,
    ChildStatus.AGED_OUT,
    ChildStatus.MOVED,
)
ANONYMISED_NAME = "已匿名儿童#"
# What is blanked. Kept: what the figures of days gone by count (gender, birth date — the
# profiles' age limit —, the unit, class and home village, boarding, the left-behind type and
# the parents' status and time away it comes from, the guardian's relation, the classifications,
# pairings and every date), so no past day's statistics change.
BLANKED_CHILD = (
    "id_number",
    "id_hash",
    "name_initials",
    "ethnicity",
    "address",
    "personality",
    "hobbies",
    "health",
    "study",
    "note",
    "contact_name",
    "contact_phone",
    "collected_by",
)
BLANKED_PARENT = ("name", "phone", "work_place", "employer", "visits_home")
# Texts about the child that other apps keep (care records' findings, counseling notes,
# incidents…): each app names its own in its AppConfig.ready (children imports none of them):
# (model label, the lookup of the child's id, the text fields blanked).
BLANKED_ELSEWHERE: list[tuple[str, str, tuple[str, ...]]] = []


def blank_with_the_archive(model: str, child: str, fields: tuple[str, ...]) -> None:
    """Have ``fields`` of ``model`` (an app's label, e.g. ``"care.CareRecord"``) blanked for a
    child whose archive is anonymised; ``child`` is the lookup of the child's id (``child_id``,
    ``plan__child_id``)."""
    if (model, child, fields) not in BLANKED_ELSEWHERE:
        BLANKED_ELSEWHERE.append((model, child, fields))


BLANKED_GUARDIAN = ("name", "phone", "address", "health", "literacy")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def retention_due(*, today: date, years: int) -> Any:
    """Children who left the register before ``years`` years before ``today`` and are not yet
    anonymised, with the day they left (their status row in force)."""
    left_on = (
        StatusChange.objects.filter(child=OuterRef("pk"), until__isnull=True)
        .order_by("-on", "-created_at", "-pk")
        .values("on")[:1]
    )
    return (
        Child.objects.filter(status__in=LEFT)
        .exclude(Exists(Anonymisation.objects.filter(child=OuterRef("pk"))))
        .annotate(left_on=Subquery(left_on))
        .filter(left_on__lt=_years_before(today, years))
    )


@transaction.atomic
def apply_retention(
    *, today: date, years: int, by: User | None, via: str, dry_run: bool = False
) -> dict[str, Any]:
    """Anonymise the archives past retention: names become "已匿名儿童#<id>", ID numbers,
    phones, addresses, parents' and guardians' names and free texts are blanked, the signed
    consent forms' scans removed. Rows stay (nothing is deleted) and the audit log is not
    touched (append-only: its earlier entries keep what they held, masked when read). Returns
    the report: how many, per unit, and the run's id (none for a dry run)."""
    if years < 1:
        raise ValidationError(_("The retention period must be at least one year."))
    cutoff = _years_before(today, years)
    due = list(
        retention_due(today=today, years=years)
        .select_for_update(of=("self",))
        .select_related("school")
        .order_by("pk")
    )
    by_unit: dict[str, int] = {}
    for child in due:
        by_unit[child.school.code] = by_unit.get(child.school.code, 0) + 1
    report: dict[str, Any] = {
        "dry_run": dry_run,
        "years": years,
        "cutoff": cutoff.isoformat(),
        "children": len(due),
        "by_unit": dict(sorted(by_unit.items())),
        "run": None,
    }
    if dry_run or not due:
        return report
    run = RetentionRun.objects.create(
        by=by, via=via, years=years, cutoff=cutoff, children=len(due), by_unit=report["by_unit"]
    )
    ids = [c.pk for c in due]
    scans: list[Any] = []
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        Child.objects.filter(pk__in=part).update(
            name=Concat(Value(ANONYMISED_NAME), Cast("pk", CharField())),
            updated_at=timezone.now(),
            **dict.fromkeys(BLANKED_CHILD, ""),
        )
        Parent.objects.filter(child_id__in=part).update(**dict.fromkeys(BLANKED_PARENT, ""))
        Guardian.objects.filter(child_id__in=part).update(
            age=None, **dict.fromkeys(BLANKED_GUARDIAN, "")
        )
        StatusChange.objects.filter(child_id__in=part).update(reason="")
        DuplicateCase.objects.exclude(id_hash="").filter(
            Q(first_id__in=part) | Q(second_id__in=part)
        ).update(id_number="", id_hash="")
        for label, child_id, fields in BLANKED_ELSEWHERE:
            django_apps.get_model(label)._default_manager.filter(
                **{f"{child_id}__in": part}
            ).update(**dict.fromkeys(fields, ""))
        consents = ConsentRecord.objects.filter(child_id__in=part)
        scans += [c.scan for c in consents.exclude(scan="")]
        consents.update(given_by="", scan="")
    Anonymisation.objects.bulk_create(
        [Anonymisation(child=c, run=run, left_on=c.left_on) for c in due]
    )
    for child in due:
        child.name = f"{ANONYMISED_NAME}{child.pk}"
    audit.record_many(
        [
            {
                "action": AuditAction.UPDATE,
                "obj": child,
                "org_path": child.school.path,
                "changes": {"anonymised": True, "retention_run": run.pk},
            }
            for child in due
        ],
        actor=by,
    )
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=run,
        changes={k: v for k, v in report.items() if k != "run"},
    )
    # The scans go once the blanking is committed (a rollback keeps them with their rows).
    transaction.on_commit(lambda: [scan.delete(save=False) for scan in scans])
    report["run"] = run.pk
    return report


# --- 审核: review of archives by the level above (domain.md §6) --------------------------------


def review_required(*, child: Child, by: User | None, on: date) -> bool:
    """Whether ``by``'s entry or change of ``child`` waits for the level above: the child's
    region asks for review (``ReviewSetting``) and ``by`` is not among those who confirm it (a
    school's or a village's people; the system's own work, with no user, is not reviewed)."""
    if by is None:
        return False
    setting = ReviewSetting.for_org(child.school, on)
    if setting is None or not setting.required:
        return False
    return not scope_of(by).may(Area.REVIEW, Action.CHANGE, child)


def _folded(older: Mapping[str, list[Any]], newer: Mapping[str, list[Any]]) -> dict[str, Any]:
    """Two waiting changes as one: each field's first "before" and last "after" (a field
    changed back to what it was drops out)."""
    out = dict(older)
    for key, (before, after) in newer.items():
        first = older[key][0] if key in older else before
        if first == after:
            out.pop(key, None)
        else:
            out[key] = [first, after]
    return out


def _queue_review(child: Child, kind: str, changes: Mapping[str, Any], *, by: User | None) -> None:
    """Put a new archive before the level above; a change while its entry waits (or after it
    came back for correction) folds into that entry. The archive is not counted until it is
    confirmed (``Child.review_state``). A change of a counted archive is not written at all
    until then (:func:`_hold_change`), so it never takes a child out of the figures either.
    ``queue_imported_reviews`` also folds a ledger file's held changes in here."""
    shown = {k: v for k, v in changes.items() if not k.startswith("_")}
    waiting = ArchiveReview.objects.select_for_update().filter(
        child=child, state=ReviewState.PENDING
    )
    review = waiting.first()
    if review is None:
        # An entry not yet confirmed is still an entry, whatever was changed since.
        new = kind == ReviewKind.CREATED or child.review_state != ReviewState.CONFIRMED
        review = ArchiveReview(
            child=child, kind=ReviewKind.CREATED if new else ReviewKind.CHANGED, by=by
        )
    else:
        shown = _folded(json.loads(review.changes or "{}"), shown)
        review.by = by
    review.changes = json.dumps(shown, cls=DjangoJSONEncoder, ensure_ascii=False)
    review.at = timezone.now()
    review.full_clean()
    review.save()
    if review.kind == ReviewKind.CREATED and child.review_state != ReviewState.PENDING:
        _set_review_state(child, ReviewState.PENDING, by=by)


def _set_review_state(child: Child, state: str, *, by: User | None, **noted: Any) -> None:
    before = child.review_state
    child.review_state = state
    Child.objects.filter(pk=child.pk).update(review_state=state)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=child,
        org_path=child.school.path,
        changes={"review_state": [before, state], **noted},
    )


def _confirmed_by_reviewer(child: Child, *, by: User | None) -> None:
    """A reviewer who corrects a waiting or returned entry themselves confirms it."""
    if by is None or child.review_state == ReviewState.CONFIRMED:
        return
    if not scope_of(by).may(Area.REVIEW, Action.CHANGE, child):
        return
    ArchiveReview.objects.filter(child=child, state=ReviewState.PENDING).update(
        state=ReviewState.CONFIRMED, decided_by=by, decided_at=timezone.now()
    )
    _set_review_state(child, ReviewState.CONFIRMED, by=by)


def changes_shown(changes: str) -> list[tuple[str, Any, Any]]:
    """A review's changes as the reviewer reads them, side by side: (what, before, after), ID
    numbers and phones masked, units by name."""
    rows = json.loads(changes or "{}")
    return [
        (_field_label(key), _in_words(key, before), _in_words(key, after))
        for key, (before, after) in sorted(rows.items())
    ]


def waiting_rows(child_pk: int) -> list[tuple[str, Any, Any]]:
    """The change of a counted archive that waits for review, as :func:`changes_shown` reads
    it to the unit on the child's page (the page itself shows what was confirmed)."""
    waiting = waiting_change(child_pk)
    return changes_shown(json.dumps(waiting, cls=DjangoJSONEncoder)) if waiting else []


def _in_words(key: str, value: Any) -> Any:
    """A stored value as the archive's page shows it: a choice's label, yes or no."""
    try:
        field = archive_field(key)
    except Exception:
        return _shown_value(key, value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field.choices and value not in (None, ""):
        return dict(field.flatchoices).get(value, value)
    return _shown_value(key, value)


def _review_state(review: ArchiveReview) -> dict[str, Any]:
    # (What changed stands as a digest: a refused decision's message names no value.)
    digest = hashlib.sha256((review.changes or "").encode()).hexdigest()[:16]
    return {"state": review.state, "changes": digest, "at": review.at}


def _chunks(ids: list[int], size: int = 5000) -> Iterable[list[int]]:
    # (SQLite takes at most 32,766 values in one statement.)
    return (ids[start : start + size] for start in range(0, len(ids), size))


def held_for_review(
    *, org: Org, by: User | None, changed: Iterable[tuple[Child, Mapping[str, Any]]]
) -> set[int]:
    """Which of a ledger file's changed archives are not written but wait for review, as a
    page's change would (:func:`_hold_change`): counted archives, under a region that asks for
    review, that ``by`` does not confirm. A move to another school is a transfer, which review
    does not cover (as on the transfer page): it is written."""
    if by is None:
        return set()
    setting = ReviewSetting.for_org(org, timezone.localdate())
    if setting is None or not setting.required:
        return set()
    asked = [
        child.pk
        for child, changes in changed
        if child.review_state == ReviewState.CONFIRMED and "school" not in changes
    ]
    confirms = Child.objects.restrict(by, Action.CHANGE, area=Area.REVIEW)
    decided_here: set[int] = set()
    for ids in _chunks(asked):
        decided_here.update(confirms.filter(pk__in=ids).values_list("pk", flat=True))
    return set(asked) - decided_here


def queue_imported_reviews(
    *,
    org: Org,
    by: User | None,
    created_ids: list[int],
    changed: list[tuple[Child, Mapping[str, Any]]],
) -> int:
    """A ledger import's new and changed archives wait for review as a page's entries do
    (:func:`review_required`), in a few queries whatever the file's size; returns how many."""
    if by is None:
        return 0
    setting = ReviewSetting.for_org(org, timezone.localdate())
    if setting is None or not setting.required:
        return 0
    entries: dict[int, tuple[str, dict[str, Any]]] = {}
    fields = CHILD_FIELDS
    for ids in _chunks(created_ids):
        for child in Child.objects.filter(pk__in=ids):
            entered = audit.field_changes({}, _values(child, fields))
            entries[child.pk] = (ReviewKind.CREATED, entered)
    for child, changes in changed:
        # (An entry not yet confirmed stays an entry: it waits as new.)
        new_yet = child.review_state != ReviewState.CONFIRMED
        entries[child.pk] = (ReviewKind.CREATED if new_yet else ReviewKind.CHANGED, dict(changes))
    decided_here: set[int] = set()
    waiting: set[int] = set()
    for ids in _chunks(list(entries)):
        confirms = Child.objects.restrict(by, Action.CHANGE, area=Area.REVIEW)
        decided_here.update(confirms.filter(pk__in=ids).values_list("pk", flat=True))
        pending = ArchiveReview.objects.filter(child_id__in=ids, state=ReviewState.PENDING)
        waiting.update(pending.values_list("child_id", flat=True))
    now, new = timezone.now(), []
    queued = [pk for pk in entries if pk not in decided_here]
    for pk in queued:
        kind, changes = entries[pk]
        if pk in waiting:  # a change folded into what waits (one at a time: rare)
            _queue_review(Child.objects.get(pk=pk), kind, changes, by=by)
            continue
        text = json.dumps(changes, cls=DjangoJSONEncoder, ensure_ascii=False)
        new.append(ArchiveReview(child_id=pk, kind=kind, changes=text, by=by, at=now))
    ArchiveReview.objects.bulk_create(new, batch_size=1000)
    # New entries leave the figures until confirmed; changes of counted archives do not.
    new_entries = [pk for pk in queued if entries[pk][0] == ReviewKind.CREATED]
    for ids in _chunks(new_entries):
        Child.objects.filter(pk__in=ids).update(review_state=ReviewState.PENDING)
    if queued:
        audit.record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=org,
            org_path=org.path,
            changes={
                "archives_waiting_for_review": len(queued),
                "new_archives": new_entries[:1000],
            },
        )
    return len(queued)


def review_version(review: ArchiveReview) -> str:
    """The token a decision form carries: a change folded in meanwhile refuses the decision."""
    return version_token(_review_state(review))


@transaction.atomic
def decide_review(
    *, review: ArchiveReview, confirm: bool, comment: str, by: User | None, version: str
) -> ArchiveReview:
    """The level above confirms the archive (it counts from now on) or returns it with a
    reason (it stays out of the figures until the unit corrects it and it is confirmed)."""
    review = ArchiveReview.objects.select_for_update().get(pk=review.pk)
    check_version(version, _review_state(review), shown=lambda _key, _value: "")
    if review.state != ReviewState.PENDING:
        raise ValidationError(_("This review was already decided."))
    comment = comment.strip()
    if not confirm and not comment:
        raise ValidationError({"comment": _("Say what the unit should correct.")})
    state = ReviewState.CONFIRMED if confirm else ReviewState.RETURNED
    review.state, review.comment = state, comment
    review.decided_by, review.decided_at = by, timezone.now()
    review.full_clean()
    review.save()
    child = review.child
    if review.kind == ReviewKind.CREATED:
        _set_review_state(child, state, by=by, _comment=comment)
    else:
        if confirm:  # the change is written now, through the archive's own checks
            _write_confirmed_change(child, review, by=by)
        audit.record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=child,
            org_path=child.school.path,
            changes={"change_review": [ReviewState.PENDING, state], "_comment": comment},
        )
    return review


def _write_confirmed_change(child: Child, review: ArchiveReview, *, by: User | None) -> None:
    """Write a confirmed change onto the archive. Each field must still hold the value the
    change was made from (or already the new one); a field someone changed meanwhile refuses
    the confirmation, naming it: the reviewer returns the change and the unit enters it again
    over what the archive now says. An ID number another archive has opens a case to merge
    now, when it counts (:func:`_raise_duplicates`)."""
    list(Child.objects.select_for_update().filter(pk=child.pk).order_by().values_list("pk"))
    changes = _changes_of(review)
    current = archive_state(child.pk)
    as_stored = json.loads(json.dumps(current, cls=DjangoJSONEncoder, ensure_ascii=False))
    moved, wanted = [], {}
    for key, (before, after) in changes.items():
        if key.startswith("_") or key in DERIVED_KEYS:
            continue
        now = as_stored.get(key)
        if now == after:
            continue
        if now != before and not (now in (None, "") and before in (None, "")):
            moved.append(_field_label(key))
            continue
        wanted[key] = [before, after]
    if moved:
        raise ValidationError(
            _(
                "The archive was changed meanwhile (%(fields)s): return this change so the "
                "unit enters it again over what the archive now says."
            )
            % {"fields": "、".join(moved)}
        )
    edit = _Edit.from_changes(wanted)
    written = _apply_edits(child, [edit], by=by, on=timezone.localdate())
    if written:
        entered_by = review.by.get_username() if review.by else ""
        _record_edit(
            child,
            written,
            by=by,
            note=_("Change entered by %(user)s, confirmed on review") % {"user": entered_by},
        )


@transaction.atomic
def set_review_required(*, region: Org, required: bool, since: date, by: User | None) -> int:
    """A region asks for review from ``since`` on, or stops asking. Stopping confirms what
    waits under the region (nothing would ever decide it); returns how many were confirmed."""
    if not region.is_region:
        raise ValidationError(_("Only a region decides whether archives need review."))
    setting = ReviewSetting(region=region, required=required, since=since, by=by)
    setting.full_clean()
    setting.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=setting,
        org_path=region.path,
        changes={"required": required, "since": since.isoformat()},
    )
    if required:
        return 0
    # Regions below that ask for review themselves keep what waits under them.
    below = [
        found.region.path
        for found in ReviewSetting.in_force(since)
        if found.region.path.startswith(region.path)
        and found.region.path != region.path
        and ReviewSetting.for_org(found.region, since) == found
        and found.required
    ]
    keep = Q()
    for path in below:
        keep |= Q(child__school__path__startswith=path)
    reviews = ArchiveReview.objects.filter(
        state=ReviewState.PENDING, child__school__path__startswith=region.path
    )
    children = Child.objects.filter(school__path__startswith=region.path).exclude(
        review_state=ReviewState.CONFIRMED
    )
    if below:
        reviews = reviews.exclude(keep)
        for path in below:
            children = children.exclude(school__path__startswith=path)
    done = children.count()
    # Changes of counted archives are written as a confirmation writes them; one whose fields
    # were changed meanwhile goes back to the unit (it would overwrite the newer values).
    for review in reviews.filter(kind=ReviewKind.CHANGED).select_related("child", "by"):
        try:
            with transaction.atomic():
                _write_confirmed_change(review.child, review, by=by)
        except ValidationError as refused:
            review.state, review.comment = ReviewState.RETURNED, "；".join(refused.messages)[:500]
        else:
            review.state, review.comment = (
                ReviewState.CONFIRMED,
                str(_("Review is no longer required.")),
            )
            done += 1
        review.decided_by, review.decided_at = by, timezone.now()
        review.save()
    reviews.update(
        state=ReviewState.CONFIRMED,
        decided_by=by,
        decided_at=timezone.now(),
        comment=str(_("Review is no longer required.")),
    )
    children.update(review_state=ReviewState.CONFIRMED)
    if done:
        audit.record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=setting,
            org_path=region.path,
            changes={"confirmed_without_review": done},
        )
    return done
