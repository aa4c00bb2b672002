"""The measures an assessment point may use (a fixed registry: a region picks, weighs and sets
thresholds; it cannot write a measure). Each measure is counted for every subject of a region at
once, in a fixed number of grouped queries whatever the number of schools, and keeps the records
behind each subject's value (their kind and id, a few of them, and how many in all) — the trace
a caregiver reads beside their score.

A rate is a share in [0, 1]: done among what was owed. A count is a number of records. A value
of None means nothing was there to measure (no child to pair, no emergency): the point is left
out of that subject's total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shouwang.activities.models import Activity, ActivityStatus
from shouwang.care import engine
from shouwang.care import selectors as care
from shouwang.care.models import CareRecord, FollowUp, Pairing
from shouwang.children.models import IN_REGISTER, Child
from shouwang.children.selectors import incomplete_q
from shouwang.orgs.models import Org, OrgKind
from shouwang.oversight.models import RoundUnit, Submission
from shouwang.safety.models import IncidentStep

from .models import Subject

RATE, COUNT = "rate", "count"
TRACE_ITEMS = 30  # records kept by name in a trace; the rest are counted

Key = tuple[str, int]  # (subject, id): ("school", 12), ("class", 40), ("caregiver", 7)


@dataclass
class Measured:
    value: float | None
    done: int = 0
    owed: int = 0
    trace: dict[str, Any] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        return f"{self.done}/{self.owed}" if self.owed else str(self.done)


def mask_name(name: str) -> str:
    """A child's name as lists outside the child's own page show it: 王*明, 李*."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass
class Context:
    """What every measure starts from: the region, the term's span and the children."""

    region: Org
    start: date
    on: date
    # child id → (school id, class id, name)
    children: dict[int, tuple[int, int | None, str]]
    schools: dict[int, Org]
    classes: dict[int, Org]
    caregivers: set[int] = field(default_factory=set)

    def children_q(self) -> QuerySet[Child]:
        return Child.objects.filter(
            school__path__startswith=self.region.path, status__in=IN_REGISTER
        )

    def keys_of_child(self, child_id: int) -> list[Key]:
        school_id, class_id, _name = self.children[child_id]
        keys: list[Key] = [(Subject.SCHOOL, school_id)]
        if class_id is not None:
            keys.append((Subject.CLASS, class_id))
        return keys

    def child_item(self, child_id: int, **more: Any) -> dict[str, Any]:
        name = self.children[child_id][2] if child_id in self.children else ""
        return {"child": child_id, "name": mask_name(name), **more}


class Tracer:
    """Collects a subject's value and the records behind it."""

    def __init__(self, kind: str, query: str | Promise) -> None:
        self.kind = kind
        self.query = query
        self.done: dict[Key, int] = defaultdict(int)
        self.owed: dict[Key, int] = defaultdict(int)
        self.items: dict[Key, list[dict[str, Any]]] = defaultdict(list)
        self.listed: dict[Key, int] = defaultdict(int)

    def add(self, keys: Iterable[Key], *, done: bool, item: dict[str, Any] | None) -> None:
        for key in keys:
            self.owed[key] += 1
            self.done[key] += 1 if done else 0
            if item is not None:
                self.listed[key] += 1
                if len(self.items[key]) < TRACE_ITEMS:
                    self.items[key].append(item)

    def rates(self) -> dict[Key, Measured]:
        return {
            key: Measured(
                round(self.done[key] / owed, 4) if owed else None,
                self.done[key],
                owed,
                self._trace(key),
            )
            for key, owed in self.owed.items()
        }

    def _trace(self, key: Key) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "items": self.items.get(key, []),
            "total": self.listed.get(key, 0),
            "query": str(self.query),
        }


# --- the measures ---------------------------------------------------------------------------


def pairing_coverage(ctx: Context) -> dict[Key, Measured]:
    """Of the left-behind children their county's definition counts, how many have an open
    pairing on the day counted; the unpaired children are the trace."""
    open_pairing = Pairing.objects.filter(care.open_pairings(ctx.on), child=OuterRef("pk"))
    counted = care.counted_now(ctx.children_q(), ctx.on).annotate(paired=Exists(open_pairing))
    tracer = Tracer("child", _("left-behind children counted, with an open pairing or not"))
    for child_id, done in sorted(counted.values_list("pk", "paired")):
        if child_id not in ctx.children:
            continue
        item = None if done else ctx.child_item(child_id, what="unpaired")
        tracer.add(ctx.keys_of_child(child_id), done=done, item=item)
    return tracer.rates()


def _obligations(ctx: Context, cache: dict[str, Any]) -> list[engine.Obligation]:
    if "obligations" not in cache:
        loaded = care.load(ctx.children_q(), ctx.on)
        cache["obligations"] = (
            engine.obligations(loaded.inputs, first=loaded.first, on=ctx.on)
            if loaded.first is not None
            else []
        )
    found: list[engine.Obligation] = cache["obligations"]
    return found


def _duties(
    ctx: Context, cache: dict[str, Any], keep: Callable[[engine.Obligation], bool], query: Promise
) -> dict[Key, Measured]:
    tracer = Tracer("duty", query)
    for o in _obligations(ctx, cache):
        if o.period.start < ctx.start or o.status == engine.DUE or not keep(o):
            continue  # what is still due is not judged yet; a period begun before the term
        keys: list[Key] = [(Subject.SCHOOL, o.school_id)]
        if o.class_id is not None:
            keys.append((Subject.CLASS, o.class_id))
        keys += [(Subject.CAREGIVER, cid) for cid in o.caregiver_ids]
        item = None
        if o.status == engine.OVERDUE:
            item = {
                "rule": o.rule.label,
                "period": o.period.label,
                "done": o.done,
                "required": o.required,
            }
            if o.child_id is not None:
                item |= ctx.child_item(o.child_id)
        tracer.add(keys, done=o.status == engine.DONE, item=item)
        if o.caregiver_ids:
            ctx.caregivers.update(o.caregiver_ids)
    return tracer.rates()


def duties_on_time(ctx: Context, cache: dict[str, Any]) -> dict[Key, Measured]:
    """The duty engine's obligations of the term, done in their period or overdue (what is still
    due is not counted yet); the overdue ones are the trace."""
    return _duties(
        ctx,
        cache,
        lambda o: True,
        _("duties of the term done in their period (duty engine), the overdue ones listed"),
    )


def record_books_checked(ctx: Context, cache: dict[str, Any]) -> dict[Key, Measured]:
    """The duties the school's leaders owe (seed 001: leaders check the record books weekly;
    the region's duty rule for the school's leadership says what counts as a check)."""
    return _duties(
        ctx,
        cache,
        lambda o: o.owner[0] == "school",
        _("duties owed by the school's leaders (their checks), done in their period"),
    )


def archives_complete(ctx: Context) -> dict[Key, Measured]:
    """Children in the register whose archive knows the 五清楚 and has been verified."""
    incomplete = set(ctx.children_q().filter(incomplete_q()).values_list("pk", flat=True))
    unverified = set(ctx.children_q().filter(verified_on__isnull=True).values_list("pk", flat=True))
    tracer = Tracer("child", _("archives in the register: the five knowns filled and verified"))
    for child_id in sorted(ctx.children):
        missing = []
        if child_id in incomplete:
            missing.append("incomplete")
        if child_id in unverified:
            missing.append("unverified")
        item = ctx.child_item(child_id, what=",".join(missing)) if missing else None
        tracer.add(ctx.keys_of_child(child_id), done=not missing, item=item)
    return tracer.rates()


def follow_ups_closed(ctx: Context) -> dict[Key, Measured]:
    """发现异常 follow-ups opened in the term, closed by the day counted; the open ones listed.
    A caregiver answers for those their own records opened."""
    rows = FollowUp.objects.filter(
        school__path__startswith=ctx.region.path, opened_on__range=(ctx.start, ctx.on)
    ).values_list(
        "pk",
        "child_id",
        "school_id",
        "school_class_id",
        "record__caregiver_id",
        "opened_on",
        "closed_on",
    )
    tracer = Tracer("follow_up", _("follow-ups opened in the term, closed or still open"))
    for pk, child_id, school_id, class_id, caregiver_id, opened_on, closed_on in rows:
        keys: list[Key] = [(Subject.SCHOOL, school_id)]
        if class_id is not None:
            keys.append((Subject.CLASS, class_id))
        if caregiver_id is not None:
            keys.append((Subject.CAREGIVER, caregiver_id))
        done = closed_on is not None and closed_on <= ctx.on
        item = (
            None
            if done
            else ctx.child_item(child_id, follow_up=pk, opened_on=opened_on.isoformat())
        )
        tracer.add(keys, done=done, item=item)
    return tracer.rates()


def emergency_chain_on_time(ctx: Context) -> dict[Key, Measured]:
    """The steps of the emergency chains (seed 001: 20 minutes, 1 hour, 2 hours) of the term's
    incidents, told in time; the incidents with a late step are the trace."""
    now = timezone.now()
    last = timezone.make_aware(datetime.combine(ctx.on, time.max))
    rows = IncidentStep.objects.filter(
        incident__school__path__startswith=ctx.region.path,
        incident__occurred_at__date__range=(ctx.start, ctx.on),
    ).values_list(
        "incident_id",
        "incident__child_id",
        "incident__school_id",
        "incident__child__school_class_id",
        "due_at",
        "done_at",
    )
    tracer = Tracer("incident", _("steps of the emergency chains of the term, told in time"))
    for incident_id, child_id, school_id, class_id, due_at, done_at in rows:
        if done_at is None and due_at >= min(now, last):
            continue  # not due yet
        keys: list[Key] = [(Subject.SCHOOL, school_id)]
        if class_id is not None:
            keys.append((Subject.CLASS, class_id))
        done = done_at is not None and done_at <= due_at
        item = None if done else ctx.child_item(child_id, incident=incident_id)
        tracer.add(keys, done=done, item=item)
    return tracer.rates()


def rounds_on_time(ctx: Context) -> dict[Key, Measured]:
    """Reporting rounds due in the term: the school's first submission made by its deadline."""
    units = list(
        RoundUnit.objects.filter(
            org__path__startswith=ctx.region.path,
            org__kind=OrgKind.SCHOOL,
            due__range=(ctx.start, ctx.on),
        ).values_list("pk", "org_id", "due", "round__title")
    )
    first: dict[int, datetime | None] = {}
    for unit_id, submitted_at in (
        Submission.objects.filter(unit_id__in=[u[0] for u in units])
        .order_by("unit_id", "submitted_at")
        .values_list("unit_id", "submitted_at")
    ):
        first.setdefault(unit_id, submitted_at)
    tracer = Tracer("round_unit", _("reporting rounds due in the term, submitted by the deadline"))
    for unit_id, org_id, due, title in units:
        at = first.get(unit_id)
        done = at is not None and timezone.localdate(at) <= due
        item = (
            None
            if done
            else {
                "round_unit": unit_id,
                "title": title,
                "due": due.isoformat(),
                "submitted": timezone.localdate(at).isoformat() if at else None,
            }
        )
        tracer.add([(Subject.SCHOOL, org_id)], done=done, item=item)
    return tracer.rates()


def activities_held(ctx: Context) -> dict[Key, Measured]:
    """Activities the school (or a unit under it) held in the term, counted; all listed."""
    schools_by_path = {s.path: s.pk for s in ctx.schools.values()}
    depth = len(next(iter(schools_by_path), ""))
    out: dict[Key, Measured] = {
        (Subject.SCHOOL, pk): Measured(0.0, 0, 0, _count_trace("activity", [], 0))
        for pk in ctx.schools
    }
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    rows = (
        Activity.objects.filter(
            unit__path__startswith=ctx.region.path,
            status=ActivityStatus.HELD,
            starts_on__range=(ctx.start, ctx.on),
        )
        .order_by("starts_on", "pk")
        .values_list("pk", "unit__path", "title", "starts_on")
    )
    for pk, path, title, starts_on in rows:
        school_id = schools_by_path.get(path[:depth]) if depth else None
        if school_id is None:
            continue
        counts[school_id] += 1
        if len(found[school_id]) < TRACE_ITEMS:
            found[school_id].append({"activity": pk, "title": title, "on": starts_on.isoformat()})
    for school_id, n in counts.items():
        out[(Subject.SCHOOL, school_id)] = Measured(
            float(n), n, 0, _count_trace("activity", found[school_id], n)
        )
    return out


def care_records(ctx: Context) -> dict[Key, Measured]:
    """The care records a caregiver wrote in the term (人次), the newest listed."""
    base = CareRecord.objects.filter(
        child__school__path__startswith=ctx.region.path,
        is_current=True,
        withdrawn=False,
        on__range=(ctx.start, ctx.on),
    )
    counts: dict[int, int] = dict(
        base.values_list("caregiver_id").annotate(n=Count("pk")).order_by()
    )
    newest = (
        base.annotate(
            n=Window(
                RowNumber(),
                partition_by=[F("caregiver_id")],
                order_by=[F("on").desc(), F("pk").desc()],
            )
        )
        .filter(n__lte=TRACE_ITEMS)
        .values_list("caregiver_id", "pk", "child_id", "kind", "on")
    )
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for caregiver_id, pk, child_id, kind, on in newest:
        items[caregiver_id].append(
            ctx.child_item(child_id, record=pk, what=kind, on=on.isoformat())
        )
    ctx.caregivers.update(counts)
    return {
        (Subject.CAREGIVER, cid): Measured(float(n), n, 0, _count_trace("record", items[cid], n))
        for cid, n in counts.items()
    }


def _count_trace(kind: str, items: list[dict[str, Any]], total: int) -> dict[str, Any]:
    queries = {
        "activity": _("activities held in the term"),
        "record": _("care records written in the term"),
    }
    return {"kind": kind, "items": items, "total": total, "query": str(queries[kind])}


@dataclass(frozen=True)
class Measure:
    code: str
    label: Promise
    kind: str  # RATE or COUNT
    subjects: frozenset[str]
    compute: Callable[..., dict[Key, Measured]]
    needs_cache: bool = False


ALL = frozenset({Subject.CAREGIVER, Subject.CLASS, Subject.SCHOOL})
UNITS = frozenset({Subject.CLASS, Subject.SCHOOL})
SCHOOLS = frozenset({Subject.SCHOOL})

MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("pairing_coverage", _("Pairing coverage"), RATE, UNITS, pairing_coverage),
        Measure(
            "duties_on_time", _("Duties done on time"), RATE, ALL, duties_on_time, needs_cache=True
        ),
        Measure(
            "archives_complete", _("Archives complete and verified"), RATE, UNITS, archives_complete
        ),
        Measure("follow_ups_closed", _("Follow-ups closed"), RATE, ALL, follow_ups_closed),
        Measure(
            "emergency_chain_on_time",
            _("Emergencies told within the chain's times"),
            RATE,
            UNITS,
            emergency_chain_on_time,
        ),
        Measure(
            "rounds_on_time", _("Reporting rounds submitted on time"), RATE, SCHOOLS, rounds_on_time
        ),
        Measure("activities_held", _("Activities held"), COUNT, SCHOOLS, activities_held),
        Measure(
            "record_books_checked",
            _("Record books checked by the leaders"),
            RATE,
            SCHOOLS,
            record_books_checked,
            needs_cache=True,
        ),
        Measure(
            "care_records",
            _("Care records written"),
            COUNT,
            frozenset({Subject.CAREGIVER}),
            care_records,
        ),
    )
}


def measure_choices() -> list[tuple[str, Promise]]:
    return [(m.code, m.label) for m in MEASURES.values()]


def run_measures(ctx: Context, codes: Iterable[str]) -> dict[str, dict[Key, Measured]]:
    """Each measure named, for every subject of the region (each measure once)."""
    cache: dict[str, Any] = {}
    out: dict[str, dict[Key, Measured]] = {}
    for code in sorted(set(codes)):
        measure = MEASURES[code]
        out[code] = measure.compute(ctx, cache) if measure.needs_cache else measure.compute(ctx)
    return out


def context_for(region: Org, start: date, on: date) -> Context:
    """The region's schools, classes and children in the register (three queries)."""
    schools = {
        s.pk: s
        for s in Org.objects.filter(
            path__startswith=region.path, kind=OrgKind.SCHOOL, is_active=True
        )
    }
    classes = {
        c.pk: c
        for c in Org.objects.filter(
            path__startswith=region.path, kind=OrgKind.SCHOOL_CLASS, is_active=True
        )
    }
    children: dict[int, tuple[int, int | None, str]] = {
        pk: (school_id, class_id, name)
        for pk, school_id, class_id, name in Child.objects.filter(
            school__path__startswith=region.path, status__in=IN_REGISTER
        ).values_list("pk", "school_id", "school_class_id", "name")
    }
    return Context(region, start, on, children, schools, classes)
