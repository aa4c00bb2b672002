"""A county's duty compliance is kept where every server process and the worker find it
(issue 17): counted once, handed out while the data holds, shown with its time for a few
minutes after records come in while the worker counts it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_q.models import Schedule

from shouwang.accounts import services as accounts
from shouwang.audit.versions import data_version
from shouwang.care import selectors, tasks
from shouwang.care.models import KeptCompliance
from shouwang.children import services as children
from tests.care.test_care_pages import TODAY, CareTestCase

NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Beijing, TODAY of CareTestCase
URL = reverse("care:compliance")


def counts_nothing(*args: object) -> None:
    raise AssertionError("counted again: the kept count was not used")


# Every count is "slow" here: a county's takes seconds at a province, this world's milliseconds.
@mock.patch.object(selectors, "KEEP_COMPLIANCE_ABOVE", -1)
class KeptComplianceTests(CareTestCase):
    def get(self, persona: str, url: str = URL, at: datetime = NOON):
        with time_machine.travel(at, tick=False), self.captureOnCommitCallbacks(execute=True):
            client = Client(REMOTE_ADDR="127.0.0.1")
            client.force_login(self.world.users[persona])  # a session of that moment
            response = client.get(url)
        self.assertEqual(response.status_code, 200, response.get("Location"))
        return response

    def another_process(self) -> None:
        cache.clear()  # what this process kept in memory is not another's

    def worker(self, at: datetime, **budget: float) -> int:
        with time_machine.travel(at, tick=False), self.captureOnCommitCallbacks(execute=True):
            return tasks.refresh_compliance(**budget)

    def test_a_slow_count_is_read_back_by_another_process_without_counting(self):
        for by in ("unit", "caregiver", "child"):
            with self.subTest(by=by):
                url = f"{URL}?by={by}"
                first = self.get("county_officer", url).context["result"]
                self.another_process()
                with mock.patch.object(selectors, "_compliance", counts_nothing):
                    again = self.get("county_officer", url, NOON + timedelta(minutes=1))
                self.assertEqual(again.context["result"], first)
                self.assertNotContains(again, 'data-testid="counted-at"')
        kept = KeptCompliance.objects.get(by="child")
        self.assertEqual(
            (kept.user, kept.org, kept.day),
            (self.world.users["county_officer"], self.org("county_a"), NOON.date()),
        )

    def test_after_a_record_the_kept_count_says_when_it_was_counted_until_the_worker_counts(self):
        first = self.get("county_officer").context["result"].total
        with time_machine.travel(NOON + timedelta(seconds=20), tick=False):
            self.assertEqual(self.record("volunteer", self.a1).status_code, 302)
        self.another_process()
        with mock.patch.object(selectors, "_compliance", counts_nothing):
            stale = self.get("county_officer", at=NOON + timedelta(minutes=2))
        self.assertEqual(stale.context["result"].total, first)
        self.assertContains(stale, "统计于 12:00")
        self.assertEqual(self.worker(NOON + timedelta(minutes=1)), 0)  # too fresh to count yet
        self.assertEqual(self.worker(NOON + timedelta(minutes=4)), 1)
        self.another_process()
        with mock.patch.object(selectors, "_compliance", counts_nothing):
            counted = self.get("county_officer", at=NOON + timedelta(minutes=5))
        self.assertEqual(counted.context["result"].total.done, first.done + 1)
        self.assertNotContains(counted, 'data-testid="counted-at"')

    def test_once_a_child_moved_the_kept_count_is_handed_out_for_a_minute_at_most(self):
        url = f"{URL}?org={self.org('class_a1').code}&by=child"
        first = self.get("county_officer", url).context["result"]
        self.assertIn(self.a1.pk, [row.child_id for row in first.rows])
        with time_machine.travel(NOON + timedelta(seconds=10), tick=False):
            children.change_status(
                child=self.a1, status="returned", on=TODAY, reason="父母返乡", by=None
            )
        self.another_process()
        with mock.patch.object(selectors, "_compliance", counts_nothing):
            within = self.get("county_officer", url, NOON + timedelta(seconds=50))
        self.assertContains(within, "统计于 12:00")
        later = self.get("county_officer", url, NOON + timedelta(minutes=2))
        self.assertNotIn(self.a1.pk, [row.child_id for row in later.context["result"].rows])
        self.assertNotContains(later, "李一")
        self.assertNotContains(later, 'data-testid="counted-at"')

    def test_the_ten_minutes_run_from_when_records_began_to_come_in_not_from_the_count(self):
        first = self.get("county_officer").context["result"].total
        self.assertEqual(self.worker(NOON + timedelta(minutes=30)), 0)  # still current
        with time_machine.travel(NOON + timedelta(minutes=31), tick=False):
            self.record("volunteer", self.a1)
        self.another_process()
        with mock.patch.object(selectors, "_compliance", counts_nothing):
            stale = self.get("county_officer", at=NOON + timedelta(minutes=33))
        self.assertEqual(stale.context["result"].total, first)
        self.assertContains(stale, "统计于 12:00")

    def test_an_older_count_never_replaces_a_newer_one(self):
        officer, county = self.world.users["county_officer"], self.org("county_a")

        def count(at: datetime) -> None:
            with time_machine.travel(at, tick=False), self.captureOnCommitCallbacks(execute=True):
                version = data_version()
                selectors.count_compliance(officer, county, TODAY, "unit", version=version)

        count(NOON + timedelta(minutes=5))
        count(NOON)  # began before, kept after
        kept = KeptCompliance.objects.get()
        self.assertEqual(kept.made_at, NOON + timedelta(minutes=5))
        self.assertEqual(kept.asked_at, NOON + timedelta(minutes=5))

    def test_the_worker_counts_the_longest_waiting_first_within_its_time(self):
        self.get("county_officer")
        self.get("school_admin", at=NOON + timedelta(minutes=1))
        with time_machine.travel(NOON + timedelta(minutes=2), tick=False):
            self.assertEqual(self.record("volunteer", self.a1).status_code, 302)
        self.assertEqual(self.worker(NOON + timedelta(minutes=5), budget=0), 1)
        officer = KeptCompliance.objects.get(user=self.world.users["county_officer"])
        admin = KeptCompliance.objects.get(user=self.world.users["school_admin"])
        self.assertEqual(officer.made_at, NOON + timedelta(minutes=5))  # the longest waiting
        self.assertEqual(admin.made_at, NOON + timedelta(minutes=1))  # the next minute's

    def test_a_kept_count_that_cannot_be_read_is_counted_again(self):
        first = self.get("county_officer").context["result"]
        KeptCompliance.objects.update(counted={"rows": "not a count"})
        self.another_process()
        again = self.get("county_officer", at=NOON + timedelta(seconds=30))
        self.assertEqual(again.context["result"], first)

    def test_without_a_worker_a_count_ten_minutes_behind_is_counted_by_the_page(self):
        first = self.get("county_officer").context["result"].total
        with time_machine.travel(NOON + timedelta(seconds=20), tick=False):
            self.record("volunteer", self.a1)
        self.another_process()
        later = self.get("county_officer", at=NOON + timedelta(minutes=11))
        self.assertEqual(later.context["result"].total.done, first.done + 1)
        self.assertNotContains(later, 'data-testid="counted-at"')

    def test_the_worker_makes_todays_count_from_yesterdays_asked_one(self):
        yesterday = NOON - timedelta(days=1)
        self.get("county_officer", at=yesterday)
        morning = NOON - timedelta(hours=4)  # 08:00 in Beijing
        self.assertEqual(self.worker(morning), 1)
        # Made by the worker for a page that asked yesterday: it keeps yesterday's asking, so
        # a count nobody asks for again is dropped after a day rather than made every morning.
        self.assertLess(KeptCompliance.objects.get(day=NOON.date()).asked_at, morning)
        self.assertEqual(self.worker(morning + timedelta(days=1)), 0)
        self.assertFalse(KeptCompliance.objects.exists())

    def test_the_morning_page_finds_the_workers_count(self):
        yesterday = NOON - timedelta(days=1)
        self.get("county_officer", at=yesterday)
        morning = NOON - timedelta(hours=4)  # 08:00 in Beijing
        self.worker(morning)
        self.another_process()
        with mock.patch.object(selectors, "_compliance", counts_nothing):
            today = self.get("county_officer", at=morning + timedelta(minutes=1))
        self.assertEqual(today.context["result"].on, NOON.date())
        self.assertNotContains(today, 'data-testid="counted-at"')
        # Asked today: kept counted for today's and tomorrow's pages.
        self.assertEqual(self.worker(morning + timedelta(days=1)), 1)

    def test_another_scope_never_reads_a_kept_count(self):
        school = f"{URL}?org={self.org('school_a').code}"
        self.get("county_officer", school)
        self.another_process()
        with mock.patch.object(selectors, "_compliance", wraps=selectors._compliance) as count:
            self.get("school_admin", school, NOON + timedelta(minutes=1))
        self.assertEqual(count.call_count, 1)
        self.assertEqual(KeptCompliance.objects.count(), 2)

    def test_the_worker_drops_a_count_whose_reader_left_or_changed_scope(self):
        self.get("county_officer")
        self.get("school_admin")
        users = self.world.users
        accounts.set_active(user=users["county_officer"], active=False, by=None)
        accounts.assign_role(
            user=users["school_admin"], role="teacher", org=self.org("class_b1"), by=None
        )
        self.assertEqual(self.worker(NOON + timedelta(minutes=5)), 0)
        self.assertFalse(KeptCompliance.objects.exists())

    def test_the_worker_counts_again_every_minute(self):
        schedule = Schedule.objects.get(func="shouwang.care.tasks.refresh_compliance")
        self.assertEqual((schedule.schedule_type, schedule.minutes, schedule.repeats), ("I", 1, -1))
