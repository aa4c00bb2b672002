"""The statistics of a unit on a day (domain.md §7; the JSON in interfaces.md).

Every figure is counted here, from the register as it stood that day under the definition
profile in use: one grouped query over the counted children (per school and class), rolled up
in Python to the unit, its sub-units and its school stages, so a county costs the same number
of queries as a class. The list behind any figure is :func:`children_behind`, filtered by the
same :data:`DIMENSIONS`, so a chart's number and the list it opens always agree.

Where a child is counted (domain.md §2): a village counts the children who live in it,
whichever school they attend; every other unit counts each child once, where the child was
placed that day — their school, or the village a child in no school is registered at — so a
township is the sum of its schools and villages, never of its villages' residents as well.
Children a profile leaves out only for want of a date (a parent's 外出时间) are counted beside
the figures, so the page says how many and why.

The register on a day is one join on columns (each status row's period: ``in_register_on``),
and a unit's children are a range of the placed unit's path, so a database plans a county as
what it is (issue 17). The figures of a day gone by are counted once per person and kept while
the data holds (:func:`_kept`). Today's are a snapshot of the whole unit for those who see all
of it, counted once per change of what it counts (:func:`unit_counted`), and counted live for
everyone else.
"""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connections, transaction
from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import ngettext

from shouwang.accounts.policy import Action, Area, Reach
from shouwang.accounts.scope import scope_of
from shouwang.audit.versions import cache_key, counted, version_ignoring
from shouwang.care.models import CARE_WORK, Pairing, RecordKind
from shouwang.care.selectors import (
    closed_day_stamps,
    person_times,
    person_times_by_day,
    placement_version,
)
from shouwang.children.models import (
    Child,
    DefinitionProfile,
    Gender,
    GuardianClass,
    GuardianRelation,
    RiskGrade,
)
from shouwang.children.profiles import (
    HELD,
    in_figures,
    in_register_on,
    left_out_for_unknown_time_away,
    profile_for,
)
from shouwang.children.selectors import consent_in_force
from shouwang.children.types import LeftBehindType
from shouwang.core.dbwrites import Busy, unless_busy
from shouwang.crosschecks.selectors import flag_figures
from shouwang.orgs.models import Org, OrgKind, Stage, Term
from shouwang.orgs.selectors import CountedEnrolment, calendar_region_for, counted_enrolments
from shouwang.units.selectors import org_visible_to

from .flows import (
    Period,
    caregiver_figures,
    children_of,
    kept_flow_figures,
    live_flow_figures,
)
from .models import UnitDayCare, UnitDayFigures

SMALL = 5  # a cell under this many children could point at a child
HIDDEN = "<5"
COUNTED_TYPES = [t for t in LeftBehindType.values if t != LeftBehindType.NOT_LEFT_BEHIND]
# Seed 003's 随祖辈 / 随其他亲戚 / 随代管家长 / 独自生活, from the guardian's relation.
LIVING_WITH: dict[str, list[str]] = {
    "one_parent": [GuardianRelation.PARENT],
    "grandparents": [GuardianRelation.GRANDPARENT, GuardianRelation.MATERNAL_GRANDPARENT],
    "other_relatives": [GuardianRelation.RELATIVE, GuardianRelation.FRIEND],
    "entrusted_carer": [GuardianRelation.ENTRUSTED],
    "alone": [GuardianRelation.NONE],
}

# Every breakdown of the JSON, as filters on the counted children: the counts and the lists
# behind them both come from here.
DIMENSIONS: dict[str, dict[str, Q]] = {
    "by_gender": {g: Q(gender=g) for g in Gender.values},
    "by_type": {t: Q(left_behind_type=t) for t in COUNTED_TYPES},
    "by_guardian_class": {c: Q(guardian_class=c) for c in GuardianClass.values},
    "by_risk_grade": {
        **{g: Q(risk_grade=g) for g in RiskGrade.values},
        "unassessed": Q(risk_grade=""),
    },
    "by_heart_level": {
        **{str(n): Q(heart_level=n) for n in range(1, 5)},
        "unassessed": Q(heart_level__isnull=True),
    },
    "by_living_with": {
        key: Q(guardian__relation__in=relations) for key, relations in LIVING_WITH.items()
    },
    "boarding": {"yes": Q(boarding=True)},
    "paired": {"yes": Q(paired=True), "no": Q(paired=False)},
    # Without the guardian's consent to keeping the archive in force that day (PIPL art. 31).
    "consent": {"without": Q(consented=False)},
}
# Dimensions that are not columns of the row (school stage, sub-unit) are filtered by place.
PLACE_DIMENSIONS = ("by_stage", "unit")
# Not counted by the grouped query but derived: every counted child is paired or not.
UNPAIRED = ("paired", "no")


def _column(dimension: str, value: str) -> str:
    return f"{dimension}__{value}"


@dataclass
class UnitRow:
    """One sub-unit (township, village, school, grade or class) of the unit shown."""

    org: Org
    students: int | None = None
    children: int = 0
    paired: int = 0

    @property
    def ratio(self) -> float | None:
        return round(self.children / self.students, 4) if self.students else None

    @property
    def coverage(self) -> float | None:
        return round(self.paired / self.children, 4) if self.children else None


@dataclass
class Figures:
    org: Org
    on: date
    profile: DefinitionProfile
    students_total: int = 0
    students_by_stage: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(Stage.values, 0)
    )
    left_behind_total: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    by_stage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Stage.values, 0))
    units: list[UnitRow] = field(default_factory=list)
    trend: list[tuple[str, date, int]] = field(default_factory=list)
    # Children the profile would count but for a parent's time away nobody recorded.
    left_out_unknown_time_away: int = 0
    hide_small: bool = False

    @property
    def ratio(self) -> float | None:
        if not self.students_total:
            return None
        return round(self.left_behind_total / self.students_total, 4)

    @property
    def paired(self) -> int:
        return self.counts["paired"]["yes"]

    @property
    def without_consent(self) -> int:
        return self.counts["consent"]["without"]

    @property
    def coverage(self) -> float | None:
        if not self.left_behind_total:
            return None
        return round(self.paired / self.left_behind_total, 4)

    def cell(self, value: int) -> int | str:
        """A count as shown: under 5 children is "<5" where small counts are hidden."""
        return HIDDEN if self.hide_small and 0 < value < SMALL else value

    @property
    def total_shown(self) -> int | str:
        return self.cell(self.left_behind_total)

    def left_out_notes(self) -> list[str]:
        """How many children the profile would count but the register lacks a fact for, and
        which fact ("12 名儿童因缺少父母外出时间未计入方案口径")."""
        n = self.left_out_unknown_time_away
        if not n:
            return []
        shown = self.cell(n)
        text = ngettext(
            "%(n)s child is not counted under %(profile)s: their parents' time away is not known.",
            "%(n)s children are not counted under %(profile)s: "
            "their parents' time away is not known.",
            n if shown == n else SMALL,
        )
        return [text % {"n": shown, "profile": self.profile.name}]

    def as_json(self) -> dict[str, Any]:
        """Exactly the statistics JSON of interfaces.md, every key present."""
        cell = self.cell
        groups = {
            name: {key: cell(n) for key, n in self.counts[name].items()}
            for name in (
                "by_gender",
                "by_type",
                "by_guardian_class",
                "by_risk_grade",
                "by_heart_level",
            )
        }
        return {
            "org": self.org.code,
            "org_name": self.org.name,
            "on": self.on.isoformat(),
            "profile": self.profile.code,
            "students_total": self.students_total,
            "students_by_stage": dict(self.students_by_stage),
            "left_behind_total": cell(self.left_behind_total),
            "left_behind_ratio": self.ratio,
            **groups,
            "by_stage": {k: cell(n) for k, n in self.by_stage.items()},
            "by_living_with": {k: cell(n) for k, n in self.counts["by_living_with"].items()},
            "boarding": cell(self.counts["boarding"]["yes"]),
            "pairing_coverage": self.coverage,
        }


# --- which children, placed where ------------------------------------------------------------


# The annotation placed_on() adds, filtered by name (the type checker knows only the fields).
PLACED = "placed_school"
THEN = "placed_then"  # the unit the holding status row names (aliases, not selected)
STILL_THERE = {PLACED: F("school_id")}
# The units children are placed at: schools, and the villages children in no school are
# registered at.
PLACES = (OrgKind.SCHOOL, OrgKind.VILLAGE)


def placed_on(children: QuerySet[Child]) -> QuerySet[Child]:
    """Annotate the unit a child in the register on a day (``in_register_on``) was at that day
    (``placed_school``): the status row holding then names it if the child has left it since
    (a transfer after that day names the school it left); else it is their unit now."""
    then = f"{HELD}__placed_at"
    placed = Coalesce(F(then), F("school_id"), output_field=BigIntegerField())
    # The unit the row names, by its own columns: placed_under() filters them (an alias reuses
    # the row's join, where a filter() of its own would join the history again).
    named = {THEN: F(then), f"{THEN}_path": F(f"{then}__path"), f"{THEN}_kind": F(f"{then}__kind")}
    return children.alias(**named).annotate(**{PLACED: placed})


def placed_under(path: str) -> Q:
    """Children (annotated by :func:`placed_on`) placed that day at a school or village under
    ``path``: a range of the placed unit's own path, never a list of the units under it."""
    still_there = {
        f"{THEN}__isnull": True,
        "school__path__startswith": path,
        "school__kind__in": PLACES,
    }
    return Q(**still_there) | Q(**{f"{THEN}_path__startswith": path, f"{THEN}_kind__in": PLACES})


def counted_children(
    children: QuerySet[Child],
    org: Org,
    on: date,
    profile: DefinitionProfile,
    *,
    as_place: bool = False,
) -> QuerySet[Child]:
    """The children ``profile`` counts on ``on`` at ``org``: in its class or grade, placed at its
    schools and villages, or — a village — living in it (``as_place``: a village as the place
    children in no school are registered at, its share of a sum over units)."""
    confirmed = in_figures(children, profile, on)
    counted = _counted_at(org, placed_on(confirmed), as_place=as_place)
    open_pairing = Pairing.objects.filter(child=OuterRef("pk"), starts_on__lte=on).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=on)
    )
    return counted.annotate(paired=Exists(open_pairing), consented=consent_in_force(on))


def _counted_at(org: Org, placed: QuerySet[Child], *, as_place: bool = False) -> QuerySet[Child]:
    """Of children annotated by :func:`placed_on`, those ``org`` counts."""
    if org.kind == OrgKind.SCHOOL_CLASS:
        return placed.filter(school_class=org, **STILL_THERE)
    if org.kind == OrgKind.GRADE:
        return placed.filter(school_class__path__startswith=org.path, **STILL_THERE)
    if org.kind == OrgKind.VILLAGE and not as_place:
        # Where they live, whichever school they attend (a village has no villages below it).
        return placed.filter(home_village=org)
    return placed.filter(placed_under(org.path))


def _unit_path(org: Org, school_path: str, class_path: str | None) -> str | None:
    """The path of the sub-unit one level below ``org`` that holds this placement (none for a
    village's residents placed elsewhere)."""
    place = class_path or school_path
    depth = len(org.path) + Org.steplen
    return place[:depth] if len(place) >= depth and place.startswith(org.path) else None


# --- the figures ------------------------------------------------------------------------------


@dataclass
class Counted:
    """What the grouped count of a unit gives: everything of its figures but the enrolment and
    the sub-units' names (a snapshot keeps this, :class:`stats.models.UnitDayFigures`)."""

    total: int
    counts: dict[str, dict[str, int]]
    by_stage: dict[str, int]
    units: dict[str, tuple[int, int]]  # sub-unit path → (children, paired)
    left_out_unknown_time_away: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "counts": self.counts,
            "by_stage": self.by_stage,
            "units": {path: list(n) for path, n in self.units.items()},
            "left_out_unknown_time_away": self.left_out_unknown_time_away,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Counted:
        return cls(
            total=data["total"],
            counts=data["counts"],
            by_stage=data["by_stage"],
            units={path: (n[0], n[1]) for path, n in data["units"].items()},
            left_out_unknown_time_away=data["left_out_unknown_time_away"],
        )


def figures(
    *,
    org: Org,
    on: date,
    children: QuerySet[Child] | None = None,
    profile: DefinitionProfile | None = None,
    hide_small: bool = False,
    with_units: bool = True,
    with_trend: bool = False,
    counted: Counted | None = None,
    as_place: bool = False,
    enrolments: list[CountedEnrolment] | None = None,
) -> Figures:
    """The unit's figures; ``children`` is the caller's scope (all children when ``None``),
    ``counted`` what the grouped count gave already (a snapshot of the whole unit);
    ``as_place``: a village's share of a sum over units (:func:`counted_children`);
    ``enrolments``: the unit's :func:`counted_enrolments` on ``on`` if the caller has them."""
    profile = profile or profile_for(org, on)
    children = Child.objects.all() if children is None else children
    out = Figures(org=org, on=on, profile=profile, hide_small=hide_small)
    if enrolments is None:
        enrolments = counted_enrolments(org, on)
    for row in enrolments:
        out.students_total += row.total
        if row.grade is not None:
            out.students_by_stage[row.grade.stage] += row.total
    found = counted or count_unit(children, org, on, profile, as_place=as_place)
    out.left_behind_total = found.total
    out.counts = {name: dict(values) for name, values in found.counts.items()}
    out.by_stage.update(found.by_stage)
    out.left_out_unknown_time_away = found.left_out_unknown_time_away
    if with_units:
        units = {
            path: UnitRow(org=org, children=n, paired=paired)
            for path, (n, paired) in found.units.items()
        }
        out.units = _units(org, units, enrolments)
    if with_trend:
        count = _counter(children, org, profile)
        out.trend = [(name, day, count(day)) for name, day in _term_ends(org, on)]
    return out


def count_unit(
    children: QuerySet[Child],
    org: Org,
    on: date,
    profile: DefinitionProfile,
    *,
    as_place: bool = False,
) -> Counted:
    """The grouped count of the unit's counted children among ``children``: one query."""
    counted = counted_children(children, org, on, profile, as_place=as_place)
    # One row per place and class: the place, the class, the school now, how many, then one
    # count per breakdown (tuples summed column by column: a county has thousands of rows).
    counted_here = [(name, value) for name, values in DIMENSIONS.items() for value in values]
    counted_here.remove(UNPAIRED)
    aggregates = {
        _column(name, value): Count("pk", filter=DIMENSIONS[name][value])
        for name, value in counted_here
    }
    grouped = (
        counted.order_by()
        .values_list(PLACED, "school_class_id", "school_id")
        .annotate(total=Count("pk"), **aggregates)
    )
    rows = _fetched(grouped)
    columns = list(zip(*rows, strict=True)) or [()] * (4 + len(counted_here))
    sums = [sum(column) for column in columns[3:]]
    out = Counted(
        total=sums[0],
        counts={name: {} for name in DIMENSIONS},
        by_stage=dict.fromkeys(Stage.values, 0),
        units={},
    )
    for (name, value), n in zip(counted_here, sums[1:], strict=True):
        out.counts[name][value] = n
    out.counts["paired"]["no"] = out.total - out.counts["paired"]["yes"]
    # The places behind the rows: schools and classes with their paths and grades' stages.
    place_ids = {r[0] for r in rows} | {r[1] for r in rows}
    paths = dict(Org.objects.filter(pk__in=place_ids - {None}).values_list("pk", "path"))
    grade_paths = {p[: -Org.steplen] for p in paths.values()}
    stages = dict(
        Org.objects.filter(path__in=grade_paths, kind=OrgKind.GRADE).values_list("path", "stage")
    )
    units: dict[str, list[int]] = {}
    paired_at = 4 + counted_here.index(("paired", "yes"))
    for group in rows:
        placed, class_id, school_id, n = group[:4]
        class_path = paths.get(class_id) if placed == school_id else None  # still there
        if class_path and (stage := stages.get(class_path[: -Org.steplen])):
            out.by_stage[stage] += n
        unit = _unit_path(org, paths[placed], class_path)
        if unit is not None:
            entry = units.setdefault(unit, [0, 0])
            entry[0] += n
            entry[1] += group[paired_at]
    out.units = {path: (n, paired) for path, (n, paired) in units.items()}
    if profile.min_months_away:
        # Only a profile that asks how long parents have been away can miss that date (one
        # count more; the figures themselves stay one grouped query).
        missing = left_out_for_unknown_time_away(children, profile, on)
        out.left_out_unknown_time_away = _counted_at(
            org, placed_on(missing), as_place=as_place
        ).count()
    return out


def _fetched(rows: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The rows as the database returns them: Django would convert each of the thirty-odd
    counts of every row one by one, a third of a county's page (they are the database's
    integers already)."""
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # a scope that reaches nobody
        return []
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _units(
    org: Org, found: dict[str, UnitRow], enrolments: list[CountedEnrolment]
) -> list[UnitRow]:
    """Every sub-unit that has students or counted children, in tree order."""
    depth = len(org.path) + Org.steplen
    students: dict[str, int] = defaultdict(int)
    for enrolment in enrolments:
        place = enrolment.grade.path if enrolment.grade is not None else enrolment.school.path
        if len(place) >= depth:
            students[place[:depth]] += enrolment.total
    below = Org.objects.filter(path__in=set(found) | set(students)).order_by("path")
    out = []
    for node in below:
        row = found.get(node.path, UnitRow(org=node))
        row.org = node
        # Classes have no enrolment of their own (it is counted by grade).
        row.students = students.get(node.path) if node.kind != OrgKind.SCHOOL_CLASS else None
        out.append(row)
    return out


def _counter(
    children: QuerySet[Child], org: Org, profile: DefinitionProfile
) -> Callable[[date], int]:
    """The unit's left-behind children on a day, as one count."""
    return lambda day: counted_children(children, org, day, profile).count()


def _term_ends(org: Org, on: date) -> list[tuple[str, date]]:
    """The last six terms and the day each is counted at: its end (``on`` for this one)."""
    region = calendar_region_for(org)
    if region is None:
        return []
    terms = Term.objects.filter(region=region, start__lte=on).order_by("-start")[:6]
    return [(term.name, min(term.end, on)) for term in reversed(terms)]


def _classes_of_stage(counted: QuerySet[Child], stage: str) -> list[int]:
    """The classes of the counted children whose grade is of ``stage`` (a village's children
    are in classes of schools anywhere)."""
    classes = dict(
        Org.objects.filter(pk__in=counted.values("school_class")).values_list("pk", "path")
    )
    grades = set(
        Org.objects.filter(
            path__in={path[: -Org.steplen] for path in classes.values()},
            kind=OrgKind.GRADE,
            stage=stage,
        ).values_list("path", flat=True)
    )
    return [pk for pk, path in classes.items() if path[: -Org.steplen] in grades]


def children_behind(
    counted: QuerySet[Child], org: Org, dimension: str, value: str
) -> QuerySet[Child]:
    """The children behind one figure: the same filter that counted them."""
    if dimension == "all":
        return counted
    if dimension in DIMENSIONS and value in DIMENSIONS[dimension]:
        return counted.filter(DIMENSIONS[dimension][value])
    if dimension == "by_stage" and value in Stage.values:
        classes = _classes_of_stage(counted, value)
        return counted.filter(school_class__in=classes, **STILL_THERE)
    if dimension == "unit":
        unit = Org.objects.filter(code=value, path__startswith=org.path).first()
        if unit is None:
            return counted.none()
        if unit.kind in (OrgKind.GRADE, OrgKind.SCHOOL_CLASS):
            return counted.filter(school_class__path__startswith=unit.path, **STILL_THERE)
        # A sub-unit's row counts the children placed in it, as in :func:`figures`.
        return counted.filter(placed_under(unit.path))
    return counted.none()


# --- for a user ---------------------------------------------------------------------------------


def sees_children_of(user: Any, org: Org) -> bool:
    """Whether the user sees every child behind the unit's figures (a region officer in their
    region, a school's leaders in the school, a teacher in their class)."""
    return scope_of(user).may(Area.FIGURES, Action.LIST, org)


def hides_small_counts(user: Any, org: Org, *, export: bool = False) -> bool:
    """Small counts are hidden from those who may not see the children, and in every export
    above school level (a setting, on by default)."""
    above_school = org.kind not in (OrgKind.SCHOOL, OrgKind.GRADE, OrgKind.SCHOOL_CLASS)
    if export and above_school and settings.SHOUWANG_HIDE_SMALL_COUNTS_IN_EXPORTS:
        return True
    return not sees_children_of(user, org)


def figures_org(user: Any, code: str) -> Org:
    """The unit of that code, if it has figures and the user may see them; else 404."""
    org = org_visible_to(user, code)
    if org.kind not in STATS_KINDS or not scope_of(user).may(Area.FIGURES, Action.VIEW):
        raise Http404
    return org


def figures_for(
    user: Any,
    code: str,
    on: date,
    profile: DefinitionProfile | None = None,
    *,
    export: bool = False,
    with_units: bool = True,
    with_trend: bool = False,
) -> Figures:
    """A unit's figures as this user may see them: their scope, small counts hidden if due."""
    org = figures_org(user, code)
    hide_small = hides_small_counts(user, org, export=export)
    profile = profile or profile_for(org, on)

    def count() -> Figures:
        return figures(
            org=org,
            on=on,
            children=Child.objects.restrict(user),
            profile=profile,
            hide_small=hide_small,
            with_units=with_units,
            with_trend=with_trend,
            counted=_whole_unit_today(user, org, on, profile),
        )

    if on >= timezone.localdate():
        return count()
    what = ("figures", org.pk, on, profile.pk, hide_small, with_units, with_trend)
    return _kept(user, what, count)


def trend_for(
    user: Any, code: str, on: date, profile: DefinitionProfile | None = None
) -> tuple[Org, list[tuple[str, date, int | None]]]:
    """Left-behind children at the end of each recent term, in the user's scope: the terms
    that have ended are counted once and kept, this one live. A term with no child in the
    unit's register at all is no data (None: 无数据), not 0 (issue 19)."""
    org = org_visible_to(user, code)
    if org.kind not in STATS_KINDS or not scope_of(user).may(Area.FIGURES, Action.VIEW):
        raise Http404
    profile = profile or profile_for(org, on)
    children = Child.objects.restrict(user)
    counter = _counter(children, org, profile)

    def count(day: date) -> int | None:
        n = counter(day)
        if n == 0 and not _counted_at(org, placed_on(in_register_on(children, day))).exists():
            return None
        return n

    ends = _term_ends(org, on)
    closed = tuple(day for _name, day in ends if day < timezone.localdate())
    kept: dict[date, int | None] = {}
    if closed:
        what = ("trend", org.pk, closed, profile.pk, "no-data")
        kept = _kept(user, what, lambda: {day: count(day) for day in closed})
    return org, [(name, day, kept[day] if day in kept else count(day)) for name, day in ends]


T = TypeVar("T")


def _kept(user: Any, what: tuple[Any, ...], count: Callable[[], T]) -> T:
    """Figures of days gone by, counted once and kept for the person who asked (issue 17).

    A day gone by still changes: its figures count today's archives (a type corrected, a
    pairing ended) as they stood that day, and a change may be back-dated. So they are kept
    only while the data's version holds (audit.versions: any change committed since makes a
    new one, and is counted at once; never handed out stale), under a key holding the user's
    whole scope and every argument: what the figures count is what *that person* may see
    (their region, their school, the children paired to them), so they are never handed to
    anyone else."""
    key = cache_key("figures", scope_of(user).fingerprint(), *what)
    return counted(key, count, stale=0)[0]


# The list behind a "left out" note: children not counted, for want of which fact.
LEFT_OUT = "left_out"
UNKNOWN_TIME_AWAY = "unknown_time_away"


def list_behind(
    user: Any, code: str, on: date, profile: DefinitionProfile | None, dimension: str, value: str
) -> tuple[Org, QuerySet[Child]]:
    """The children behind one of the unit's figures, in the user's scope (or, behind a note,
    the children left out for a missing fact: the archives to complete)."""
    org = org_visible_to(user, code)
    if not sees_children_of(user, org):
        raise Http404
    children = Child.objects.restrict(user)
    profile = profile or profile_for(org, on)
    if (dimension, value) == (LEFT_OUT, UNKNOWN_TIME_AWAY):
        missing = left_out_for_unknown_time_away(children, profile, on)
        return org, _counted_at(org, placed_on(missing))
    counted = counted_children(children, org, on, profile)
    return org, children_behind(counted, org, dimension, value)


def home_figures(
    user: Any, org: Org, on: date, enrolments: list[CountedEnrolment] | None = None
) -> Figures | None:
    """The figures a user's home page shows for one of their places: a region's officers and a
    school's leaders land on their unit's, a village's child director on the village's (the
    children who live there: their own register); others, and the sysadmin, on none."""
    scope = scope_of(user)
    if scope.sees_every_unit or org.kind not in STATS_KINDS:
        return None
    if not scope.may(Area.HOME_FIGURES, Action.VIEW, org):
        return None
    profile = profile_for(org, on)
    return figures(
        org=org,
        on=on,
        children=Child.objects.restrict(user),
        profile=profile,
        hide_small=hides_small_counts(user, org),
        with_units=False,
        counted=_whole_unit_today(user, org, on, profile),
        enrolments=enrolments,
    )


# --- snapshots: a unit's whole count of today, once per change of what it counts ------------------

# Units a snapshot is kept for. A grade or a class is a few dozen children, counted live: a
# snapshot would only pay for itself above the size of a school.
SNAPSHOT_KINDS = frozenset(
    {
        OrgKind.PROVINCE,
        OrgKind.CITY,
        OrgKind.COUNTY,
        OrgKind.TOWNSHIP,
        OrgKind.VILLAGE,
        OrgKind.SCHOOL,
    }
)
KEEP_SNAPSHOT_DAYS = 7  # a cache: older rows are dropped by the worker


def flows_for(
    user: Any | None,
    org: Org,
    on: date,
    period: Period,
    profile: DefinitionProfile | None = None,
    *,
    as_place: bool = False,
) -> dict[str, Any]:
    """The statistics JSON's keys beyond the day's counts (stats.flows) as ``user`` may see them
    (``None``: the command line, everything): the caregivers of the counted children on ``on``,
    and the work done over ``period`` for the children and by the units of their scope.

    Counted once per change of what they read (issue 17): all but the care records and the
    emergency chains are kept under the audit log's version that care records do not move, per
    unit, day, period and reader (the whole unit, or the reader's own scope); the emergency
    chains are counted on every call, and so are the care records of a reader who sees part of
    the unit; for the whole unit the closed days' care records are kept
    (:func:`care_person_times`)."""
    profile = profile or profile_for(org, on)
    whole = user is None or sees_whole_unit(user, org)
    children = Child.objects.all() if user is None else Child.objects.restrict(user)
    within = None if whole else children
    with_money = user is None or scope_of(user).may(Area.ASSISTANCE, Action.VIEW, org)
    reader = "whole" if whole or user is None else user.pk
    key = cache_key("flows", org.pk, on, period, profile.pk, as_place, with_money, reader)
    version = version_ignoring(FLOWS_NOT_READ)  # read first: a change while counting is newer
    found = cache.get(key)
    if found is not None and found[0] == version:
        kept = found[1]
    else:
        counted = counted_children(children, org, on, profile, as_place=as_place)
        kept = (
            caregiver_figures(counted=counted, on=on)
            | flag_figures(children=counted)
            | kept_flow_figures(
                org=org, period=period, within=within, as_place=as_place, with_money=with_money
            )
        )
        # (A copy: what the caller does with its figures before the commit is not kept.)
        entry = (version, copy.deepcopy(kept))
        transaction.on_commit(lambda: cache.set(key, entry, KEEP_FLOWS_SECONDS))
    person_times = (
        care_person_times(org, period, as_place=as_place, version=version) if whole else None
    )
    live = live_flow_figures(
        org=org, period=period, within=within, as_place=as_place, care_person_times=person_times
    )
    return live | kept


# Days kept of a unit's care records: up to the day before yesterday. A record of today stamps
# no day (``care.services.stamp_closed_days``), so yesterday is counted live: a record of
# yesterday still being written at midnight is in it when it commits.
CARE_LIVE_DAYS = 2
# A cache: counts not made again for this long are dropped by the worker (and, asked again,
# counted again).
KEEP_CARE_COUNTS_DAYS = 62


def care_person_times(
    org: Org, period: Period, *, as_place: bool = False, version: str
) -> dict[str, int]:
    """The 人次 of care of the whole unit over ``period`` (``care.selectors.person_times``): the
    days closed before yesterday from their kept counts (``UnitDayCare``), the rest live.

    A day's count is kept under ``version`` — the audit log's, which every change of where a
    child is placed moves (a transfer moves a child's records with them: ``flows.children_of``
    counts the unit's children now) — and under its day's stamp, which a record written or
    corrected late for it makes new: a day counted under either before is counted again."""
    children = children_of(org, as_place=as_place).values("pk")
    last_kept = min(period.end, timezone.localdate() - timedelta(days=CARE_LIVE_DAYS))
    if org.kind not in SNAPSHOT_KINDS or last_kept < period.start:
        return person_times(children, period.start, period.end)
    days = [period.start + timedelta(days=n) for n in range((last_kept - period.start).days + 1)]
    stamps = closed_day_stamps(period.start, last_kept)  # read first, as the version
    kept = {
        day: counts
        for day, counts, kept_version, stamp in UnitDayCare.objects.filter(
            org=org, as_place=as_place, day__range=(period.start, last_kept)
        ).values_list("day", "counts", "version", "stamp")
        if kept_version == version and stamp == stamps.get(day, "")
    }
    stale = [day for day in days if day not in kept]
    if stale:
        counted = person_times_by_day(children, stale[0], stale[-1])
        fresh = {day: counted.get(day, {}) for day in stale}
        kept |= fresh
        rows = [
            UnitDayCare(
                org=org,
                as_place=as_place,
                day=day,
                counts=counts,
                version=version,
                stamp=stamps.get(day, ""),
                made_at=timezone.now(),
            )
            for day, counts in fresh.items()
        ]
        # Kept once the transaction that counted commits: a rolled-back change is never kept.
        transaction.on_commit(lambda: _keep_care(rows))
    out = dict.fromkeys(RecordKind.values, 0)
    if last_kept < period.end:
        out = person_times(children, last_kept + timedelta(days=1), period.end)
    for counts in kept.values():
        for kind, n in counts.items():
            if kind in out:  # (a kind no longer offered is not counted live either)
                out[kind] += n
    return out


def _keep_care(rows: list[UnitDayCare]) -> None:
    try:
        with unless_busy():
            UnitDayCare.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["org", "as_place", "day"],
                update_fields=["counts", "version", "stamp", "made_at"],
            )
    except Busy:
        pass  # SQLite's one writer is busy (an import): the next reader counts again


# What the kept flows read none of: care records and what hangs from them, duty rules. (Unlike
# the day's counts, the flows read caregivers: their kinds.)
FLOWS_NOT_READ = tuple(t for t in CARE_WORK if t != "care.caregiver")
KEEP_FLOWS_SECONDS = 600


def figures_version() -> str:
    """The version of what the figures count (children, parents and guardians, status rows,
    pairings, consent, the tree, enrolment, definitions): the care work does not change it."""
    return placement_version()


def sees_whole_unit(user: Any, org: Org) -> bool:
    """Whether every child ``org`` counts today is within the user's scope, so that the unit's
    whole count (its snapshot) is exactly what counting their own scope would give.

    Read off the gate's table, the reaches ``Child.objects.restrict(user)`` applies: a unit
    counts the children placed today at its schools and villages — reached by SCHOOL over the
    unit or above it — and a village the children who live in it (HOME over it). A teacher's
    class, a volunteer's pairings, a reach over part of the unit give no whole unit: those
    count their own scope."""
    if org.kind not in SNAPSHOT_KINDS:
        return False
    reaches = scope_of(user).reach_paths(Child.policy.area, Action.VIEW)
    if Reach.ALL in reaches:
        return True
    needed = Reach.HOME if org.kind == OrgKind.VILLAGE else Reach.SCHOOL
    return org.path.startswith(reaches.get(needed, ()))


def _whole_unit_today(user: Any, org: Org, on: date, profile: DefinitionProfile) -> Counted | None:
    """Today's whole count of the unit, for a user who sees all of it; None for anyone else
    and any other day (a day gone by counts each child where they were placed *then*, which
    the scope of today need not cover: those are kept per person, :func:`_kept`)."""
    if on != timezone.localdate() or not sees_whole_unit(user, org):
        return None
    return unit_counted(org, on, profile)


def unit_counted(org: Org, on: date, profile: DefinitionProfile) -> Counted:
    """The unit's whole count from its snapshot while the data it counts holds; else counted
    now and kept (so once per change, whoever asks first: a view, or the worker)."""
    version = figures_version()  # read first: a change committed while counting is newer
    kept = (
        UnitDayFigures.objects.filter(org=org, day=on, profile=profile)
        .values_list("version", "counted")
        .first()
    )
    if kept is not None and kept[0] == version:
        return Counted.from_json(kept[1])
    begin = time.perf_counter()
    found = count_unit(Child.objects.all(), org, on, profile)
    took = time.perf_counter() - begin
    # Kept once the transaction that counted commits: a rolled-back change is never kept.
    transaction.on_commit(lambda: _keep(org, on, profile, found, version, took))
    return found


def _keep(
    org: Org, on: date, profile: DefinitionProfile, found: Counted, version: str, took: float
) -> None:
    try:
        with unless_busy():
            UnitDayFigures.objects.update_or_create(
                org=org,
                day=on,
                profile=profile,
                defaults={
                    "counted": found.as_json(),
                    "version": version,
                    "made_at": timezone.now(),
                    "took": took,
                },
            )
    except IntegrityError:
        pass  # counted by two at once: the other's is as good
    except Busy:
        pass  # SQLite's one writer is busy (an import): the next reader counts again


# Units whose figures mean something: the tree above schools, schools and their grades/classes.
STATS_KINDS = frozenset(
    {
        OrgKind.PROVINCE,
        OrgKind.CITY,
        OrgKind.COUNTY,
        OrgKind.TOWNSHIP,
        OrgKind.VILLAGE,
        OrgKind.SCHOOL,
        OrgKind.GRADE,
        OrgKind.SCHOOL_CLASS,
    }
)


def profiles() -> QuerySet[DefinitionProfile]:
    return DefinitionProfile.objects.all()


def profile_named(name: str) -> DefinitionProfile | None:
    """A profile by its code or its name, as typed on the command line."""
    return DefinitionProfile.objects.filter(Q(code=name) | Q(name=name)).first()


def as_rows(data: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """The JSON flattened to (group, key, value) rows, for an export of a chart's numbers."""
    out: list[tuple[str, str, Any]] = []
    for name, value in data.items():
        if isinstance(value, dict):
            out += [(name, key, v) for key, v in value.items()]
        else:
            out.append(("", name, value))
    return out
