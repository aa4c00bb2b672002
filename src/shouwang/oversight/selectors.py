"""Reads of reporting rounds: what a person sees of a round (the units in their scope), each
unit's status, the summed figures of the frozen snapshots, and two rounds compared."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.orgs.models import Org

from .models import Level, Round, RoundUnit, Submission


class Status:
    SUBMITTED = "submitted"
    SUBMITTED_LATE = "submitted_late"
    RETURNED = "returned"
    MISSING = "missing"


IN = (Status.SUBMITTED, Status.SUBMITTED_LATE)
# Keys of the statistics JSON that name the unit or the day, or are ratios: never summed.
# A village's share of a sum over units, kept in its snapshot beside its own figures.
AS_PLACE = "as_place"
NOT_SUMMED = frozenset(
    {
        "org",
        "org_name",
        "on",
        "profile",
        "period",
        "left_behind_ratio",
        "pairing_coverage",
        "paired",
        AS_PLACE,
    }
)


# --- who sees what ------------------------------------------------------------------------------


def rounds_visible_to(user: Any) -> QuerySet[Round]:
    """Rounds opened over a unit the user oversees, or in which a unit of theirs reports."""
    scope = scope_of(user)
    reporting = RoundUnit.objects.filter(scope.units_q(Area.ROUNDS, Action.VIEW, "org__path"))
    return Round.objects.filter(
        Q(pk__in=reporting.values("round_id"))
        | scope.units_q(Area.ROUNDS, Action.VIEW, "org__path")
    ).select_related("org")


def round_visible_to(user: Any, pk: int) -> Round:
    return get_object_or_404(rounds_visible_to(user), pk=pk)


def units_visible_to(user: Any, round_: Round) -> QuerySet[RoundUnit]:
    """The round's units in the user's scope (a school's leaders: their school; a township's
    officers: the township and its units), with their versions newest first."""
    return (
        round_.units.filter(scope_of(user).units_q(Area.ROUNDS, Action.VIEW, "org__path"))
        .select_related("org")
        .prefetch_related(
            Prefetch(
                "submissions",
                queryset=Submission.objects.select_related("submitted_by", "returned_by"),
            )
        )
    )


def unit_to_submit(user: Any, pk: int) -> RoundUnit:
    """A round's unit the user may submit for (its leaders, the officers above): else 404."""
    scope = scope_of(user)
    return get_object_or_404(
        RoundUnit.objects.filter(scope.units_q(Area.ROUNDS, Action.CHANGE, "org__path"))
        .select_related("round__org", "org")
        .prefetch_related("submissions__submitted_by", "submissions__returned_by"),
        pk=pk,
    )


def level_above(unit: RoundUnit) -> Org:
    """Who reviews the unit: the unit the org hangs from (a school's township)."""
    parent = Org.objects.filter(path=unit.org.path[: -Org.steplen]).first()
    return parent if parent is not None else unit.org


def may_return(user: Any, unit: RoundUnit) -> bool:
    """The level above the unit returns its submissions, never the unit itself."""
    return scope_of(user).may(Area.ROUNDS, Action.CHANGE, level_above(unit))


def rights_over(user: Any, units: list[RoundUnit]) -> tuple[set[int], set[int]]:
    """Of ``units``, those the user may submit for and those whose reports they may return (the
    level above each), in two queries whatever the number of units."""
    scope = scope_of(user)
    may = scope.units_q(Area.ROUNDS, Action.CHANGE)
    paths = {u.org.path for u in units} | {u.org.path[: -Org.steplen] for u in units}
    held = set(Org.objects.filter(may, path__in=paths).values_list("path", flat=True))
    submits = {u.pk for u in units if u.org.path in held}
    returns = {u.pk for u in units if u.org.path[: -Org.steplen] in held}
    return submits, returns


def submission_to_return(user: Any, pk: int) -> Submission:
    found = get_object_or_404(
        Submission.objects.select_related("unit__org", "unit__round", "submitted_by"), pk=pk
    )
    if not may_return(user, found.unit):
        raise Http404
    return found


def submission_visible_to(user: Any, pk: int) -> Submission:
    scope = scope_of(user)
    return get_object_or_404(
        Submission.objects.filter(
            scope.units_q(Area.ROUNDS, Action.VIEW, "unit__org__path")
        ).select_related("unit__org", "unit__round"),
        pk=pk,
    )


# --- status -------------------------------------------------------------------------------------


def versions(unit: RoundUnit) -> list[Submission]:
    """The unit's submissions, newest first (prefetched where the caller prefetched)."""
    return sorted(unit.submissions.all(), key=lambda s: -s.version)


def current(unit: RoundUnit) -> Submission | None:
    found = versions(unit)
    return found[0] if found else None


def status_of(unit: RoundUnit) -> str:
    latest = current(unit)
    if latest is None:
        return Status.MISSING
    if latest.returned_at is not None:
        return Status.RETURNED
    if timezone.localdate(latest.submitted_at) > unit.due:
        return Status.SUBMITTED_LATE
    return Status.SUBMITTED


def is_late(unit: RoundUnit, today: date) -> bool:
    """Red on the page: in after its deadline, or still not in with the deadline passed."""
    status = status_of(unit)
    return status == Status.SUBMITTED_LATE or (status not in IN and today > unit.due)


@dataclass
class UnitRow:
    unit: RoundUnit
    status: str
    late: bool
    current: Submission | None
    versions: list[Submission] = field(default_factory=list)


@dataclass
class Report:
    round: Round
    rows: list[UnitRow]
    figures: dict[str, Any]

    def codes(self, *statuses: str) -> list[str]:
        return [r.unit.org.code for r in self.rows if r.status in statuses]

    @property
    def late(self) -> list[str]:
        return [r.unit.org.code for r in self.rows if r.late]

    def as_json(self) -> dict[str, Any]:
        """``round show --json`` (interfaces.md)."""
        return {
            "id": self.round.pk,
            "title": self.round.title,
            "org": self.round.org.code,
            "due": self.round.due.isoformat(),
            "due_upward": self.round.due_upward.isoformat() if self.round.due_upward else None,
            "units": [
                {
                    "org": r.unit.org.code,
                    "name": r.unit.org.name,
                    "level": r.unit.level,
                    "due": r.unit.due.isoformat(),
                    "status": r.status,
                    "submitted_at": (
                        timezone.localtime(r.current.submitted_at).isoformat()
                        if r.current is not None and r.status in IN
                        else None
                    ),
                }
                for r in self.rows
            ],
            "submitted": self.codes(*IN),
            "late": self.late,
            "missing": self.codes(Status.RETURNED, Status.MISSING),
            "figures": self.figures,
        }


def report(round_: Round, units: Iterable[RoundUnit], today: date | None = None) -> Report:
    """The units' status and the sum of the reporting units' (schools', villages') frozen
    figures; a township's own submission is its units' sum already, so it is not added again."""
    today = today or timezone.localdate()
    rows = [
        UnitRow(
            unit=u, status=status_of(u), late=is_late(u, today), current=current(u), versions=[]
        )
        for u in units
    ]
    for row in rows:
        row.versions = versions(row.unit)
    taken = [r.current for r in rows if r.status in IN and r.unit.level == Level.UNIT]
    figures = summed([s for s in taken if s is not None], org=round_.org)
    return Report(round=round_, rows=rows, figures=figures)


def report_for(user: Any, round_: Round) -> Report:
    return report(round_, units_visible_to(user, round_))


def report_whole(round_: Round) -> Report:
    """Every unit of the round (the command line)."""
    return report(round_, round_.units.select_related("org").prefetch_related("submissions"))


# --- summing frozen figures ---------------------------------------------------------------------


def _add(total: Any, value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return total
    if isinstance(value, int):
        return (total if isinstance(total, int) else 0) + value
    if isinstance(value, Mapping):
        out = dict(total) if isinstance(total, Mapping) else {}
        for key, inner in value.items():
            out[key] = _add(out.get(key), inner)
        return out
    if isinstance(value, str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return total
        return f"{Decimal(total or '0') + amount:.2f}"
    return total  # a ratio: recomputed from the sums


def summed(submissions: list[Submission], *, org: Org) -> dict[str, Any]:
    """Every count of the snapshots added up (money as decimal strings), the ratios computed
    again from the sums: ``left_behind_ratio`` from the enrolled students, ``pairing_coverage``
    from the paired children each snapshot kept."""
    total: dict[str, Any] = {}
    paired = 0
    for submission in submissions:
        # A village's share is its children in no school (its own figures count its residents,
        # whom their schools count too): services.preview keeps it beside them.
        share = submission.figures.get(AS_PLACE)
        figures = share if share is not None else submission.figures
        paired += share["paired"] if share is not None else submission.paired
        for key, value in figures.items():
            if key not in NOT_SUMMED and key != "children":
                total[key] = _add(total.get(key), value)
    students = total.get("students_total", 0)
    children = total.get("left_behind_total", 0)
    return {
        "org": org.code,
        "org_name": org.name,
        "units": len(submissions),
        **total,
        "left_behind_ratio": round(children / students, 4) if students else None,
        "pairing_coverage": round(paired / children, 4) if children else None,
    }


# --- comparing two rounds -----------------------------------------------------------------------


@dataclass
class Comparison:
    added: list[dict[str, Any]]
    left: list[dict[str, Any]]
    changed: list[dict[str, Any]]  # {"id", "name", "was", "now"}


def children_in(report_: Report) -> dict[int, dict[str, Any]]:
    """The counted children of the reporting units' submissions in the report, by id."""
    out: dict[int, dict[str, Any]] = {}
    for row in report_.rows:
        if row.unit.level == Level.UNIT and row.status in IN and row.current is not None:
            for child in row.current.children:
                out[child["id"]] = child
    return out


def compare(earlier: Report, later: Report) -> Comparison:
    before, after = children_in(earlier), children_in(later)
    return Comparison(
        added=[after[k] for k in sorted(after.keys() - before.keys())],
        left=[before[k] for k in sorted(before.keys() - after.keys())],
        changed=[
            {"id": k, "name": after[k]["name"], "was": before[k]["type"], "now": after[k]["type"]}
            for k in sorted(after.keys() & before.keys())
            if before[k]["type"] != after[k]["type"]
        ],
    )
