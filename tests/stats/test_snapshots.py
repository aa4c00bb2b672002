"""Issue 17: a unit's figures of today are counted once per change of what they count — a
snapshot of the whole unit (stats.models.UnitDayFigures) — and handed only to those who see every
child of the unit; everyone else counts their own scope."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from shouwang.care import services as care_services
from shouwang.children import services as child_services
from shouwang.children.models import Child
from shouwang.children.profiles import profile_for
from shouwang.orgs.models import Org
from shouwang.stats import selectors, tasks
from shouwang.stats.models import UnitDayFigures
from tests.children.factories import make_child
from tests.personas import PersonaTestCase
from tests.world import PERSONAS

TODAY = date(2026, 12, 1)
MORNING = datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def counts_of_children(queries: CaptureQueriesContext) -> int:
    """The queries that counted children (they read the register on a day)."""
    return sum("children_statuschange" in q["sql"] for q in queries.captured_queries)


@contextmanager
def at_most(n: int) -> Iterator[CaptureQueriesContext]:
    """pytest-django's django_assert_max_num_queries, for a TestCase."""
    with CaptureQueriesContext(connection) as queries:
        yield queries
    assert len(queries) <= n, "\n".join(q["sql"][:160] for q in queries.captured_queries)


@time_machine.travel(MORNING, tick=False)
class SnapshotTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for i in range(3):
            make_child(school_class=cls.world.orgs["class_a1"], name=f"甲{i}")
        for i in range(2):
            make_child(school_class=cls.world.orgs["class_b1"], name=f"乙{i}")

    def view(self, persona: str, org: str, **query: str) -> tuple[object, int]:
        """(the unit's left-behind total as ``persona`` sees it today, children counted)."""
        client = self.client_as(persona)
        with (
            self.captureOnCommitCallbacks(execute=True),
            CaptureQueriesContext(connection) as queries,
        ):
            page = client.get("/stats/", {"org": self.org(org).code, **query})
        assert page.status_code == 200
        return page.context["data"]["left_behind_total"], counts_of_children(queries)

    def goes_home(self, name: str) -> None:
        """The child leaves the register (parents back home): a change of what units count."""
        child_services.change_status(
            child=Child.objects.get(name=name),
            status="returned",
            on=TODAY,
            reason="父母返乡",
            by=None,
        )

    def snapshot(self, org: str) -> UnitDayFigures:
        return UnitDayFigures.objects.get(org=self.org(org), day=TODAY)

    def test_a_county_officer_counts_today_once_then_reads_the_snapshot(self):
        assert self.view("county_officer", "county_a") == (5, 1)
        assert self.snapshot("county_a").counted["total"] == 5
        assert self.view("county_officer", "county_a") == (5, 0)
        # The home page lands on the same snapshot.
        with CaptureQueriesContext(connection) as queries:
            assert self.client_as("county_officer").get("/").status_code == 200
        assert counts_of_children(queries) == 0

    def test_reading_the_snapshot_takes_fewer_queries_than_counting(self):
        officer, code = self.county_officer, self.org("county_a").code
        with self.captureOnCommitCallbacks(execute=True), CaptureQueriesContext(connection) as q:
            selectors.figures_for(officer, code, TODAY)
        counting = len(q)
        # Only the version, the snapshot and what is not counted (the unit, its enrolment, the
        # names of its sub-units, the definition): no child is read.
        with at_most(counting - 2) as kept:
            found = selectors.figures_for(officer, code, TODAY)
        assert found.left_behind_total == 5
        assert not any("children_child" in x["sql"] for x in kept.captured_queries)

    def test_a_care_record_leaves_the_snapshot_standing(self):
        self.view("county_officer", "county_a")
        child = Child.objects.get(name="甲0")
        caregiver = care_services.caregiver_for_login(self.volunteer)
        care_services.pair(
            child=child, caregiver=caregiver, role="volunteer", starts_on=TODAY, by=None
        )
        assert self.view("county_officer", "county_a") == (5, 1)  # a pairing counts
        care_services.record_care(
            child=child, caregiver=caregiver, kind="talk", on=TODAY, by=self.volunteer
        )
        assert tasks.refresh_figures() == 0
        assert self.view("county_officer", "county_a") == (5, 0)

    def test_the_worker_recounts_after_a_change_of_the_register(self):
        self.view("county_officer", "county_a")
        made = self.snapshot("county_a").version
        self.goes_home("甲0")
        with self.captureOnCommitCallbacks(execute=True):
            assert tasks.refresh_figures() == 1
        assert self.snapshot("county_a").version != made
        assert self.snapshot("county_a").counted["total"] == 4
        # The dashboard finds it made; the worker's next minute has nothing to do.
        assert self.view("county_officer", "county_a") == (4, 0)
        assert tasks.refresh_figures() == 0

    def test_the_worker_counts_the_longest_waiting_first_within_its_time(self):
        self.view("county_officer", "school_a")
        with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
            self.view("county_officer", "county_a")
        self.goes_home("甲0")
        with self.captureOnCommitCallbacks(execute=True):
            assert tasks.refresh_figures(budget=0) == 1  # one, then the time is up
        assert self.snapshot("school_a").counted["total"] == 2  # counted the longest ago
        assert self.snapshot("county_a").counted["total"] == 5  # waits for the next minute
        with self.captureOnCommitCallbacks(execute=True):
            assert tasks.refresh_figures(budget=0) == 1
        assert self.snapshot("county_a").counted["total"] == 4

    def test_the_worker_runs_every_minute(self):
        schedule = Schedule.objects.get(func="shouwang.stats.tasks.refresh_figures")
        assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)

    def test_a_new_day_is_counted_afresh_and_made_by_the_worker_for_units_looked_at(self):
        self.view("county_officer", "county_a")
        with time_machine.travel(MORNING + timedelta(days=1), tick=False):
            with self.captureOnCommitCallbacks(execute=True):
                assert tasks.refresh_figures() == 1
            tomorrow = UnitDayFigures.objects.get(
                org=self.org("county_a"), day=TODAY + timedelta(1)
            )
            assert tomorrow.counted["total"] == 5
            self._clients.clear()  # yesterday's session has timed out
            assert self.view("county_officer", "county_a") == (5, 0)
        with time_machine.travel(MORNING + timedelta(days=9), tick=False):
            tasks.refresh_figures()  # a week later, the cache's old days are gone
            assert not UnitDayFigures.objects.filter(day__lte=TODAY + timedelta(1)).exists()

    def test_only_who_sees_the_whole_unit_is_handed_its_snapshot(self):
        self.view("county_officer", "school_a")
        # A snapshot that says something no count would: whoever is shown 999 read it.
        kept = self.snapshot("school_a")
        kept.counted = {**kept.counted, "total": 999}
        kept.save()
        assert self.view("county_officer", "school_a")[0] == 999
        assert self.view("school_admin", "school_a")[0] == 999  # the school's own leader
        assert self.view("counselor", "school_a")[0] == 999  # reaches the school's children
        # A class teacher counts their class (a class has no snapshot), never the school's.
        assert self.view("teacher", "class_a1") == (3, 1)
        assert self.view("teacher", "class_a1") == (3, 1)
        # A village's director sees its residents, not a school's snapshot.
        assert not selectors.sees_whole_unit(self.village_director, self.org("school_a"))

    def test_no_snapshot_for_a_day_gone_by(self):
        closed = TODAY - timedelta(days=7)
        assert self.view("county_officer", "county_a", on=closed.isoformat()) == (5, 1)
        assert not UnitDayFigures.objects.exists()


class WholeUnitTests(PersonaTestCase):
    """Property-style: over generated registers (transfers across counties, children living
    in one county and schooled in the other, dropouts, pairings), every persona given a unit's
    snapshot gets exactly what counting their own scope gives, breakdown by breakdown."""

    def make_register(self, seed: int) -> None:
        rng = random.Random(seed)
        orgs = self.world.orgs
        classes = [orgs[k] for k in ("class_a1", "class_a2", "class_b1", "class_b2", "class_c1")]
        villages = [None, orgs["village_a1"]]
        caregiver = care_services.caregiver_for_login(self.volunteer)
        with time_machine.travel(datetime(2026, 9, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))):
            children = [
                make_child(
                    school_class=rng.choice(classes),
                    name=f"童{seed}-{i}",
                    male=rng.random() < 0.5,
                    birth=date(2012 + rng.randrange(8), 1 + rng.randrange(12), 5),
                    home_village=rng.choice(villages),
                    mother=rng.choice(["migrant", "at_home"]),
                    on=date(2026, 9, 1),
                )
                for i in range(14)
            ]
        for child in children:
            if rng.random() < 0.5:
                care_services.pair(
                    child=child,
                    caregiver=caregiver,
                    role="volunteer",
                    starts_on=date(2026, 9, 1) + timedelta(days=rng.randrange(90)),
                    by=None,
                )
            roll = rng.random()
            day = date(2026, 10, 1) + timedelta(days=rng.randrange(55))
            if roll < 0.3:
                to = rng.choice([c for c in classes if c.pk != child.school_class_id])
                school = Org.objects.get(path=to.path[: -2 * Org.steplen])
                if school.pk != child.school_id:
                    child_services.transfer_child(
                        child=child, to_school=school, to_class=to, on=day, reason="转学", by=None
                    )
            elif roll < 0.45:
                child_services.change_status(
                    child=child, status="dropout", on=day, reason="辍学", by=None
                )
            elif roll < 0.55:
                child_services.change_status(
                    child=child, status="returned", on=day, reason="父母返乡", by=None
                )

    def test_a_snapshot_is_what_each_persona_would_count_for_themselves(self):
        units = [o for o in self.world.orgs.values() if o.kind in selectors.STATS_KINDS]
        for seed in (1, 2, 3):
            with self.subTest(seed=seed):
                self.make_register(seed)
                with time_machine.travel(MORNING, tick=False):
                    given = 0
                    for persona in PERSONAS:
                        user = self.world.users[persona]
                        for org in units:
                            if not selectors.sees_whole_unit(user, org):
                                continue
                            given += 1
                            profile = profile_for(org, TODAY)
                            own = selectors.count_unit(
                                Child.objects.restrict(user), org, TODAY, profile
                            )
                            whole = selectors.unit_counted(org, TODAY, profile)
                            assert own == whole, (seed, persona, org.name)
                    # The county's, the townships' and the schools' officers and leaders, the
                    # village's director: snapshots were given, to no teacher.
                    assert given >= 10
                    teacher = self.world.users["teacher"]
                    assert not any(selectors.sees_whole_unit(teacher, o) for o in units)
