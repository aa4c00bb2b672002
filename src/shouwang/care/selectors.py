"""Reads of care work. Every one starts from the acting user's scope (accounts.scope).

The duty engine's inputs are loaded here in a fixed number of queries for any set of children
(a caregiver's few, a county's twenty thousand), then :func:`engine.obligations` does the rest.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Greatest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area, Reach
from shouwang.accounts.scope import scope_of, told_at
from shouwang.audit.versions import cache_key, counted, data_version, version_ignoring
from shouwang.children.models import IN_REGISTER, Child, DefinitionProfile, StatusChange
from shouwang.children.profiles import in_figures, profile_for
from shouwang.core.dbwrites import Busy, unless_busy
from shouwang.orgs.models import REGION_KINDS, Holiday, Org, OrgKind, Term

from . import engine, follow_ups
from .models import (
    CARE_WORK,
    TWO_TO_ONE_ROLES,
    Caregiver,
    CaregiverKind,
    CarePlan,
    CareRecord,
    ClosedDayStamp,
    DutyPolicy,
    DutyRule,
    FollowUp,
    KeptCompliance,
    Pairing,
    PairingMode,
    RecordKind,
    pairing_mode,
)

log = logging.getLogger(__name__)
STEPLEN = Org.steplen
# Above this many children, records are read by county (one index range) instead of by child.
COUNTY_READ_FROM = 5000


def open_pairings(on: date | None = None) -> Q:
    on = on or timezone.localdate()
    return Q(starts_on__lte=on) & (Q(ends_on__isnull=True) | Q(ends_on__gte=on))


def caregiver_of(user: Any) -> Caregiver | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Caregiver.objects.filter(user=user).first()


def paired_children(user_id: int) -> Any:
    """The children with an open pairing to this person today, for the policy's "paired"
    reach (handed to accounts.scope when the app is ready)."""
    today = timezone.localdate()
    current = Pairing.objects.filter(caregiver__user_id=user_id, starts_on__lte=today)
    return current.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).values("child_id")


def children_recordable_by(user: Any) -> QuerySet[Child]:
    """Children whose care the user may record: their classes, school or region, and pairings."""
    return Child.objects.restrict(user, Action.ADD, Area.CARE).filter(status__in=IN_REGISTER)


def child_recordable_by(user: Any, pk: int) -> Child:
    return get_object_or_404(children_recordable_by(user), pk=pk)


def pairings_visible_to(user: Any) -> QuerySet[Pairing]:
    return Pairing.objects.restrict(user).select_related(
        "child", "child__school_class", "caregiver"
    )


def pairing_manageable_by(user: Any, pk: int) -> Pairing:
    children = Child.objects.filter(scope_of(user).q(Area.PAIRING, Action.CHANGE))
    return get_object_or_404(
        Pairing.objects.filter(child__in=children).select_related("child", "caregiver"), pk=pk
    )


def children_pairable_by(user: Any) -> QuerySet[Child]:
    """School admins pair the children of their school; region officers those of the region."""
    scope = scope_of(user)
    return Child.objects.filter(scope.q(Area.PAIRING, Action.CHANGE), status__in=IN_REGISTER)


def caregivers_manageable_by(user: Any) -> QuerySet[Caregiver]:
    units = scope_of(user).units_q(Area.CAREGIVERS, Action.VIEW, "org__path")
    return Caregiver.objects.filter(units).select_related("org")


def lacks_two_to_one_pairing(child: Child) -> bool:
    """Seed 002: a 4-heart child needs a "二对一" pairing, one cadre and one teacher."""
    if child.heart_level != 4:
        return False
    roles = set(child.pairings.filter(open_pairings()).values_list("role", flat=True))
    return not roles >= TWO_TO_ONE_ROLES


def pairings_of(child: Child) -> QuerySet[Pairing]:
    return child.pairings.select_related("caregiver", "created_by").order_by(
        "ends_on", "-starts_on"
    )


def records_of(child: Child) -> QuerySet[CareRecord]:
    return child.care_records.filter(is_current=True).select_related("caregiver", "recorded_by")


def record_visible_to(user: Any, pk: int) -> CareRecord:
    return get_object_or_404(
        CareRecord.objects.restrict(user).select_related("child", "caregiver", "recorded_by"),
        pk=pk,
    )


def records_correctable_by(user: Any) -> QuerySet[CareRecord]:
    """Current records the user may correct or withdraw: the record's author (who wrote its
    first version, or the caregiver whose contact it records) and the managers of the child's
    school — no one else, or a colleague could withdraw a visit and falsify duty compliance."""
    scope = scope_of(user)
    if user is None or not getattr(user, "pk", None):
        return CareRecord.objects.none()
    # The table's "own" for a record is its author: who wrote the first version, or the
    # caregiver whose contact it records.
    authored = (
        Q(original__isnull=True, recorded_by_id=user.pk)
        | Q(original__recorded_by_id=user.pk)
        | Q(caregiver__user_id=user.pk)
    )
    managers = scope.q(Area.CARE, Action.CHANGE, via="child")
    return CareRecord.objects.restrict(user).filter(authored | managers, is_current=True)


def record_correctable_by(user: Any, pk: int) -> CareRecord:
    """The current record, or 404 unless the user may correct it."""
    return get_object_or_404(
        records_correctable_by(user).select_related("child", "caregiver", "recorded_by"), pk=pk
    )


def versions_of(record: CareRecord) -> QuerySet[CareRecord]:
    root = record.root_id
    return (
        CareRecord.objects.filter(Q(pk=root) | Q(original_id=root))
        .select_related("recorded_by", "caregiver")
        .order_by("-version")
    )


def plan_of(child: Child) -> CarePlan | None:
    return CarePlan.objects.filter(child=child).prefetch_related("items__responsible").first()


def records_serving(plan: CarePlan) -> QuerySet[CareRecord]:
    """The care records made for the child since the plan was drawn up."""
    return records_of(plan.child).filter(on__gte=plan.started_on)


def policies_for(org: Org) -> tuple[list[DutyPolicy], list[DutyPolicy]]:
    """The unit's own policies, and those in force above it (which apply to it too)."""
    own = list(
        DutyPolicy.objects.filter(org=org).prefetch_related("rules").order_by("-is_active", "name")
    )
    above = list(
        DutyPolicy.objects.filter(org__in=Org.objects.get_ancestors(org), is_active=True)
        .select_related("org")
        .prefetch_related("rules")
    )
    return own, above


def presets() -> QuerySet[DutyPolicy]:
    return DutyPolicy.objects.filter(org__isnull=True).prefetch_related("rules").order_by("pk")


def policy_manageable_by(user: Any, pk: int) -> DutyPolicy:
    return get_object_or_404(
        # A unit's duty policies are the unit's own: whoever manages the unit.
        DutyPolicy.objects.filter(
            scope_of(user).units_q(Area.UNITS, Action.CHANGE, "org__path")
        ).select_related("org"),
        pk=pk,
    )


def open_follow_ups_for(user: Any) -> QuerySet[FollowUp]:
    """Follow-ups for the user's classes (as teacher) and schools (as school admin)."""
    return (
        FollowUp.objects.restrict(user, Action.CHANGE)
        .filter(closed_on__isnull=True)
        .select_related("child", "record")
    )


def follow_up_for(user: Any, pk: int) -> FollowUp:
    return get_object_or_404(open_follow_ups_for(user), pk=pk)


@dataclass
class FollowUpCounts:
    open: int = 0
    overdue: int = 0  # open longer than SHOUWANG_FOLLOW_UP_DAYS (care.follow_ups)


def follow_up_counts(user: Any, on: date) -> FollowUpCounts:
    """How many follow-ups wait for the user, and how many of them are overdue: one query."""
    late = Q(opened_on__lt=follow_ups.overdue_before(on))
    counts = open_follow_ups_for(user).aggregate(open=Count("pk"), overdue=Count("pk", filter=late))
    return FollowUpCounts(open=counts["open"], overdue=counts["overdue"])


def plans_due_for(user: Any, on: date, within: int = 14) -> QuerySet[CarePlan]:
    """Care plans to review by ``on + within`` of the children the user looks after."""
    return (
        CarePlan.objects.filter(child__in=children_recordable_by(user))
        .filter(review_on__lte=on + timedelta(days=within))
        .select_related("child")
        .order_by("review_on")
    )


# --- the duty engine's inputs -------------------------------------------------------------


def _ancestor_paths(paths: set[str]) -> set[str]:
    out: set[str] = set()
    for path in paths:
        out.update(path[:i] for i in range(STEPLEN, len(path) + 1, STEPLEN))
    return out


def _entered(children: Q, *, first_day: date | None) -> dict[int, date]:
    """When each child's present stay in the register began (the first of the rows that keep
    them in it since they last came in: a dropout staying in the register does not restart
    it, a transfer to this school does), for those whose stay began after ``first_day`` (the
    earliest term start in view: an earlier one changes nothing owed). One query, over the
    histories of the children with a row since then."""
    if first_day is None:
        return {}
    moved = StatusChange.objects.filter(children, on__gt=first_day).values("child_id")
    rows = (
        StatusChange.objects.filter(child_id__in=moved)
        .order_by("child_id", "on", "created_at", "pk")
        .values_list("child_id", "on", "status")
    )
    began: dict[int, date] = {}
    before: dict[int, str] = {}
    for child_id, on, status in rows:
        if status in IN_REGISTER and before.get(child_id) not in IN_REGISTER:
            began[child_id] = on
        before[child_id] = status
    return {child_id: on for child_id, on in began.items() if on > first_day}


@dataclass
class Loaded:
    inputs: engine.Inputs
    first: date | None
    on: date
    schools: dict[int, str]  # school id → path


def load(
    children: QuerySet[Child], on: date, *, person: bool = False, caregiver: int | None = None
) -> Loaded:
    """The engine's inputs for these children, in a fixed number of queries.

    For one ``person`` (a caregiver's id, or None for someone who looks after no child), only
    the records that count toward what that person owes: theirs and their children's other
    caregivers' for the caregivers' rules, the class teachers' and leaders' for the rules of a
    class or school (a school admin's 我的任务 reads a fraction of the school's records)."""
    rows = list(
        children.filter(status__in=IN_REGISTER).values_list(
            "id",
            "school_id",
            "school__path",
            "school_class_id",
            "left_behind_type",
            "heart_level",
            "county_id",
        )
    )
    schools = {row[1]: row[2] for row in rows}
    prefixes = _ancestor_paths(set(schools.values()))
    ids = [row[0] for row in rows]
    by_child = len(ids) < COUNTY_READ_FROM
    # Rows of these children: by the ids just read while they are few (an index look-up each;
    # the children's query again would evaluate the reader's scope once more in each of the
    # queries below: a pass over every child of the database for a village's director).
    of_children = Q(child_id__in=ids) if by_child else Q(child__in=children.values("pk"))

    # Calendars: each school follows the nearest region above it that keeps one.
    regions = dict(
        Org.objects.filter(path__in=prefixes, terms__isnull=False)
        .distinct()
        .values_list("path", "pk")
    )
    terms: dict[int, list[engine.TermSpan]] = defaultdict(list)
    for region_id, name, start, midterm, end in Term.objects.filter(
        region_id__in=regions.values()
    ).values_list("region_id", "name", "start", "midterm", "end"):
        terms[region_id].append(engine.TermSpan(name, start, midterm, end))
    holidays: dict[int, list[engine.HolidaySpan]] = defaultdict(list)
    for region_id, name, start, end, season in Holiday.objects.filter(
        region_id__in=regions.values()
    ).values_list("region_id", "name", "start", "end", "season"):
        holidays[region_id].append(engine.HolidaySpan(name, start, end, season))
    calendars = {
        region_id: engine.Calendar(
            tuple(sorted(terms[region_id], key=lambda t: t.start)), tuple(holidays[region_id])
        )
        for region_id in regions.values()
    }
    calendar_of: dict[int, int | None] = {}
    for school_id, path in schools.items():
        deepest = max((p for p in _ancestor_paths({path}) if p in regions), key=len, default=None)
        calendar_of[school_id] = regions[deepest] if deepest else None

    entered = _entered(
        of_children, first_day=min((t.start for ts in terms.values() for t in ts), default=None)
    )
    facts = [
        engine.ChildFacts(
            cid, school_id, path, class_id, lbt, heart, calendar_of[school_id], entered.get(cid)
        )
        for cid, school_id, path, class_id, lbt, heart, _county in rows
    ]
    starts = [
        engine.window_start(calendars[c], on) for c in set(calendar_of.values()) if c is not None
    ]
    first = min((s for s in starts if s is not None), default=None)
    if first is None:
        return Loaded(engine.Inputs([], facts, [], [], calendars), None, on, schools)

    rules = [
        engine.RuleSpec(
            id=r.pk,
            label=r.label,
            policy=r.policy.name,
            org_path=r.policy.org.path if r.policy.org else "",
            kinds=frozenset(r.kinds),
            count=r.count,
            period=r.period,
            season=r.season,
            assignee=r.assignee,
            caregiver_roles=frozenset(r.caregiver_roles),
            left_behind_types=frozenset(r.left_behind_types),
            min_heart_level=r.min_heart_level,
            each_child=r.each_child,
        )
        for r in DutyRule.objects.filter(
            policy__is_active=True, policy__org__path__in=prefixes
        ).select_related("policy__org")
    ]

    child_filter = of_children if by_child else Q(county_id__in={row[6] for row in rows})
    pairings = [
        engine.PairingFacts(*values)
        for values in Pairing.objects.filter(child_filter, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .values_list("child_id", "caregiver_id", "role", "starts_on", "ends_on")
    ]
    class_teachers: dict[int, set[int]] = defaultdict(set)
    leaders: dict[int, set[int]] = defaultdict(set)
    wants_people = any(r.assignee in (engine.CLASS_TEACHER, engine.LEADERSHIP) for r in rules)
    logins: dict[int, int] = {}
    if wants_people:
        # The class teachers and the school's leaders: those told of what a class or a school
        # owes (accounts.policy.TELL).
        their_classes = Org.objects.filter(pk__in={row[3] for row in rows if row[3]})
        their_schools = Org.objects.filter(pk__in=set(schools))
        for places, target in ((their_classes, class_teachers), (their_schools, leaders)):
            for org_id, user_ids in told_at(Area.TASKS, Action.ALERT, places).items():
                if org_id is not None:
                    target[org_id].update(user_ids)
        people = set().union(*class_teachers.values(), *leaders.values())
        logins = dict(Caregiver.objects.filter(user_id__in=people).values_list("pk", "user_id"))
    by_people = _counting_records(rules, pairings, caregiver, logins) if person else Q()
    kinds = sorted({kind for rule in rules for kind in rule.kinds})
    # Plain tuples in RecordRow's order: no object per row for a county's half-million records.
    records = cast(
        list[engine.RecordRow],
        list(
            CareRecord.objects.filter(
                child_filter,
                is_current=True,
                withdrawn=False,
                on__range=(first, on),
                kind__in=kinds,
            )
            .filter(by_people)
            .values_list("child_id", "caregiver_id", "kind", "on")
            .annotate(n=Count("pk"))
            .order_by()
        ),
    )

    return Loaded(
        engine.Inputs(
            rules=rules,
            children=facts,
            pairings=pairings,
            records=records,
            calendars=calendars,
            class_teachers={k: frozenset(v) for k, v in class_teachers.items()},
            leaders={k: frozenset(v) for k, v in leaders.items()},
            logins=logins,
        ),
        first,
        on,
        schools,
    )


def _counting_records(
    rules: list[engine.RuleSpec],
    pairings: list[engine.PairingFacts],
    caregiver: int | None,
    logins: dict[int, int],
) -> Q:
    """The records that count toward what ``caregiver`` (and the classes and schools they are
    told of) owes: by kind, who wrote them."""
    kinds: dict[str, set[str]] = defaultdict(set)
    for rule in rules:
        kinds[rule.assignee].update(rule.kinds)
    q = Q(pk__in=[])
    if caregiver is not None:
        theirs = {p.child_id for p in pairings if p.caregiver_id == caregiver}
        fellows = {p.caregiver_id for p in pairings if p.child_id in theirs} | {caregiver}
        mine = kinds[engine.CAREGIVER] | kinds[engine.PAIR_SHARED]
        q |= Q(kind__in=sorted(mine), caregiver_id__in=sorted(fellows))
    units = kinds[engine.CLASS_TEACHER] | kinds[engine.LEADERSHIP]
    if units and logins:
        q |= Q(kind__in=sorted(units), caregiver_id__in=sorted(logins))
    return q


def obligations_for(
    children: QuerySet[Child],
    on: date,
    keep: Callable[[tuple[str, int], tuple[int, ...]], bool] | None = None,
    *,
    person: bool = False,
    caregiver: int | None = None,
) -> list[engine.Obligation]:
    loaded = load(children, on, person=person, caregiver=caregiver)
    if loaded.first is None:
        return []
    return engine.obligations(loaded.inputs, first=loaded.first, on=on, keep=keep)


# --- my tasks -----------------------------------------------------------------------------


@dataclass
class MyTasks:
    overdue: list[engine.Obligation]
    due: list[engine.Obligation]
    done: list[engine.Obligation]
    children: dict[int, Child]
    caregiver: Caregiver | None
    # 发现异常 to follow up: counted with the duties on the home page and on 我的任务.
    follow_ups: FollowUpCounts = field(default_factory=FollowUpCounts)


def owned_by(user: Any, caregiver: Caregiver | None) -> set[tuple[str, int]]:
    """The owners (engine.Obligation.owner) a user answers for."""
    scope = scope_of(user)
    owners: set[tuple[str, int]] = set()
    if caregiver is not None:
        owners.add(("caregiver", caregiver.pk))
    # The units whose duties one is told of (accounts.policy.TELL): one's classes, one's school.
    held = scope.reach_paths(Area.TASKS, Action.ALERT, told=True)
    class_paths = held.get(Reach.CLASS, ())
    admin_paths = held.get(Reach.SCHOOL, ())
    if class_paths or admin_paths:
        q = Q(pk__in=[])
        for path in class_paths:
            q |= Q(path=path, kind=OrgKind.SCHOOL_CLASS)
        for path in admin_paths:
            q |= Q(path=path, kind=OrgKind.SCHOOL)
        for pk, kind in Org.objects.filter(q).values_list("pk", "kind"):
            owners.add(("class" if kind == OrgKind.SCHOOL_CLASS else "school", pk))
    return owners


def my_children(user: Any, caregiver: Caregiver | None) -> QuerySet[Child]:
    """The children a person owes duties to: paired, in their classes, in the schools they lead."""
    return Child.objects.restrict(user, Action.VIEW, Area.TASKS).filter(status__in=IN_REGISTER)


def my_tasks(user: Any, on: date) -> MyTasks:
    """A caregiver's obligations, overdue first, then what is due soonest; queries do not
    depend on how big the county is."""
    caregiver = caregiver_of(user)
    owners = owned_by(user, caregiver)
    waiting = follow_up_counts(user, on)
    if not owners:  # no pairing, class or school of one's own: nothing is owed
        return MyTasks([], [], [], {}, caregiver, waiting)
    children_qs = my_children(user, caregiver)

    def keep(owner: tuple[str, int], caregiver_ids: tuple[int, ...]) -> bool:
        return owner in owners or (
            caregiver is not None and owner[0] == "shared" and caregiver.pk in caregiver_ids
        )

    mine = obligations_for(
        children_qs, on, keep, person=True, caregiver=caregiver.pk if caregiver else None
    )
    child_ids = {item.child_id for item in mine if item.child_id}
    # Only what a row shows: a village's hundreds of children, no encrypted column decrypted.
    shown = Child.objects.filter(pk__in=child_ids).select_related("school_class")
    children = {c.pk: c for c in shown.only("name", "school_class__name")}
    order = lambda o: (o.period.end, o.rule.label, o.child_id or 0)  # noqa: E731
    return MyTasks(
        overdue=sorted((o for o in mine if o.status == engine.OVERDUE), key=order),
        due=sorted((o for o in mine if o.status == engine.DUE), key=order),
        done=sorted((o for o in mine if o.status == engine.DONE), key=order, reverse=True),
        children=children,
        caregiver=caregiver,
        follow_ups=waiting,
    )


def caregivers_pairable_by(user: Any) -> QuerySet[Caregiver]:
    """Caregivers a manager may pair: a school's leaders those of the school; a region's
    officers any of the region (an 爱心妈妈 of the county's 妇联, a village's cadre, a teacher of
    any school) — pairing widens the caregiver's view to the child, so it stays in the unit."""
    q = scope_of(user).units_q(Area.CAREGIVERS, Action.VIEW, "org__path")
    if not q:  # every caregiver (an empty Q() would vanish in the OR below)
        return Caregiver.objects.select_related("org")
    if Reach.HOME in scope_of(user).reach_paths(Area.CAREGIVERS, Action.VIEW):
        # The villages the children one pairs live in: their cadres make a 二对一 pair.
        q |= Q(org__in=children_pairable_by(user).values("home_village"))
    return Caregiver.objects.filter(q).select_related("org")


def pairs_across_schools(user: Any) -> bool:
    """Whether the caregivers one may pair reach beyond one school (a region officer's do)."""
    paths = scope_of(user).reach_paths(Area.CAREGIVERS, Action.VIEW).get(Reach.UNIT, ())
    return Org.objects.filter(path__in=paths, kind__in=REGION_KINDS).exists()


# --- compliance ---------------------------------------------------------------------------


@dataclass
class ComplianceRow:
    key: Any
    label: str
    tally: engine.Tally
    url_org: str = ""  # an org code to drill into
    child_id: int | None = None


@dataclass
class Compliance:
    org: Org
    by: str
    on: date
    first: date | None
    total: engine.Tally
    rows: list[ComplianceRow]
    by_rule: list[tuple[str, engine.Tally]]
    # When the figures were counted, if records came in since (a big unit's count is handed
    # out for a few minutes while caregivers record and the worker counts again); None when
    # current.
    counted_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        def tally(t: engine.Tally) -> list[int]:
            return [t.done, t.due, t.overdue]

        return {
            "first": self.first.isoformat() if self.first else None,
            "total": tally(self.total),
            "rows": [
                [row.key, row.label, tally(row.tally), row.url_org, row.child_id]
                for row in self.rows
            ],
            "by_rule": [[label, tally(t)] for label, t in self.by_rule],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, org: Org, by: str, on: date) -> Compliance:
        def tally(values: list[int]) -> engine.Tally:
            return engine.Tally(*values)

        return cls(
            org=org,
            by=by,
            on=on,
            first=date.fromisoformat(data["first"]) if data["first"] else None,
            total=tally(data["total"]),
            rows=[
                ComplianceRow(key, label, tally(t), url_org, child_id)
                for key, label, t, url_org, child_id in data["rows"]
            ],
            by_rule=[(label, tally(t)) for label, t in data["by_rule"]],
        )


DRILL = {  # what a unit's rows are, by default
    OrgKind.SCHOOL: "class",
    OrgKind.SCHOOL_CLASS: "child",
}
# A count that takes longer than this is kept in the database (KeptCompliance), for every
# server process and the worker; a quicker one in the process's memory, as before.
KEEP_COMPLIANCE_ABOVE = 0.5
# A kept count is handed out, saying when it was counted, for this long after records came in
# (the worker counts it again within minutes: care.tasks.REFRESH_COMPLIANCE_AFTER) ...
COMPLIANCE_STALE = timedelta(minutes=10)
# ... but for a minute at most once a child or a unit moved: its rows (units, classes, children
# by name) might no longer be the reader's to see.
COMPLIANCE_STALE_MOVED = timedelta(minutes=1)
COMPLIANCE_ASKED_EVERY = timedelta(hours=1)  # how often a page notes that it asked


# The shape of Compliance.as_json: a new shape is a new key, so no reader meets the old one.
COMPLIANCE_FORMAT = 1


def compliance_key(user: Any, org: Org, on: date, by: str) -> str:
    return cache_key(
        "compliance",
        COMPLIANCE_FORMAT,
        scope_of(user).fingerprint(),
        org.pk,
        on.isoformat(),
        by,
    )


def compliance(user: Any, org: Org, on: date, by: str = "") -> Compliance:
    """Done / due / overdue under ``org`` this term, by sub-unit, class, child or caregiver.

    Counted once for as long as no change comes in. A count that took long (a county's, seconds
    of work) is kept in the database and handed out for up to ten minutes while records arrive
    (a minute once a child or a unit moved), saying when it was counted; the worker counts it
    again meanwhile (``care.tasks``)."""
    by = by or DRILL.get(org.kind, "unit")
    key = compliance_key(user, org, on, by)
    version = data_version()  # read first: a change committed while counting is newer
    kept = KeptCompliance.objects.filter(key=key).first()
    now = timezone.now()
    if kept is not None and _still_handed_out(kept, version, now):
        if now - kept.asked_at >= COMPLIANCE_ASKED_EVERY:
            _note_asked(kept.pk, now)
        try:
            result = Compliance.from_json(kept.counted, org=org, by=by, on=on)
        except (KeyError, TypeError, ValueError):
            log.warning("kept compliance %s unreadable: counted again", kept.pk)
        else:
            return result if kept.version == version else replace(result, counted_at=kept.made_at)
    result, made_at = counted(
        key, lambda: count_compliance(user, org, on, by, version=version), version=version
    )
    if made_at is None:
        return result
    return replace(result, counted_at=datetime.fromtimestamp(made_at, tz=UTC))


def placement_version() -> str:
    """The data's version blind to the care work (CARE_WORK): it moves when a child, a unit or
    anything a count of who is where reads changes, not when a caregiver records a visit."""
    return version_ignoring(CARE_WORK)


def _still_handed_out(kept: KeptCompliance, version: str, now: datetime) -> bool:
    """Current; or for a minute since it was counted, whatever moved; or behind by care work
    only, for ten minutes since it was last known current (the worker notes that each minute,
    so the ten minutes run from about when the records began to come in)."""
    return (
        kept.version == version
        or now - kept.made_at < COMPLIANCE_STALE_MOVED
        or (now - kept.current_at < COMPLIANCE_STALE and kept.placement == placement_version())
    )


def count_compliance(
    user: Any,
    org: Org,
    on: date,
    by: str,
    *,
    version: str,
    worker: bool = False,
    asked_at: datetime | None = None,
) -> Compliance:
    """Counted now; kept in the database (once the transaction commits) when it took long, or
    always by the ``worker``, whose keeping also waits for SQLite's writer where a page's gives
    up at once. ``asked_at``: when a page last asked for it (now, unless the worker says)."""
    made_at = timezone.now()  # what it counts is the data of this moment (``version``)
    begin = time.perf_counter()
    result = _compliance(user, org, on, by)
    took = time.perf_counter() - begin
    if worker or took > KEEP_COMPLIANCE_ABOVE:
        # Read after the count, the placement is the count's only if nothing changed since the
        # version was read; else none (such a count is handed out for a minute at most).
        placement = placement_version()
        if data_version() != version:
            placement = ""
        kept = Kept(
            version=version,
            placement=placement,
            made_at=made_at,
            took=took,
            asked_at=asked_at or made_at,
        )
        keep = partial(_keep_compliance, user, org, on, by, result, kept)
        transaction.on_commit(keep if worker else partial(_unless_busy, keep))
    return result


@dataclass(frozen=True)
class Kept:
    """What a kept count was counted under: the data's version and the moment it was read,
    how long it took, and when a page last asked for it."""

    version: str
    placement: str  # the version blind to the care work (CARE_WORK)
    made_at: datetime
    took: float
    asked_at: datetime


def _keep_compliance(
    user: Any, org: Org, on: date, by: str, result: Compliance, kept: Kept
) -> None:
    """Kept unless a newer count is (two processes counting at once: the one that read the data
    later wins, whichever finishes last); the newest asking is kept either way."""
    key = compliance_key(user, org, on, by)
    counts = {
        "counted": result.as_json(),
        "version": kept.version,
        "placement": kept.placement,
        "made_at": kept.made_at,
        "current_at": kept.made_at,
        "took": kept.took,
    }
    with transaction.atomic():
        rows = KeptCompliance.objects.filter(key=key)
        if rows.filter(made_at__lt=kept.made_at).update(
            **counts, asked_at=Greatest(F("asked_at"), Value(kept.asked_at))
        ):
            return
        if rows.exists():
            return  # a newer count is kept
        try:
            with transaction.atomic():
                KeptCompliance.objects.create(
                    key=key, user=user, org=org, day=on, by=by, asked_at=kept.asked_at, **counts
                )
        except IntegrityError:
            pass  # kept by another at the same moment: theirs is as new


def _note_asked(pk: int, now: datetime) -> None:
    _unless_busy(lambda: KeptCompliance.objects.filter(pk=pk).update(asked_at=now))


def _unless_busy(write: Callable[[], Any]) -> None:
    try:
        with unless_busy():
            write()
    except Busy:
        pass  # SQLite's one writer is busy (an import): the next reader keeps it


def _compliance(user: Any, org: Org, on: date, by: str) -> Compliance:
    children = Child.objects.restrict(user)
    if org.kind == OrgKind.SCHOOL_CLASS:
        children = children.filter(school_class=org)
    else:
        children = children.filter(school__path__startswith=org.path)
    loaded = load(children, on)
    items = (
        engine.obligations(loaded.inputs, first=loaded.first, on=on)
        if loaded.first is not None
        else []
    )
    rule_tallies = engine.tally(items, lambda o: o.rule.label)
    total = engine.summed(rule_tallies.values())  # each obligation is of one rule
    rows: list[ComplianceRow] = []
    if by == "caregiver":
        tallies = engine.tally(items, lambda o: o.caregiver_ids)
        names = Caregiver.objects.in_bulk(list(tallies))
        rows = [ComplianceRow(pk, names[pk].name, t) for pk, t in tallies.items() if pk in names]
    elif by == "child":
        tallies = engine.tally(items, lambda o: o.child_id or ())
        kids = dict(Child.objects.filter(pk__in=list(tallies)).values_list("pk", "name"))
        rows = [ComplianceRow(pk, kids.get(pk, ""), t, child_id=pk) for pk, t in tallies.items()]
    elif by == "class":
        tallies = engine.tally(items, lambda o: o.class_id or ())
        classes = Org.objects.in_bulk(list(tallies))
        rows = [
            ComplianceRow(pk, classes[pk].name, t, url_org=classes[pk].code)
            for pk, t in tallies.items()
            if pk in classes
        ]
    else:
        depth = len(org.path) + STEPLEN
        tallies = engine.tally(items, lambda o: loaded.schools[o.school_id][:depth])
        units = {u.path: u for u in Org.objects.filter(path__in=list(tallies))}
        rows = [
            ComplianceRow(path, units[path].name, t, url_org=units[path].code)
            for path, t in tallies.items()
            if path in units
        ]
    rows.sort(key=lambda r: (-(r.tally.overdue), r.label))
    return Compliance(
        org=org,
        by=by,
        on=on,
        first=loaded.first,
        total=total,
        rows=rows,
        by_rule=sorted(rule_tallies.items()),
    )


def child_obligations(child: Child, on: date) -> list[engine.Obligation]:
    items = obligations_for(Child.objects.filter(pk=child.pk), on)
    return sorted(items, key=lambda o: (o.rule.label, o.period.start, o.owner))


def owed_by(obligations: list[engine.Obligation]) -> list[tuple[engine.Obligation, str]]:
    """Each duty with who owes it, in words: the caregiver(s) by name, or the class teacher,
    or the school's leaders (one query for the caregivers' names)."""
    ids = {cid for o in obligations for cid in o.caregiver_ids}
    names = dict(Caregiver.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    kinds = {"class": _("the class teacher"), "school": _("the school's leaders")}
    out = []
    for o in obligations:
        if o.owner[0] in kinds:
            who = str(kinds[o.owner[0]])
        else:
            who = "、".join(names.get(cid, "") for cid in o.caregiver_ids)
            if o.owner[0] == "shared":
                who = str(_("%(names)s (together)") % {"names": who})
        out.append((o, who))
    return out


def unpaired(children: QuerySet[Child], on: date) -> QuerySet[Child]:
    return children.exclude(pk__in=Pairing.objects.filter(open_pairings(on)).values("child_id"))


def counted_now(children: QuerySet[Child], on: date) -> QuerySet[Child]:
    """Of these children, the left-behind children their county's definition counts on ``on``
    and the figures may count (``in_figures``): the denominator of pairing coverage on every
    page and in the assessment (the statistics count the same). Counties that use the same
    definition — almost always all of them — are one filter on the children's own rows, not a
    sub-query of ids: the planner estimates a flat query right (issue 17)."""
    counties = Org.objects.filter(pk__in=children.order_by().values("county_id").distinct())
    by_profile: dict[DefinitionProfile, list[int]] = defaultdict(list)
    for county in counties:
        by_profile[profile_for(county, on)].append(county.pk)
    chosen = [
        in_figures(children.filter(county_id__in=ids), profile, on)
        for profile, ids in by_profile.items()
    ]
    if len(chosen) < 2:
        return chosen[0] if chosen else children.none()
    either = Q(pk__in=chosen[0].values("pk"))
    for more in chosen[1:]:
        either |= Q(pk__in=more.values("pk"))
    return children.filter(either)


def coverage(children: QuerySet[Child], on: date) -> dict[str, Any]:
    """How many of the left-behind children among these (as their county's definition counts
    them, one denominator with the statistics: issue 19) have an open pairing, which children
    have none, and which 4-heart children lack 二对一."""
    open_now = Pairing.objects.filter(open_pairings(on))
    counted = counted_now(children, on)
    total = counted.count()
    without = unpaired(counted, on)
    paired = total - without.count()
    four_hearts = children.filter(heart_level=4)
    roles: dict[int, set[str]] = defaultdict(set)
    for child_id, role in open_now.filter(child__in=four_hearts).values_list("child_id", "role"):
        roles[child_id].add(role)
    complete = [cid for cid, r in roles.items() if r >= TWO_TO_ONE_ROLES]
    return {
        "total": total,
        "paired": paired,
        "rate": round(paired / total, 4) if total else None,
        "unpaired": without,
        "gaps": four_hearts.exclude(pk__in=complete),
        # 一人一档一策: every registered child should have a care plan.
        "without_plan": children.filter(care_plan__isnull=True).count(),
    }


def pairing_load(caregivers: QuerySet[Caregiver], on: date) -> QuerySet[Caregiver]:
    """Caregivers with how many children each looks after now (seed: 每位教师结对2—3名学生)."""
    now = Q(pairings__starts_on__lte=on) & (
        Q(pairings__ends_on__isnull=True) | Q(pairings__ends_on__gte=on)
    )
    return caregivers.annotate(load=Count("pairings", filter=now))


# --- figures of a unit (stats: interfaces.md's statistics JSON) ------------------------------


def person_times(children: QuerySet[Child, Any], start: date, end: date) -> dict[str, int]:
    """人次 of care over [start, end], one key per kind of record: each record in force (current,
    not withdrawn) is one contact with one child, counted from the records, never typed."""
    found = dict(
        CareRecord.objects.filter(
            is_current=True, withdrawn=False, on__range=(start, end), child__in=children
        )
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    return {kind: found.get(kind, 0) for kind in RecordKind.values}


def person_times_by_day(
    children: QuerySet[Child, Any], start: date, end: date
) -> dict[date, dict[str, int]]:
    """:func:`person_times` of each day of [start, end] that has any (a day without is absent)."""
    out: dict[date, dict[str, int]] = {}
    rows = (
        CareRecord.objects.filter(
            is_current=True, withdrawn=False, on__range=(start, end), child__in=children
        )
        .order_by()
        .values_list("on", "kind")
        .annotate(n=Count("pk"))
    )
    for day, kind, n in rows:
        out.setdefault(day, dict.fromkeys(RecordKind.values, 0))[kind] = n
    return out


def closed_day_stamps(start: date, end: date) -> dict[date, str]:
    """The stamps of the days in [start, end] whose care records changed after they closed
    (``ClosedDayStamp``); a day never changed so is absent."""
    return dict(ClosedDayStamp.objects.filter(day__range=(start, end)).values_list("day", "stamp"))


def pairings_by_mode(children: QuerySet[Child, Any], on: date) -> dict[str, int]:
    """Children by how many caregivers they have on ``on`` (一对一 / 二对一 / 多对一)."""
    per_child = (
        Pairing.objects.filter(open_pairings(on), child__in=children)
        .order_by()
        .values("child")
        .annotate(n=Count("caregiver", distinct=True))
        .values_list("n", flat=True)
    )
    out = dict.fromkeys(PairingMode.values, 0)
    for n in per_child:
        mode = pairing_mode(n)
        if mode is not None:
            out[mode] += 1
    return out


def caregivers_by_kind(children: QuerySet[Child, Any], on: date) -> dict[str, int]:
    """Caregivers with a pairing open on ``on`` to one of ``children``, each once, by kind
    (seed 003: 招募372名爱心妈妈; seed 002: 8453名干部和教师 — counted apart from the children)."""
    paired = Pairing.objects.filter(open_pairings(on), child__in=children).values("caregiver")
    found = dict(
        Caregiver.objects.filter(pk__in=paired)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    return {kind: found.get(kind, 0) for kind in CaregiverKind.values}
