"""Issue 17: the figures of a day gone by are counted once and kept — for the person who asked,
until anything changes — and today's are counted live (or read from the unit's snapshot by
those who see the whole unit: test_snapshots.py)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.children import services as child_services
from shouwang.children.models import Child
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 12, 1)
CLOSED = date(2026, 11, 24)  # a day gone by


def counts_of_children(queries: CaptureQueriesContext) -> int:
    """The queries that counted children (they read the register on a day)."""
    return sum("children_statuschange" in q["sql"] for q in queries.captured_queries)


@time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
class KeptFiguresTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for i in range(3):
            make_child(school_class=cls.world.orgs["class_a1"], name=f"甲{i}")
        for i in range(2):
            make_child(school_class=cls.world.orgs["class_b1"], name=f"乙{i}")

    def total(self, persona: str, org: str, on: date, **query: str) -> tuple[int | str, int]:
        """(the unit's left-behind total as ``persona`` sees it on ``on``, children counted)."""
        client = self.client_as(persona)
        with (
            self.captureOnCommitCallbacks(execute=True),
            CaptureQueriesContext(connection) as queries,
        ):
            page = client.get("/stats/", {"org": self.org(org).code, "on": on.isoformat(), **query})
        assert page.status_code == 200
        return page.context["data"]["left_behind_total"], counts_of_children(queries)

    def test_a_closed_days_figures_are_counted_once(self):
        assert self.total("county_officer", "county_a", CLOSED) == (5, 1)
        assert self.total("county_officer", "county_a", CLOSED) == (5, 0)

    def test_todays_figures_are_counted_every_time_for_a_scope_short_of_the_unit(self):
        # (A county's officer reads the county's snapshot instead: test_snapshots.py.)
        assert self.total("teacher", "class_a1", TODAY) == (3, 1)
        assert self.total("teacher", "class_a1", TODAY) == (3, 1)

    def test_a_back_dated_change_is_counted_at_once(self):
        assert self.total("county_officer", "county_a", CLOSED)[0] == 5
        child = Child.objects.get(name="甲0")
        child_services.change_status(
            child=child, status="returned", on=date(2026, 11, 1), reason="父母返乡", by=None
        )
        assert self.total("county_officer", "county_a", CLOSED) == (4, 1)
        late = make_child(school_class=self.org("class_a2"), name="补录", on=date(2026, 10, 8))
        assert self.total("county_officer", "county_a", CLOSED) == (5, 1)
        assert late.pk

    def test_figures_kept_for_one_person_are_never_handed_to_another(self):
        # Counted and kept for the county's officer…
        assert self.total("county_officer", "school_a", CLOSED) == (3, 1)
        # …then a change no audit entry records (as a sysadmin's edit in the admin would be):
        # the officer is shown what was kept for them,
        Child.objects.filter(name="甲0").update(left_behind_type="not_left_behind")
        assert self.total("county_officer", "school_a", CLOSED) == (3, 0)
        # the school's own leader, asking the same unit and day, gets figures counted for them.
        assert self.total("school_admin", "school_a", CLOSED) == (2, 1)
        # Another unit, another day, another definition: each counted of its own.
        assert self.total("county_officer", "school_b", CLOSED) == (2, 1)
        assert self.total("county_officer", "school_a", date(2026, 11, 23)) == (2, 1)
        assert self.total("county_officer", "school_a", CLOSED, profile="national")[1] == 1

    def test_small_counts_hidden_for_one_are_not_shown_to_another(self):
        # The village's child director sees "<5"; the county's officer the exact count.
        village = self.org("village_a1")
        for i in range(2):
            make_child(school_class=self.org("class_a2"), name=f"村{i}", home_village=village)
        assert self.total("village_director", "village_a1", CLOSED) == ("<5", 1)
        assert self.total("county_officer", "village_a1", CLOSED) == (2, 1)
        assert self.total("village_director", "village_a1", CLOSED) == ("<5", 0)

    def test_the_trend_counts_each_closed_term_once(self):
        from shouwang.orgs import services as org_services

        org_services.add_term(
            region=self.org("county_a"),
            name="2026年春季学期",
            start=date(2026, 3, 2),
            midterm=date(2026, 4, 27),
            end=date(2026, 7, 10),
            by=None,
        )
        client = self.client_as("county_officer")
        query = {"org": self.org("county_a").code, "on": TODAY.isoformat(), "part": "trend"}
        # Spring: its count, then whether its register held anyone (no one: 无数据); then only
        # this term, which ends today.
        for counted in (3, 1):
            with (
                self.captureOnCommitCallbacks(execute=True),
                CaptureQueriesContext(connection) as queries,
            ):
                page = client.get("/stats/", query)
            assert [n for _term, _day, n in page.context["trend"]] == [None, 5]
            assert counts_of_children(queries) == counted

    def test_nothing_counted_in_a_transaction_that_rolls_back_is_kept(self):
        client = self.client_as("county_officer")
        query = {"org": self.org("county_a").code, "on": CLOSED.isoformat()}
        with self.captureOnCommitCallbacks(execute=False):
            client.get("/stats/", query)  # its transaction never commits
        with CaptureQueriesContext(connection) as queries:
            client.get("/stats/", query)
        assert counts_of_children(queries) == 1
