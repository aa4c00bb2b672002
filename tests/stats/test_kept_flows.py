"""Issue 17: the period's figures (stats.flows) are counted once per change of what they read and
kept — per unit, day, period and reader — while care records (a caregiver writes one a minute)
and the emergency chains (late by the clock alone) are counted on every call."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.care import services as care_services
from shouwang.care.models import RecordKind
from shouwang.safety import services as safety_services
from shouwang.stats import selectors
from shouwang.stats.flows import period_of
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

CST = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 24, 10, tzinfo=CST)


@time_machine.travel(MORNING, tick=False)
class KeptFlowsTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.child = make_child(school_class=cls.world.orgs["class_a1"], name="流甲")
        cls.teacher_care = care_services.caregiver_for_login(cls.world.users["teacher"])

    def flows(self, persona: str = "county_officer", org: str = "county_a") -> tuple[dict, int]:
        """(the flows as ``persona`` reads them, the number of queries it took), committed."""
        unit = self.org(org)
        on = MORNING.date()
        with (
            self.captureOnCommitCallbacks(execute=True),
            CaptureQueriesContext(connection) as queries,
        ):
            data = selectors.flows_for(self.world.users[persona], unit, on, period_of(unit, on))
        return data, len(queries)

    def record(self, kind: str = RecordKind.TALK) -> None:
        care_services.record_care(
            child=self.child,
            caregiver=self.teacher_care,
            kind=kind,
            on=MORNING.date(),
            by=self.world.users["teacher"],
        )

    def pair(self) -> None:
        care_services.pair(
            child=self.child,
            caregiver=self.teacher_care,
            role="teacher",
            starts_on=MORNING.date(),
            by=None,
        )

    def test_the_second_reading_is_kept_and_takes_fewer_queries(self):
        first, counting = self.flows()
        again, kept = self.flows()
        assert again == first
        assert kept < counting - 5, (kept, counting)

    def test_a_care_record_is_counted_at_once_and_the_rest_stays_kept(self):
        before, _ = self.flows()
        self.record()
        after, queries = self.flows()
        assert after["care_person_times"][RecordKind.TALK] == (
            before["care_person_times"][RecordKind.TALK] + 1
        )
        _, counting = self.flows("county_officer", "township_a1")  # counted afresh
        assert queries < counting - 5, (queries, counting)

    def test_a_pairing_made_is_in_the_next_reading(self):
        before, _ = self.flows()
        self.pair()
        after, _ = self.flows()
        assert (
            sum(after["pairings_by_mode"].values()) == sum(before["pairings_by_mode"].values()) + 1
        )
        assert after["caregivers_by_kind"]["teacher"] == before["caregivers_by_kind"]["teacher"] + 1

    def test_an_emergency_step_falls_late_by_the_clock_alone(self):
        safety_services.report_incident(
            child=self.child,
            kind="injury",
            occurred_at=MORNING - timedelta(minutes=5),
            place="操场",
            description="摔伤",
            by=self.world.users["teacher"],
        )
        now, _ = self.flows()
        assert now["emergencies"] == {"reported": 1, "steps_late": 0}
        with time_machine.travel(MORNING + timedelta(hours=3), tick=False):
            later, _ = self.flows()
        assert later["emergencies"]["reported"] == 1
        assert later["emergencies"]["steps_late"] > 0

    def test_each_reader_keeps_their_own(self):
        # Two teachers reading the same school count their own classes, never each other's
        # kept figures.
        self.pair()
        teacher, _ = self.flows("teacher", "school_a")
        teacher_b, _ = self.flows("teacher_b", "school_a")
        assert sum(teacher["pairings_by_mode"].values()) == 1
        assert sum(teacher_b["pairings_by_mode"].values()) == 0
        assert self.flows("teacher", "school_a")[0] == teacher
