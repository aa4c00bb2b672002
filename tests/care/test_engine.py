"""The duty engine on hand-built scenarios: no database, only the values the selectors load.

The calendar is the demo county's autumn term (1 Sep 2026 – 22 Jan 2027, mid-term 9 Nov) with
the National Day week off, the winter holiday, the spring term and the summer holiday.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shouwang.care import engine
from shouwang.care.engine import (
    DONE,
    DUE,
    MONTH,
    OVERDUE,
    TERM,
    TERM_PHASES,
    TWO_WEEKS,
    WEEK,
    Calendar,
    ChildFacts,
    HolidaySpan,
    Inputs,
    Obligation,
    PairingFacts,
    RecordRow,
    RuleSpec,
    TermSpan,
)
from shouwang.care.presets import POLICIES

AUTUMN = TermSpan("2026年秋季学期", date(2026, 9, 1), date(2026, 11, 9), date(2027, 1, 22))
SPRING = TermSpan("2027年春季学期", date(2027, 3, 2), date(2027, 4, 27), date(2027, 7, 9))
NATIONAL_DAY = HolidaySpan("国庆节", date(2026, 10, 1), date(2026, 10, 7), "other")
WINTER = HolidaySpan("寒假", date(2027, 1, 23), date(2027, 2, 26), "winter")
SUMMER = HolidaySpan("暑假", date(2027, 7, 10), date(2027, 8, 31), "summer")
CALENDAR = Calendar((AUTUMN, SPRING), (NATIONAL_DAY, WINTER, SUMMER))

RULE_IDS = itertools.count(1)
SCHOOL, CLASS, OTHER_CLASS = 10, 100, 101
TEACHER, CADRE, STRANGER = 7, 8, 9  # caregiver ids
CHILD = ChildFacts(1, SCHOOL, "00010001", CLASS, "both_parents_away", 2, calendar=1)
SISTER = ChildFacts(2, SCHOOL, "00010001", OTHER_CLASS, "father_away", 4, calendar=1)


def preset(code: str, label: str) -> RuleSpec:
    """A rule exactly as the preset ``code`` writes it, applied county-wide."""
    policy = next(p for p in POLICIES if p["code"] == code)
    data = next(r for r in policy["rules"] if r["label"] == label)
    return RuleSpec(
        id=next(RULE_IDS),
        label=data["label"],
        policy=policy["name"],
        org_path="0001",
        kinds=frozenset(data["kinds"]),
        count=data.get("count", 1),
        period=data["period"],
        season=data.get("season", "term"),
        assignee=data["assignee"],
        caregiver_roles=frozenset(data.get("caregiver_roles", ())),
        each_child=data.get("each_child", True),
    )


MONTHLY_VISIT = preset("three_ones", "每月家访一次")
TERM_LETTER = preset("three_ones", "每学期给家长写信一封")
TALKS_TWICE = preset("talks_twice_a_month", "每月谈心两次")
PHASE_VISITS = preset("term_phase_visits", "期初、期中、期末各家访一次")
FORTNIGHTLY = preset("fortnightly_visits", "每两周家访一次")
MEETING = preset("fortnightly_visits", "每月召开监护人座谈会")
SUMMER_VISITS = preset("summer_visits", "暑假走访辅导两次")
PROXY_WEEKLY = preset("proxy_parent_three_ones", "每周联系交流、辅导作业一次")
LEADERS_VISIT = preset("four_ones", "学校行政每月家访一次")
TEACHERS_WEEKLY = preset("four_ones", "教师每周家访一次")


def paired(
    caregiver: int = TEACHER,
    role: str = "teacher",
    starts_on: date = AUTUMN.start,
    ends_on: date | None = None,
    child: int = CHILD.id,
) -> PairingFacts:
    return PairingFacts(child, caregiver, role, starts_on, ends_on)


def run(
    rules: Iterable[RuleSpec],
    *,
    on: date,
    records: Iterable[tuple[Any, ...]] = (),
    pairings: Iterable[PairingFacts] = (paired(),),
    children: Iterable[ChildFacts] = (CHILD,),
    first: date = AUTUMN.start,
    **who: Any,
) -> list[Obligation]:
    inputs = Inputs(
        rules=list(rules),
        children=list(children),
        pairings=list(pairings),
        records=[RecordRow(*r) for r in records],
        calendars={1: CALENDAR},
        **who,
    )
    return engine.obligations(inputs, first=first, on=on)


def by_start(obligations: Iterable[Obligation]) -> dict[date, str]:
    return {o.period.start: o.status for o in obligations}


def visit(on: date, caregiver: int = TEACHER, child: int = CHILD.id, kind: str = "home_visit"):
    return (child, caregiver, kind, on)


# --- 三个一: a home visit a month -------------------------------------------------------------


def test_a_visit_in_the_month_marks_that_month_done_and_the_next_still_due():
    found = by_start(
        run([MONTHLY_VISIT], on=date(2026, 10, 12), records=[visit(date(2026, 9, 15))])
    )
    assert found == {date(2026, 9, 1): DONE, date(2026, 10, 1): DUE}


def test_a_visit_one_day_after_the_month_ends_leaves_that_month_overdue():
    records = [visit(date(2026, 10, 31)), visit(date(2026, 12, 1))]
    found = by_start(run([MONTHLY_VISIT], on=date(2026, 12, 2), records=records))
    assert found[date(2026, 10, 1)] == DONE
    assert found[date(2026, 11, 1)] == OVERDUE
    assert found[date(2026, 12, 1)] == DONE


def test_a_visit_on_the_last_day_of_the_month_is_on_time():
    found = by_start(
        run([MONTHLY_VISIT], on=date(2026, 12, 1), records=[visit(date(2026, 11, 30))])
    )
    assert found[date(2026, 11, 1)] == DONE


def test_a_visit_by_someone_not_paired_does_not_count_for_the_caregiver():
    obligations = run(
        [MONTHLY_VISIT], on=date(2026, 10, 2), records=[visit(date(2026, 9, 9), STRANGER)]
    )
    september = next(o for o in obligations if o.period.start == date(2026, 9, 1))
    assert (september.owner, september.done, september.status) == (
        ("caregiver", TEACHER),
        0,
        OVERDUE,
    )


def test_each_paired_caregiver_owes_their_own_visit():
    pairings = [paired(), paired(CADRE, "village_cadre")]
    obligations = run(
        [MONTHLY_VISIT], on=date(2026, 9, 30), records=[visit(date(2026, 9, 3))], pairings=pairings
    )
    assert {o.owner: o.status for o in obligations} == {
        ("caregiver", TEACHER): DONE,
        ("caregiver", CADRE): DUE,
    }


def test_two_talks_on_one_day_count_twice():
    talks = [(CHILD.id, TEACHER, "talk", date(2026, 9, 3), 2)]
    (september,) = run([TALKS_TWICE], on=date(2026, 9, 20), records=talks)
    assert (september.done, september.status) == (2, DONE)


def test_one_talk_of_the_two_a_month_leaves_the_month_overdue():
    talks = [visit(date(2026, 9, 3), kind="talk")]
    found = run([TALKS_TWICE], on=date(2026, 10, 2), records=talks)
    september = next(o for o in found if o.period.start == date(2026, 9, 1))
    assert (september.done, september.required, september.status) == (1, 2, OVERDUE)


# --- holidays ---------------------------------------------------------------------------------


def test_a_week_mostly_in_the_national_day_holiday_is_not_owed():
    starts = {
        o.period.start
        for o in run([PROXY_WEEKLY], on=date(2026, 10, 20), pairings=[paired(role="proxy_parent")])
    }
    assert date(2026, 9, 28) not in starts  # Mon 28 – Sun 4 Oct: three term days of seven
    assert date(2026, 10, 5) in starts  # Mon 5 – Sun 11 Oct: four term days of seven
    assert date(2026, 9, 21) in starts


def test_a_record_in_a_holiday_still_counts_for_the_period_it_falls_in():
    found = by_start(run([MONTHLY_VISIT], on=date(2026, 11, 1), records=[visit(date(2026, 10, 3))]))
    assert found[date(2026, 10, 1)] == DONE


def test_term_rules_rest_in_the_winter_holiday():
    starts = {o.period.start for o in run([MONTHLY_VISIT], on=date(2027, 3, 31))}
    assert date(2027, 1, 1) in starts  # 22 term days of 31
    assert date(2027, 2, 1) not in starts  # all holiday
    assert date(2027, 3, 1) in starts


def test_a_term_letter_written_in_the_winter_holiday_is_too_late():
    (on_time,) = run(
        [TERM_LETTER], on=date(2027, 1, 25), records=[visit(date(2027, 1, 22), kind="letter")]
    )
    (late,) = run(
        [TERM_LETTER], on=date(2027, 1, 25), records=[visit(date(2027, 1, 23), kind="letter")]
    )
    assert on_time.status == DONE
    assert late.status == OVERDUE


def test_summer_rules_run_only_in_the_summer_holiday():
    records = [
        visit(date(2027, 6, 20)),
        visit(date(2027, 7, 15)),
        visit(date(2027, 8, 2), kind="tutoring"),
    ]
    (summer,) = run([SUMMER_VISITS], on=date(2027, 9, 1), records=records, first=SPRING.start)
    assert (summer.period.start, summer.period.end) == (SUMMER.start, SUMMER.end)
    assert (summer.done, summer.status) == (2, DONE)


def test_summer_rules_owe_nothing_in_term():
    assert run([SUMMER_VISITS], on=date(2026, 12, 1)) == []


# --- pairings that start or end inside a period ------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "owes_september"),
    [
        (date(2026, 9, 10), True),  # 21 of 30 days
        (date(2026, 9, 16), True),  # 15 of 30: exactly half
        (date(2026, 9, 17), False),  # 14 of 30
    ],
)
def test_a_pairing_begun_mid_month_owes_the_month_only_for_half_of_it(starts_on, owes_september):
    found = by_start(
        run([MONTHLY_VISIT], on=date(2026, 10, 5), pairings=[paired(starts_on=starts_on)])
    )
    assert (date(2026, 9, 1) in found) is owes_september
    assert found[date(2026, 10, 1)] == DUE


def test_an_ended_pairing_owes_nothing_after_it_ended():
    pairing = paired(ends_on=date(2026, 10, 10))
    found = by_start(run([MONTHLY_VISIT], on=date(2026, 12, 5), pairings=[pairing]))
    assert set(found) == {date(2026, 9, 1)}


def test_a_handover_moves_the_duty_to_the_new_caregiver():
    pairings = [
        paired(ends_on=date(2026, 10, 25)),  # 18 of October's 24 term days
        paired(CADRE, "teacher", starts_on=date(2026, 10, 26)),
    ]
    obligations = run([MONTHLY_VISIT], on=date(2026, 11, 15), pairings=pairings)
    owners = {(o.owner[1], o.period.start) for o in obligations}
    assert owners == {
        (TEACHER, date(2026, 9, 1)),
        (TEACHER, date(2026, 10, 1)),
        (CADRE, date(2026, 11, 1)),
    }


# --- 二对一: a duty the pair shares ---------------------------------------------------------------


def shared(rule: RuleSpec) -> RuleSpec:
    return replace(rule, assignee="pair_shared")


def test_either_caregiver_of_a_two_to_one_pair_fulfils_the_shared_duty():
    pairings = [paired(), paired(CADRE, "village_cadre")]
    (september,) = run(
        [shared(MONTHLY_VISIT)],
        on=date(2026, 9, 30),
        records=[visit(date(2026, 9, 8), CADRE)],
        pairings=pairings,
    )
    assert september.owner == ("shared", CHILD.id)
    assert september.caregiver_ids == (TEACHER, CADRE)
    assert (september.done, september.status) == (1, DONE)


def test_a_visit_by_someone_outside_the_pair_does_not_fulfil_the_shared_duty():
    pairings = [paired(), paired(CADRE, "village_cadre")]
    (september,) = run(
        [shared(MONTHLY_VISIT)],
        on=date(2026, 9, 30),
        records=[visit(date(2026, 9, 8), STRANGER)],
        pairings=pairings,
    )
    assert september.status == DUE


def test_a_shared_duty_is_owed_while_either_caregiver_is_paired():
    pairings = [
        paired(ends_on=date(2026, 9, 12)),
        paired(CADRE, "village_cadre", starts_on=date(2026, 9, 13)),
    ]
    found = by_start(run([shared(MONTHLY_VISIT)], on=date(2026, 9, 30), pairings=pairings))
    assert found == {date(2026, 9, 1): DUE}


# --- class teacher and school leadership -------------------------------------------------------


def test_term_phases_split_the_term_at_the_midpoints():
    spans = engine.periods(TERM_PHASES, CALENDAR, "term", AUTUMN.start, AUTUMN.end)
    assert [s.start for s in spans] == [date(2026, 9, 1), date(2026, 10, 6), date(2026, 12, 17)]
    assert [s.end for s in spans] == [date(2026, 10, 5), date(2026, 12, 16), date(2027, 1, 22)]
    assert spans[1].start <= AUTUMN.midterm <= spans[1].end


def test_the_class_teachers_visit_counts_for_the_class_phase_and_no_one_elses_does():
    login = {TEACHER: 70, CADRE: 80}
    records = [visit(date(2026, 9, 10), TEACHER), visit(date(2026, 10, 20), CADRE)]
    obligations = run(
        [PHASE_VISITS],
        on=date(2026, 11, 1),
        records=records,
        class_teachers={CLASS: frozenset({70})},
        logins=login,
    )
    assert {o.owner for o in obligations} == {("class", CLASS)}
    assert [o.status for o in obligations] == [DONE, DUE, DUE]


def test_a_class_duty_needs_no_pairing():
    obligations = run([PHASE_VISITS], on=date(2026, 11, 1), pairings=[])
    assert len(obligations) == 3


def test_a_leaders_visit_counts_for_the_school_and_a_teachers_does_not():
    records = [visit(date(2026, 9, 10), TEACHER), visit(date(2026, 10, 9), CADRE)]
    obligations = run(
        [LEADERS_VISIT],
        on=date(2026, 10, 31),
        records=records,
        leaders={SCHOOL: frozenset({80})},
        logins={TEACHER: 70, CADRE: 80},
    )
    assert by_start(obligations) == {date(2026, 9, 1): OVERDUE, date(2026, 10, 1): DONE}
    assert {o.owner for o in obligations} == {("school", SCHOOL)}


def test_a_meeting_for_all_children_is_owed_once_per_school():
    records = [(SISTER.id, CADRE, "guardians_meeting", date(2026, 9, 25))]
    obligations = run(
        [MEETING],
        on=date(2026, 10, 2),
        records=records,
        children=[CHILD, SISTER],
        leaders={SCHOOL: frozenset({80})},
        logins={CADRE: 80},
    )
    assert {(o.child_id, o.period.start, o.status) for o in obligations} == {
        (None, date(2026, 9, 1), DONE),
        (None, date(2026, 10, 1), DUE),
    }


# --- which children and which caregivers a rule is for -------------------------------------------


def test_a_rule_for_teachers_is_not_owed_by_a_cadre():
    pairings = [paired(CADRE, "village_cadre")]
    assert run([TEACHERS_WEEKLY], on=date(2026, 9, 30), pairings=pairings) == []
    assert run([TEACHERS_WEEKLY], on=date(2026, 9, 30), pairings=[paired()]) != []


def test_a_rule_for_a_left_behind_type_and_heart_level_picks_its_children():
    rule = replace(MONTHLY_VISIT, left_behind_types=frozenset({"father_away"}), min_heart_level=3)
    pairings = [paired(), paired(child=SISTER.id)]
    obligations = run([rule], on=date(2026, 9, 30), pairings=pairings, children=[CHILD, SISTER])
    assert {o.child_id for o in obligations} == {SISTER.id}


def test_a_child_never_assessed_is_not_in_a_heart_level_rule():
    rule = replace(MONTHLY_VISIT, min_heart_level=1)
    unassessed = ChildFacts(3, SCHOOL, "00010001", CLASS, "both_parents_away", None, calendar=1)
    assert (
        run([rule], on=date(2026, 9, 30), pairings=[paired(child=3)], children=[unassessed]) == []
    )


def test_a_policy_of_another_region_does_not_reach_the_school():
    rule = replace(MONTHLY_VISIT, org_path="0002")
    assert run([rule], on=date(2026, 9, 30)) == []


# --- period arithmetic --------------------------------------------------------------------------


def test_months_run_across_the_new_year_into_the_end_of_term():
    spans = engine.periods(MONTH, CALENDAR, "term", date(2026, 12, 1), date(2027, 1, 31))
    assert [(s.start, s.end) for s in spans] == [
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 31)),
    ]
    assert len(spans[1].active) == 22


def test_weeks_start_on_monday_even_across_the_new_year():
    spans = engine.periods(WEEK, CALENDAR, "term", date(2026, 12, 30), date(2027, 1, 5))
    assert [s.start for s in spans] == [date(2026, 12, 28), date(2027, 1, 4)]
    assert spans[0].end == date(2027, 1, 3)


def test_fortnights_count_from_the_monday_of_the_terms_first_week():
    spans = engine.periods(TWO_WEEKS, CALENDAR, "term", AUTUMN.start, AUTUMN.end)
    assert spans[0].start == date(2026, 8, 31)  # 1 Sep 2026 is a Tuesday
    assert all((s.start - date(2026, 8, 31)).days % 14 == 0 for s in spans)
    spring = engine.periods(TWO_WEEKS, CALENDAR, "term", SPRING.start, SPRING.end)
    assert spring[0].start == date(2027, 3, 1)


def test_a_fortnight_visit_late_by_one_day_misses_its_fortnight():
    records = [visit(date(2026, 9, 13)), visit(date(2026, 9, 28))]
    found = by_start(run([FORTNIGHTLY], on=date(2026, 9, 29), records=records))
    assert found[date(2026, 8, 31)] == DONE
    assert found[date(2026, 9, 14)] == OVERDUE
    assert found[date(2026, 9, 28)] == DONE


def test_term_periods_are_the_terms_themselves():
    spans = engine.periods(TERM, CALENDAR, "term", date(2026, 12, 1), date(2027, 3, 10))
    assert [(s.start, s.end, s.label) for s in spans] == [
        (AUTUMN.start, AUTUMN.end, AUTUMN.name),
        (SPRING.start, SPRING.end, SPRING.name),
    ]


# --- summaries ----------------------------------------------------------------------------------


def test_status_is_due_until_the_period_ends_then_overdue():
    (span,) = engine.periods(MONTH, CALENDAR, "term", date(2026, 9, 1), date(2026, 9, 30))
    assert engine.status_of(0, 1, span, date(2026, 9, 30)) == DUE
    assert engine.status_of(0, 1, span, date(2026, 10, 1)) == OVERDUE
    assert engine.status_of(2, 2, span, date(2026, 10, 1)) == DONE


def test_the_rate_judges_only_what_is_settled():
    records = [visit(date(2026, 9, 15))]
    obligations = run([MONTHLY_VISIT, TERM_LETTER], on=date(2026, 11, 5), records=records)
    tallies = engine.tally(obligations, key=lambda o: o.rule.label)
    visits, letters = tallies[MONTHLY_VISIT.label], tallies[TERM_LETTER.label]
    assert (visits.done, visits.overdue, visits.due) == (1, 1, 1)
    assert visits.rate == 0.5
    assert (letters.due, letters.rate) == (1, None)


def test_tally_counts_one_obligation_under_each_of_several_keys():
    obligations = run([MONTHLY_VISIT], on=date(2026, 10, 5))
    tallies = engine.tally(obligations, key=lambda o: ("all", o.period.start))
    assert tallies["all"].total == 2
    assert tallies[date(2026, 9, 1)].overdue == 1


def test_the_whole_of_the_rules_tallies_is_every_obligation_counted_once():
    records = [visit(date(2026, 9, 15))]
    obligations = run([MONTHLY_VISIT, TERM_LETTER], on=date(2026, 11, 5), records=records)
    whole = engine.tally(obligations, key=lambda o: "all")["all"]
    by_rule = engine.tally(obligations, key=lambda o: o.rule.label)
    assert engine.summed(by_rule.values()) == whole
    assert (whole.done, whole.due, whole.overdue) == (1, 2, 1)
    assert list(by_rule) == [MONTHLY_VISIT.label, TERM_LETTER.label]  # in the order they come


# --- a property of the calendar ------------------------------------------------------------------


@st.composite
def calendars(draw: st.DrawFn) -> tuple[Calendar, date, date]:
    start = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    mid = start + timedelta(days=draw(st.integers(1, 120)))
    end = mid + timedelta(days=draw(st.integers(1, 120)))
    off = start + timedelta(days=draw(st.integers(0, (end - start).days)))
    holiday = HolidaySpan("假", off, off + timedelta(days=draw(st.integers(0, 20))), "other")
    summer_start = end + timedelta(days=1)
    summer = HolidaySpan("暑假", summer_start, summer_start + timedelta(days=50), "summer")
    first = start + timedelta(days=draw(st.integers(-30, 200)))
    last = first + timedelta(days=draw(st.integers(0, 200)))
    return Calendar((TermSpan("学期", start, mid, end),), (holiday, summer)), first, last


@given(
    calendars(),
    st.sampled_from([WEEK, TWO_WEEKS, MONTH, TERM, TERM_PHASES]),
    st.sampled_from(["term", "summer"]),
)
def test_every_active_day_lies_in_exactly_one_period(drawn, kind, season):
    calendar, first, last = drawn
    spans = engine.periods(kind, calendar, season, first, last)
    starts = [s.start for s in spans]
    assert starts == sorted(starts)
    for before, after in itertools.pairwise(spans):
        assert before.end < after.start
    active = engine.active_days(calendar, season)
    for span in spans:
        assert span.start <= span.end
        assert set(span.active) <= active
        assert all(span.start.toordinal() <= d <= span.end.toordinal() for d in span.active)
        assert span.owed_whole == (len(span.active) * 2 >= span.days)
    if kind == TERM_PHASES and season == "summer":
        assert spans == []  # term phases have no summer
        return
    window = range(first.toordinal(), last.toordinal() + 1)
    covered = [d for s in spans for d in s.active]
    assert len(covered) == len(set(covered))
    assert {d for d in window if d in active} <= set(covered)


def test_a_child_who_came_mid_term_owes_nothing_for_the_months_before():
    came = replace(CHILD, entered=date(2026, 10, 20))
    obligations = run([MONTHLY_VISIT], on=date(2026, 11, 24), children=[came])
    starts = {o.period.start for o in obligations}
    assert date(2026, 9, 1) not in starts  # September ended before they came
    assert date(2026, 10, 1) not in starts  # in October for 12 days of 31: not owed
    assert date(2026, 11, 1) in starts
    # The same child there all along owes every month of the term so far.
    always = run([MONTHLY_VISIT], on=date(2026, 11, 24))
    assert {date(2026, 9, 1), date(2026, 10, 1)} <= {o.period.start for o in always}


def test_a_class_duty_of_a_child_who_came_mid_term_starts_with_them():
    came = replace(CHILD, entered=date(2026, 10, 6))
    obligations = run([PHASE_VISITS], on=date(2026, 11, 1), pairings=[], children=[came])
    assert [o.period.start for o in obligations] == [date(2026, 10, 6), date(2026, 12, 17)]
