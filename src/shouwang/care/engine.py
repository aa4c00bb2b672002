"""The duty engine (domain.md §3): (rules, pairings, records, calendar, day) → obligations.

A pure function over plain values: no queries, no clock. ``selectors`` loads the inputs for a
scope in a fixed number of queries and calls :func:`obligations`; tests call it directly.

How a period is owed, in the words shown to users:
- Periods follow the calendar: weeks start on Monday, months are calendar months, "term" is the
  term (or, for summer rules, the summer holiday), two-week periods count from the Monday of the
  term's first week, and term phases split a term into 期初 / 期中 / 期末 at the midpoints
  between start, mid-term and end.
- A term rule is active on term days outside holidays; a summer rule on summer-holiday days.
- A period is owed when at least half of its days are active for the person owing it (the
  calendar, and for a pairing also the days it ran): a pairing begun in the middle of a month
  starts owing from the next month; a week that is mostly holiday is not owed.
- A record counts for the period its date falls in; a record made the day after a period ended
  counts for the next one, so the missed period stays overdue.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

WEEK, TWO_WEEKS, MONTH, TERM, TERM_PHASES = "week", "two_weeks", "month", "term", "term_phases"
SEASON_TERM, SEASON_SUMMER = "term", "summer"
CAREGIVER, PAIR_SHARED, CLASS_TEACHER, LEADERSHIP = (
    "caregiver",
    "pair_shared",
    "class_teacher",
    "leadership",
)
DONE, DUE, OVERDUE = "done", "due", "overdue"
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: int
    label: str
    policy: str
    org_path: str  # the policy applies to schools under this path
    kinds: frozenset[str]
    count: int
    period: str
    season: str
    assignee: str
    caregiver_roles: frozenset[str] = frozenset()
    left_behind_types: frozenset[str] = frozenset()
    min_heart_level: int | None = None
    each_child: bool = True


@dataclass(frozen=True, slots=True)
class ChildFacts:
    id: int
    school_id: int
    school_path: str
    class_id: int | None
    left_behind_type: str
    heart_level: int | None
    calendar: int | None  # the region whose 校历 the school follows
    # The day the child's present stay in the register (at this unit) began: nothing is owed
    # for them for a period they were mostly not there for (None: there all along).
    entered: date | None = None


@dataclass(frozen=True, slots=True)
class PairingFacts:
    child_id: int
    caregiver_id: int
    role: str
    starts_on: date
    ends_on: date | None


@dataclass(frozen=True, slots=True)
class TermSpan:
    name: str
    start: date
    midterm: date
    end: date


@dataclass(frozen=True, slots=True)
class HolidaySpan:
    name: str
    start: date
    end: date
    season: str  # "summer", "winter", "other"


@dataclass(frozen=True, slots=True)
class Calendar:
    terms: tuple[TermSpan, ...] = ()
    holidays: tuple[HolidaySpan, ...] = ()


class RecordRow(NamedTuple):
    """Current records grouped by child, caregiver, kind and day (``n`` of them)."""

    child_id: int
    caregiver_id: int
    kind: str
    on: date
    n: int = 1


@dataclass(frozen=True, slots=True)
class PeriodSpan:
    start: date
    end: date
    label: str
    active: tuple[int, ...]  # ordinals of the days on which the rule runs, sorted
    owed_whole: bool = False  # owed by someone present all period (filled in by periods())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def active_between(self, first: date, last: date | None) -> int:
        lo = bisect.bisect_left(self.active, first.toordinal())
        hi = (
            len(self.active) if last is None else bisect.bisect_right(self.active, last.toordinal())
        )
        return max(0, hi - lo)


@dataclass(slots=True)
class Obligation:
    rule: RuleSpec
    period: PeriodSpan
    school_id: int
    child_id: int | None  # None: owed once per school (e.g. a guardians' meeting)
    class_id: int | None
    # Who owes it: ("caregiver", id), ("shared", child id), ("class", class id), ("school", id).
    owner: tuple[str, int]
    caregiver_ids: tuple[int, ...] = ()  # the caregivers it is owed by, for pairing duties
    done: int = 0
    status: str = DUE

    @property
    def required(self) -> int:
        return self.rule.count


@dataclass
class Inputs:
    rules: list[RuleSpec]
    children: list[ChildFacts]
    pairings: list[PairingFacts]
    records: Iterable[RecordRow]
    calendars: Mapping[int, Calendar]
    # Class → its teachers' logins; school → its leaders' logins; caregiver → login.
    class_teachers: Mapping[int, frozenset[int]] = field(default_factory=dict)
    leaders: Mapping[int, frozenset[int]] = field(default_factory=dict)
    logins: Mapping[int, int] = field(default_factory=dict)


# --- the calendar -------------------------------------------------------------------------


def season_spans(calendar: Calendar, season: str) -> list[tuple[date, date, str]]:
    """The stretches a season's rules run in: the terms, or the summer holidays."""
    if season == SEASON_SUMMER:
        return [(h.start, h.end, h.name) for h in calendar.holidays if h.season == "summer"]
    return [(t.start, t.end, t.name) for t in calendar.terms]


def active_days(calendar: Calendar, season: str) -> set[int]:
    days: set[int] = set()
    for start, end, _name in season_spans(calendar, season):
        days.update(range(start.toordinal(), end.toordinal() + 1))
    if season == SEASON_TERM:
        for holiday in calendar.holidays:
            days.difference_update(range(holiday.start.toordinal(), holiday.end.toordinal() + 1))
    return days


def window_start(calendar: Calendar, on: date) -> date | None:
    """Where "this term" begins for compliance: the last term or summer holiday begun by ``on``."""
    starts = [s for s, _e, _n in season_spans(calendar, SEASON_TERM) if s <= on]
    starts += [s for s, _e, _n in season_spans(calendar, SEASON_SUMMER) if s <= on]
    return max(starts, default=None)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _calendar_periods(
    kind: str, calendar: Calendar, season: str, first: date, last: date
) -> Iterator[tuple[date, date, str]]:
    """Every period of ``kind`` that overlaps [first, last], with its label."""
    if kind == WEEK:
        day = first - timedelta(days=first.weekday())
        while day <= last:
            end = day + timedelta(days=6)
            yield day, end, _("week of %(day)s") % {"day": day.strftime("%m-%d")}
            day = end + ONE_DAY
    elif kind == MONTH:
        day = month_start(first)
        while day <= last:
            following = next_month(day)
            yield (
                day,
                following - ONE_DAY,
                _("%(year)d-%(month)02d")
                % {
                    "year": day.year,
                    "month": day.month,
                },
            )
            day = following
    elif kind == TWO_WEEKS:
        for start, end, _name in season_spans(calendar, season):
            day = start - timedelta(days=start.weekday())
            while day <= end:
                stop = day + timedelta(days=13)
                if stop >= first and day <= last:
                    yield day, stop, _("fortnight of %(day)s") % {"day": day.strftime("%m-%d")}
                day = stop + ONE_DAY
    elif kind == TERM:
        for start, end, name in season_spans(calendar, season):
            if end >= first and start <= last:
                yield start, end, name
    elif kind == TERM_PHASES and season == SEASON_TERM:
        for term in calendar.terms:
            if term.end < first or term.start > last:
                continue
            early_end = term.start + (term.midterm - term.start) / 2
            middle_end = term.midterm + (term.end - term.midterm) / 2
            yield term.start, early_end, _("%(term)s, start") % {"term": term.name}
            yield early_end + ONE_DAY, middle_end, _("%(term)s, middle") % {"term": term.name}
            yield middle_end + ONE_DAY, term.end, _("%(term)s, end") % {"term": term.name}


def periods(
    kind: str, calendar: Calendar, season: str, first: date, last: date
) -> list[PeriodSpan]:
    """The periods overlapping [first, last] on which the rule runs at all."""
    days = active_days(calendar, season)
    out = []
    for start, end, label in _calendar_periods(kind, calendar, season, first, last):
        active = tuple(d for d in range(start.toordinal(), end.toordinal() + 1) if d in days)
        if active:
            whole = len(active) * 2 >= (end - start).days + 1
            out.append(PeriodSpan(start, end, label, active, whole))
    return out


def owed(period: PeriodSpan, spans: Iterable[tuple[date, date | None]] | None) -> bool:
    """At least half the period's days are active (for a pairing: while it ran)."""
    if spans is None:
        active = len(period.active)
    else:
        spans = list(spans)
        if len(spans) == 1:
            start, end = spans[0]
            if start <= period.start and (end is None or end >= period.end):
                return period.owed_whole  # the usual case: the pairing ran all period
        active = sum(period.active_between(start, end) for start, end in spans)
    return active * 2 >= period.days


# --- the engine ---------------------------------------------------------------------------


def applies(rule: RuleSpec, child: ChildFacts) -> bool:
    if not child.school_path.startswith(rule.org_path):
        return False
    if rule.left_behind_types and child.left_behind_type not in rule.left_behind_types:
        return False
    if rule.min_heart_level is not None:
        return child.heart_level is not None and child.heart_level >= rule.min_heart_level
    return True


def status_of(done: int, required: int, period: PeriodSpan, on: date) -> str:
    if done >= required:
        return DONE
    return OVERDUE if period.end < on else DUE


def obligations(
    inputs: Inputs,
    *,
    first: date,
    on: date,
    keep: Callable[[tuple[str, int], tuple[int, ...]], bool] | None = None,
) -> list[Obligation]:
    """Every obligation whose period overlaps [first, on], with what was done and its status;
    with ``keep``, only those of the owners (and the caregivers sharing them) it accepts.

    Set-wise: each record row is looked at once (for the rules that count its kind), each
    obligation made once; children alike share the work of finding their rules and periods.
    """
    children = {c.id: c for c in inputs.children}
    # Pairings of each child, by caregiver: the spans they ran and their roles.
    paired: dict[int, dict[int, list[PairingFacts]]] = defaultdict(lambda: defaultdict(list))
    for p in inputs.pairings:
        if p.child_id in children and (p.ends_on is None or p.ends_on >= first):
            paired[p.child_id][p.caregiver_id].append(p)

    # The periods of each (rule shape, calendar), and a day → period index for the records.
    period_cache: dict[tuple[str, str, int], tuple[list[PeriodSpan], dict[date, int]]] = {}

    def periods_of(rule: RuleSpec, calendar_id: int) -> tuple[list[PeriodSpan], dict[date, int]]:
        key = (rule.period, rule.season, calendar_id)
        if key not in period_cache:
            found = periods(rule.period, inputs.calendars[calendar_id], rule.season, first, on)
            index = {}
            for i, span in enumerate(found):
                for day in range(span.start.toordinal(), span.end.toordinal() + 1):
                    index[date.fromordinal(day)] = i
            period_cache[key] = (found, index)
        return period_cache[key]

    # Which rules apply to a child depends only on its school, type, heart level and calendar:
    # children alike share one plan (rule → its periods), worked out once.
    Plan = tuple[list[RuleSpec], dict[str, list[tuple[RuleSpec, dict[date, int]]]]]
    plans: dict[tuple[str, str, int | None, int], Plan] = {}

    def plan_for(child: ChildFacts) -> Plan:
        assert child.calendar is not None
        key = (child.school_path, child.left_behind_type, child.heart_level, child.calendar)
        plan = plans.get(key)
        if plan is None:
            rules = [rule for rule in inputs.rules if applies(rule, child)]
            by_kind: dict[str, list[tuple[RuleSpec, dict[date, int]]]] = defaultdict(list)
            for rule in rules:
                index = periods_of(rule, child.calendar)[1]
                for kind in rule.kinds:
                    by_kind[kind].append((rule, index))
            plan = plans[key] = (rules, dict(by_kind))
        return plan

    def caregivers_for(rule: RuleSpec, child_id: int) -> dict[int, list[PairingFacts]]:
        mine = paired.get(child_id, {})
        if not rule.caregiver_roles:
            return mine
        return {
            cid: [p for p in ps if p.role in rule.caregiver_roles]
            for cid, ps in mine.items()
            if any(p.role in rule.caregiver_roles for p in ps)
        }

    # Done counts, keyed (rule id, owner id, child id or 0, period index); the rule says what
    # kind of owner it has (a caregiver, the child's caregivers, a class, a school).
    counts: dict[tuple[int, int, int, int], int] = defaultdict(int)
    shared_members: dict[tuple[int, int], frozenset[int]] = {}
    nobody: frozenset[int] = frozenset()
    logins = inputs.logins
    kind_plans = {c.id: plan_for(c)[1] for c in inputs.children if c.calendar is not None}
    for child_id, caregiver_id, kind, day, n in inputs.records:
        plan = kind_plans.get(child_id)
        if plan is None:
            continue
        for rule, index in plan.get(kind, ()):
            i = index.get(day)
            if i is None:
                continue
            assignee = rule.assignee
            if assignee == CAREGIVER:
                counts[(rule.id, caregiver_id, child_id, i)] += n
                continue
            child = children[child_id]
            if assignee == PAIR_SHARED:
                key = (rule.id, child_id)
                if key not in shared_members:
                    shared_members[key] = frozenset(caregivers_for(rule, child_id))
                if caregiver_id in shared_members[key]:
                    counts[(rule.id, child_id, child_id, i)] += n
            elif assignee == CLASS_TEACHER:
                teachers = inputs.class_teachers.get(child.class_id or 0, nobody)
                if child.class_id and logins.get(caregiver_id) in teachers:
                    counts[(rule.id, child.class_id, child_id, i)] += n
            elif logins.get(caregiver_id) in inputs.leaders.get(child.school_id, nobody):
                target = child_id if rule.each_child else 0
                counts[(rule.id, child.school_id, target, i)] += n

    out: list[Obligation] = []
    per_school_done: set[tuple[int, int]] = set()

    def emit(
        rule: RuleSpec,
        child: ChildFacts,
        owner: tuple[str, int],
        caregiver_ids: tuple[int, ...],
        ran: list[tuple[date, date | None]] | None,
        per_child: bool = True,
    ) -> None:
        assert child.calendar is not None
        if keep is not None and not keep(owner, caregiver_ids):
            return
        target = child.id if per_child else 0
        if per_child and child.entered is not None:
            ran = _since(ran, child.entered)
        for i, span in enumerate(periods_of(rule, child.calendar)[0]):
            if owed(span, ran):
                done = counts.get((rule.id, owner[1], target, i), 0)
                status = status_of(done, rule.count, span, on)
                out.append(
                    Obligation(
                        rule,
                        span,
                        child.school_id,
                        child.id if per_child else None,
                        child.class_id if per_child else None,
                        owner,
                        caregiver_ids,
                        done,
                        status,
                    )
                )

    for child in inputs.children:
        if child.calendar is None:
            continue
        for rule in plan_for(child)[0]:
            if rule.assignee == CAREGIVER:
                for caregiver_id, ps in caregivers_for(rule, child.id).items():
                    ran = [(p.starts_on, p.ends_on) for p in ps]
                    emit(rule, child, ("caregiver", caregiver_id), (caregiver_id,), ran)
            elif rule.assignee == PAIR_SHARED:
                members = caregivers_for(rule, child.id)
                if members:
                    ran = _union([(p.starts_on, p.ends_on) for ps in members.values() for p in ps])
                    emit(rule, child, ("shared", child.id), tuple(sorted(members)), ran)
            elif rule.assignee == CLASS_TEACHER:
                if child.class_id:
                    emit(rule, child, ("class", child.class_id), (), None)
            elif rule.each_child:
                emit(rule, child, ("school", child.school_id), (), None)
            elif (rule.id, child.school_id) not in per_school_done:
                per_school_done.add((rule.id, child.school_id))
                emit(rule, child, ("school", child.school_id), (), None, per_child=False)
    return out


def _since(
    spans: list[tuple[date, date | None]] | None, entered: date
) -> list[tuple[date, date | None]]:
    """The days of ``spans`` (None: every day) from the child's entry on."""
    if spans is None:
        return [(entered, None)]
    return [(max(start, entered), end) for start, end in spans if end is None or end >= entered]


def _union(spans: list[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Overlapping pairing spans merged, so a day is not counted twice."""
    merged: list[tuple[date, date | None]] = []
    for start, end in sorted(spans, key=lambda s: s[0]):
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None or start <= last_end + ONE_DAY:
                new_end = None if last_end is None or end is None else max(last_end, end)
                merged[-1] = (last_start, new_end)
                continue
        merged.append((start, end))
    return merged


# --- summaries ----------------------------------------------------------------------------


@dataclass
class Tally:
    done: int = 0
    due: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.done + self.due + self.overdue

    @property
    def rate(self) -> float | None:
        """Done among what is settled: done + overdue (what is still due is not judged yet)."""
        settled = self.done + self.overdue
        return round(self.done / settled, 4) if settled else None


def tally(items: Iterable[Obligation], key: Callable[[Obligation], Any]) -> dict[Any, Tally]:
    """Obligations counted by status under ``key(obligation)`` (a key or a tuple of keys), in
    the order the keys first come. Counted as (key, status) pairs and made into tallies once:
    a county's term is two million obligations, tallied three times per count (issue 17)."""
    counts: Counter[tuple[Any, str]] = Counter()
    for item in items:
        keys = key(item)
        if isinstance(keys, tuple | list | set | frozenset):
            for k in keys:
                counts[k, item.status] += 1
        else:
            counts[keys, item.status] += 1
    out: dict[Any, Tally] = {}
    for (k, status), n in counts.items():
        setattr(out.setdefault(k, Tally()), status, n)
    return out


def summed(tallies: Iterable[Tally]) -> Tally:
    """The tallies added up: the whole of a tally whose every obligation has one key (its
    rule), without counting the obligations again."""
    total = Tally()
    for one in tallies:
        total.done, total.due, total.overdue = (
            total.done + one.done,
            total.due + one.due,
            total.overdue + one.overdue,
        )
    return total
