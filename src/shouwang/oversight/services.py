"""Every write of reporting rounds: opening a round, a unit's submission (its frozen snapshot),
returning one with a comment, and the one reminder a late unit gets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from io import BytesIO
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of, told_at
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.core.concurrency import check_version, version_token
from shouwang.ledger.ledgers import export_ledger
from shouwang.notices.services import notify
from shouwang.orgs.models import Org, OrgKind
from shouwang.stats import selectors as stats
from shouwang.stats.flows import period_of

from .models import Level, Round, RoundUnit, Submission
from .selectors import AS_PLACE, IN, current, level_above, status_of, summed

# The units that report their own ledger; the regions between them and the round's level report
# their units' sum upward.
REPORTING_KINDS = (OrgKind.SCHOOL, OrgKind.VILLAGE)
OPENING_KINDS = (OrgKind.PROVINCE, OrgKind.CITY, OrgKind.COUNTY, OrgKind.TOWNSHIP)
UPWARD_KINDS = (OrgKind.CITY, OrgKind.COUNTY, OrgKind.TOWNSHIP)


# --- opening a round ----------------------------------------------------------------------------


def reporting_units_under(org: Org) -> list[Org]:
    return list(
        Org.objects.filter(
            path__startswith=org.path, kind__in=REPORTING_KINDS, is_active=True
        ).exclude(pk=org.pk)
    )


def _regions_between(org: Org, units: Iterable[Org]) -> list[Org]:
    steplen = Org.steplen
    prefixes = {
        unit.path[:depth]
        for unit in units
        for depth in range(len(org.path) + steplen, len(unit.path), steplen)
    }
    return list(Org.objects.filter(path__in=prefixes, kind__in=UPWARD_KINDS))


@transaction.atomic
def open_round(
    *,
    org: Org,
    title: str,
    due: date,
    by: User | None,
    due_upward: date | None = None,
    units: list[Org] | None = None,
) -> Round:
    """A round over ``org``: ``units`` (schools and villages under it; all of them when
    ``None``) report by ``due``, the townships between them and ``org`` by ``due_upward``."""
    if org.kind not in OPENING_KINDS:
        raise ValidationError(_("Only a county, township or a level above opens a round."))
    if by is not None and not scope_of(by).may(Area.ROUNDS, Action.ADD, org):
        raise ValidationError(_("You may not open a round for %(org)s.") % {"org": org.name})
    if due < timezone.localdate():
        raise ValidationError({"due": _("The deadline cannot be in the past.")})
    if due_upward is not None and due_upward < due:
        raise ValidationError(
            {"due_upward": _("Townships report upward on or after their units' deadline.")}
        )
    chosen = reporting_units_under(org) if units is None else list(units)
    wrong = [u.name for u in chosen if u.kind not in REPORTING_KINDS or u.pk == org.pk]
    wrong += [u.name for u in chosen if not u.path.startswith(org.path)]
    if wrong:
        raise ValidationError(
            {
                "units": _("Not a school or village under %(org)s: %(units)s.")
                % {"org": org.name, "units": "、".join(sorted(set(wrong)))}
            }
        )
    if not chosen:
        raise ValidationError(
            {"units": _("No school or village under %(org)s reports.") % {"org": org.name}}
        )
    round_ = Round(org=org, title=title.strip(), due=due, due_upward=due_upward, opened_by=by)
    round_.full_clean()
    round_.save()
    rows = [RoundUnit(round=round_, org=u, level=Level.UNIT, due=due) for u in chosen]
    rows += [
        RoundUnit(round=round_, org=r, level=Level.REGION, due=due_upward or due)
        for r in _regions_between(org, chosen)
    ]
    for row in rows:
        row.full_clean()
    RoundUnit.objects.bulk_create(rows)
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=round_,
        org_path=org.path,
        changes={
            "org": org.code,
            "title": round_.title,
            "due": due.isoformat(),
            "due_upward": due_upward.isoformat() if due_upward else None,
        },
    )
    return round_


# --- submitting -----------------------------------------------------------------------------


def unit_version(unit: RoundUnit) -> str:
    """The state a submit form was opened at: a second submission meanwhile makes it stale."""
    return version_token(_state(unit))


def preview(org: Org, on: date) -> tuple[dict[str, Any], int, list[dict[str, Any]]]:
    """A unit's figures (the statistics JSON of interfaces.md, as ``shouwang stats`` prints
    it), its paired children and its counted children, as of ``on``."""
    result = stats.figures(org=org, on=on, with_units=False)
    period = period_of(org, on)
    data = result.as_json() | stats.flows_for(None, org, on, period, result.profile)
    if org.kind == OrgKind.VILLAGE:
        # A village's own figures count the children who live there, whichever school they
        # attend, who are in their school's figures too; a sum over units takes its share as a
        # place: the children in no school registered at it (selectors.summed).
        placed = stats.figures(org=org, on=on, with_units=False, as_place=True)
        data[AS_PLACE] = (
            placed.as_json()
            | stats.flows_for(None, org, on, period, placed.profile, as_place=True)
            | {"paired": placed.paired}
        )
    counted = stats.counted_children(Child.objects.all(), org, on, result.profile)
    children = [
        {"id": pk, "name": name, "type": kind}
        for pk, name, kind in counted.order_by("pk").values_list("pk", "name", "left_behind_type")
    ]
    return data, result.paired, children


def units_not_in(unit: RoundUnit) -> list[RoundUnit]:
    """A township's reporting units whose report is not in (missing or returned)."""
    return [u for u in _units_below(unit) if status_of(u) not in IN]


@transaction.atomic
def submit(*, unit: RoundUnit, by: User, version: str | None = None) -> Submission:
    """Freeze the unit's figures, counted children and ledger as version n+1. A township (a
    region reporting upward) submits its units' sum, once all of them are in."""
    unit = RoundUnit.objects.select_for_update().select_related("round__org", "org").get(pk=unit.pk)
    if not scope_of(by).may(Area.ROUNDS, Action.CHANGE, unit.org):
        raise ValidationError(_("You may not submit for %(org)s.") % {"org": unit.org.name})
    if version is not None:
        check_version(version, _state(unit))
    latest = current(unit)
    if latest is not None and latest.returned_at is None:
        raise ValidationError(
            _("%(org)s has submitted already; the level above returns it to be submitted again.")
            % {"org": unit.org.name}
        )
    on = timezone.localdate()
    if unit.level == Level.REGION:
        waiting = units_not_in(unit)
        if waiting:
            raise ValidationError(
                _("%(org)s reports upward once its units are in; not yet: %(units)s.")
                % {"org": unit.org.name, "units": "、".join(u.org.name for u in waiting)}
            )
        figures, paired, children = upward(unit)
    else:
        figures, paired, children = preview(unit.org, on)
    buffer = BytesIO()
    export_ledger(org=unit.org, out=buffer, by=by, unmasked=False)
    content = buffer.getvalue()
    submission = Submission(
        unit=unit,
        version=(latest.version + 1) if latest else 1,
        submitted_by=by,
        submitted_at=timezone.now(),
        on=on,
        figures=figures,
        paired=paired,
        children=children,
        ledger_sha256=hashlib.sha256(content).hexdigest(),
    )
    submission.ledger.save(
        f"round{unit.round_id}-{unit.org.code}-v{submission.version}.xlsx",
        ContentFile(content),
        save=False,
    )
    submission.full_clean()
    submission.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=submission,
        org_path=unit.org.path,
        changes={
            "version": submission.version,
            "on": on.isoformat(),
            "ledger_sha256": submission.ledger_sha256,
        },
    )
    return submission


def upward(unit: RoundUnit) -> tuple[dict[str, Any], int, list[dict[str, Any]]]:
    """What a township reports upward: its units' frozen figures summed, their paired children
    and their counted children together (a child counted by a school and by the village it
    lives in appears once)."""
    taken = [s for s in (current(u) for u in _units_below(unit)) if s is not None]
    taken = [s for s in taken if s.returned_at is None]
    children = sorted(
        {c["id"]: c for s in taken for c in s.children}.values(), key=lambda c: c["id"]
    )
    return summed(taken, org=unit.org), sum(s.paired for s in taken), children


def _units_below(unit: RoundUnit) -> list[RoundUnit]:
    return list(
        unit.round.units.filter(org__path__startswith=unit.org.path, level=Level.UNIT)
        .select_related("org")
        .prefetch_related("submissions")
    )


def _state(unit: RoundUnit) -> dict[str, Any]:
    latest = unit.submissions.order_by("-version").first()
    return {
        "version": latest.version if latest else 0,
        "returned": bool(latest and latest.returned_at),
    }


# --- returning ----------------------------------------------------------------------------------


def submission_version(submission: Submission) -> str:
    return version_token({"returned": bool(submission.returned_at)})  # (as checked below)


@transaction.atomic
def return_submission(
    *, submission: Submission, comment: str, by: User, version: str | None = None
) -> Submission:
    """The level above sends the unit's current version back with a comment; the unit submits
    again and both versions stay."""
    submission = (
        Submission.objects.select_for_update()
        .select_related("unit__org", "unit__round")
        .get(pk=submission.pk)
    )
    unit = submission.unit
    if not scope_of(by).may(Area.ROUNDS, Action.CHANGE, level_above(unit)):
        raise ValidationError(_("Only the level above returns a submission."))
    if version is not None:
        check_version(version, {"returned": bool(submission.returned_at)})
    if submission.returned_at is not None:
        raise ValidationError(_("This submission was returned already."))
    if current(unit) != submission:
        raise ValidationError(_("Only the latest version is returned."))
    if not comment.strip():
        raise ValidationError({"comment": _("Say what is to be corrected.")})
    above = (
        unit.round.units.filter(level=Level.REGION)
        .exclude(pk=unit.pk)
        .select_related("org")
        .prefetch_related("submissions")
    )
    for region in above:
        if unit.org.path.startswith(region.org.path) and status_of(region) in IN:
            raise ValidationError(
                _("%(org)s has reported upward already: return its report first.")
                % {"org": region.org.name}
            )
    submission.returned_at = timezone.now()
    submission.returned_by = by
    submission.return_comment = comment.strip()
    submission.full_clean()
    submission.save(update_fields=["returned_at", "returned_by", "return_comment"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=submission,
        org_path=unit.org.path,
        changes={
            "returned_at": submission.returned_at.isoformat(),
            "return_comment": submission.return_comment,
        },
    )
    url = reverse("oversight:unit", args=[unit.pk])
    people = told_at(Area.ROUNDS, Action.ALERT, [unit.org]).get(unit.org.pk, set())
    # In this transaction: a rollback tells no one (notices.services.notify).
    notify(
        User.objects.filter(pk__in=people - {by.pk}, is_active=True),
        text=_("%(round)s: the report of %(org)s was returned: %(comment)s")
        % {"round": unit.round.title, "org": unit.org.name, "comment": comment.strip()},
        url=url,
        key=f"round-return-{submission.pk}",
    )
    return submission


# --- the reminder -------------------------------------------------------------------------------


def remind_late(today: date) -> int:
    """Tell each unit past its deadline without its report in (and the officers above it), once:
    the unit's ``reminded_at`` and the notice's key both stop a second reminder. Returns the
    units reminded now."""
    from shouwang.accounts.models import User as User

    due = (
        RoundUnit.objects.filter(due__lt=today, reminded_at__isnull=True)
        .select_related("org", "round")
        .prefetch_related("submissions")
    )
    late = [u for u in due if status_of(u) not in IN]
    if not late:
        return 0
    people = told_at(Area.ROUNDS, Action.ALERT, [u.org for u in late])
    users = User.objects.in_bulk({pk for ids in people.values() for pk in ids})
    reminded = 0
    for unit in late:
        with transaction.atomic():
            marked = RoundUnit.objects.filter(pk=unit.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not marked:  # another worker reminded it meanwhile
                continue
            audit.record(
                actor=None,
                action=AuditAction.UPDATE,
                obj=unit,
                org_path=unit.org.path,
                changes={"reminded_at": timezone.now().isoformat()},
            )
            notify(
                [users[pk] for pk in sorted(people.get(unit.org.pk, ())) if pk in users],
                text=_("%(round)s: %(org)s has not reported; it was due on %(due)s.")
                % {"round": unit.round.title, "org": unit.org.name, "due": unit.due},
                url=reverse("oversight:unit", args=[unit.pk]),
                key=f"round-late-{unit.pk}",
            )
        reminded += 1
    return reminded
