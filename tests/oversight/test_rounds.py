"""Reporting rounds (domain.md §6, seed 002): the county opens a round, schools and villages
submit frozen snapshots, townships report upward once their units are in, the level above sees
who is late and returns a report with a comment."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from io import BytesIO, StringIO
from zoneinfo import ZoneInfo

import openpyxl
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_q.models import Schedule

from shouwang.children.models import Child
from shouwang.children.types import LeftBehindType, ParentStatus
from shouwang.notices.models import Notification
from shouwang.orgs import services as org_services
from shouwang.oversight import selectors, services, tasks
from shouwang.oversight.models import FrozenSnapshot, Level, Round, RoundUnit, Submission
from shouwang.stats import selectors as stats
from shouwang.stats.flows import flow_figures, period_of
from tests.children.factories import make_child
from tests.personas import TempMediaTestCase

CST = ZoneInfo("Asia/Shanghai")
OPENED = date(2026, 12, 1)
DUE = date(2026, 12, 10)  # schools and villages (seed 002: communities by 6-25)
UPWARD = date(2026, 12, 15)  # townships (seed 002: the bureau by 6-30)


def live_flows(org):
    with time_machine.travel(at(OPENED), tick=False):
        return flow_figures(org=org, period=period_of(org, OPENED))["care_person_times"]


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CST)


class RoundTestCase(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a_children = [
            make_child(school_class=orgs["class_a1"], home_village=orgs["village_a1"], name=n)
            for n in ("王小明", "李小红", "赵小刚")
        ]
        cls.b_children = [
            make_child(school_class=orgs["class_b1"], name=n, male=False)
            for n in ("陈小丽", "周小燕")
        ]
        for school, male, female in (("school_a", 60, 40), ("school_b", 30, 20)):
            org_services.record_enrolment(
                school=orgs[school], male=male, female=female, on=date(2026, 9, 1), by=None
            )

    def open_round(self, **kwargs: object) -> Round:
        with time_machine.travel(at(OPENED), tick=False):
            return services.open_round(
                org=self.org("county_a"),
                title="2026年冬季留守儿童排查",
                due=DUE,
                due_upward=UPWARD,
                by=self.county_officer,
                **kwargs,  # type: ignore[arg-type]
            )

    def unit(self, round_: Round, key: str) -> RoundUnit:
        return round_.units.get(org=self.org(key))

    def submit(self, round_: Round, key: str, by: str, day: date = OPENED) -> Submission:
        with time_machine.travel(at(day), tick=False):
            return services.submit(unit=self.unit(round_, key), by=self.world.users[by])


class OpeningTests(RoundTestCase):
    def test_county_round_names_every_school_and_village_and_the_townships_between(self):
        round_ = self.open_round()
        units = {u.org.code: (u.level, u.due) for u in round_.units.select_related("org")}
        self.assertEqual(
            units,
            {
                self.org("school_a").code: (Level.UNIT, DUE),
                self.org("school_b").code: (Level.UNIT, DUE),
                self.org("village_a1").code: (Level.UNIT, DUE),
                self.org("township_a1").code: (Level.REGION, UPWARD),
                self.org("township_a2").code: (Level.REGION, UPWARD),
            },
        )

    def test_chosen_units_only_and_their_township(self):
        round_ = self.open_round(units=[self.org("school_b")])
        self.assertEqual(
            sorted(round_.units.values_list("org__code", flat=True)),
            sorted([self.org("school_b").code, self.org("township_a2").code]),
        )

    def test_a_school_of_another_county_is_refused(self):
        with self.assertRaises(ValidationError):
            self.open_round(units=[self.org("school_c")])

    def test_a_school_admin_cannot_open_a_round(self):
        with time_machine.travel(at(OPENED), tick=False), self.assertRaises(ValidationError):
            services.open_round(org=self.org("county_a"), title="x", due=DUE, by=self.school_admin)


class SnapshotTests(RoundTestCase):
    def test_snapshot_never_changes_when_live_data_does(self):
        round_ = self.open_round()
        submission = self.submit(round_, "school_a", "school_admin")
        frozen = (submission.figures, submission.children, submission.ledger_sha256)
        self.assertEqual(submission.figures["left_behind_total"], 3)
        self.assertEqual(len(submission.children), 3)
        with submission.ledger.open("rb") as f:
            stored = f.read()
        self.assertEqual(hashlib.sha256(stored).hexdigest(), submission.ledger_sha256)
        # The register moves on: a new child, another whose mother came home.
        with time_machine.travel(at(date(2026, 12, 3)), tick=False):
            make_child(school_class=self.org("class_a1"), name="新来的", on=date(2026, 12, 3))
            Child.objects.filter(pk=self.a_children[0].pk).update(
                left_behind_type=LeftBehindType.FATHER_AWAY
            )
            live, _paired, _children = services.preview(self.org("school_a"), date(2026, 12, 3))
        self.assertEqual(live["left_behind_total"], 4)
        submission = Submission.objects.get(pk=submission.pk)
        self.assertEqual(
            (submission.figures, submission.children, submission.ledger_sha256), frozen
        )
        # The stored ledger file, read again from the storage, is still the one submitted: its
        # bytes hash to the frozen SHA-256 and still name the children as they were.
        with submission.ledger.open("rb") as f:
            again = f.read()
        self.assertEqual(hashlib.sha256(again).hexdigest(), frozen[2])
        self.assertEqual(again, stored)
        ledger = openpyxl.load_workbook(BytesIO(again))
        names = {c.value for sheet in ledger.worksheets for row in sheet.iter_rows() for c in row}
        self.assertIn("王小明", names)
        self.assertNotIn("新来的", names)
        report = selectors.report_whole(round_)
        self.assertEqual(report.figures["left_behind_total"], 3)

    def test_the_orm_refuses_to_change_a_snapshot_and_lets_the_review_through(self):
        round_ = self.open_round()
        submission = self.submit(round_, "school_a", "school_admin")
        stored = Submission.objects.filter(pk=submission.pk)
        for change in (
            {"figures": {"left_behind_total": 99}},
            {"children": []},
            {"paired": 7},
            {"ledger_sha256": "0" * 64},
            {"ledger": "rounds/other.xlsx"},
            {"version": 9},
            {"submitted_at": at(date(2026, 12, 9))},
            {"on": date(2026, 12, 9)},
            {"unit_id": self.unit(round_, "school_b").pk},
        ):
            with self.subTest(change=change):
                with self.assertRaises(FrozenSnapshot):
                    stored.update(**change)
                # (bulk_update's own atomic block, savepoint-less, is undone with this one.)
                with self.assertRaises(FrozenSnapshot), transaction.atomic():
                    Submission.objects.bulk_update(
                        [Submission(pk=submission.pk, **change)], list(change)
                    )
                found = stored.get()
                for name, value in change.items():
                    setattr(found, name, value)
                with self.assertRaises(FrozenSnapshot):
                    found.save()
                with self.assertRaises(FrozenSnapshot):
                    found.save(update_fields=[name.removesuffix("_id") for name in change])
        # A save naming no fields writes every column: refused even with nothing changed.
        with self.assertRaises(FrozenSnapshot):
            stored.get().save()
        # The review is what the level above writes afterwards.
        stored.update(return_comment="核对")
        found = stored.get()
        found.returned_by = self.township_officer
        found.save(update_fields=["returned_by"])
        found = stored.get()
        self.assertEqual(
            (found.figures, found.children, found.paired, found.ledger_sha256, found.version),
            (
                submission.figures,
                submission.children,
                submission.paired,
                submission.ledger_sha256,
                1,
            ),
        )
        self.assertEqual((found.return_comment, found.returned_by), ("核对", self.township_officer))

    def test_the_database_refuses_a_raw_update_of_the_snapshot(self):
        round_ = self.open_round()
        submission = self.submit(round_, "school_a", "school_admin")
        table = Submission._meta.db_table
        for column, value in (
            ("figures", '{"left_behind_total": 99}'),
            ("children", "[]"),
            ("paired", 7),
            ("ledger", "rounds/other.xlsx"),
            ("ledger_sha256", "0" * 64),
            ("version", 9),
            ('"on"', "2026-12-09"),
        ):
            sql = f"UPDATE {table} SET {column} = %s WHERE id = %s"  # noqa: S608  (fixed names)
            with (
                self.subTest(column=column),
                self.assertRaises(DatabaseError),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, [value, submission.pk])
        found = Submission.objects.get(pk=submission.pk)
        self.assertEqual(
            (found.figures, found.children, found.paired, found.ledger, found.ledger_sha256),
            (
                submission.figures,
                submission.children,
                submission.paired,
                submission.ledger,
                submission.ledger_sha256,
            ),
        )
        self.assertEqual((found.version, found.on), (1, OPENED))
        # The review's columns stay writable, and a write of a frozen column to its own value
        # is no change.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET return_comment = %s, version = version WHERE id = %s",  # noqa: S608
                ["核对", submission.pk],
            )
        self.assertEqual(Submission.objects.get(pk=submission.pk).return_comment, "核对")

    def test_sums_equal_the_submitted_units_own_frozen_figures(self):
        round_ = self.open_round()
        subs = [
            self.submit(round_, "school_a", "school_admin"),
            self.submit(round_, "school_b", "county_officer"),
        ]
        figures = selectors.report_whole(round_).figures
        for key in ("left_behind_total", "students_total", "boarding"):
            self.assertEqual(figures[key], sum(s.figures[key] for s in subs), key)
        for group in ("by_type", "by_gender", "by_risk_grade", "students_by_stage"):
            for key in subs[0].figures[group]:
                self.assertEqual(
                    figures[group][key], sum(s.figures[group][key] for s in subs), (group, key)
                )
        self.assertEqual(figures["left_behind_total"], 5)
        self.assertEqual(figures["students_total"], 150)
        self.assertEqual(figures["left_behind_ratio"], round(5 / 150, 4))
        self.assertEqual(figures["units"], 2)


class LateAndMissingTests(RoundTestCase):
    def test_late_and_missing_units_exactly(self):
        round_ = self.open_round()
        self.submit(round_, "school_a", "school_admin", date(2026, 12, 9))
        self.submit(round_, "school_b", "county_officer", date(2026, 12, 11))
        with time_machine.travel(at(date(2026, 12, 12)), tick=False):
            data = selectors.report_whole(round_).as_json()
        status = {u["org"]: u["status"] for u in data["units"]}
        a, b, v = (self.org(k).code for k in ("school_a", "school_b", "village_a1"))
        t1, t2 = self.org("township_a1").code, self.org("township_a2").code
        self.assertEqual(
            status,
            {a: "submitted", b: "submitted_late", v: "missing", t1: "missing", t2: "missing"},
        )
        self.assertEqual(sorted(data["submitted"]), sorted([a, b]))
        # The townships' deadline (12-15) has not passed: not late yet.
        self.assertEqual(sorted(data["late"]), sorted([b, v]))
        self.assertEqual(sorted(data["missing"]), sorted([v, t1, t2]))
        with time_machine.travel(at(date(2026, 12, 16)), tick=False):
            data = selectors.report_whole(round_).as_json()
        self.assertEqual(sorted(data["late"]), sorted([b, v, t1, t2]))

    def test_a_late_unit_is_reminded_once(self):
        round_ = self.open_round()
        self.submit(round_, "school_a", "school_admin", date(2026, 12, 9))
        with time_machine.travel(at(date(2026, 12, 11)), tick=False):
            self.assertEqual(services.remind_late(date(2026, 12, 11)), 2)  # school B, village
            self.assertEqual(services.remind_late(date(2026, 12, 11)), 0)
        with time_machine.travel(at(date(2026, 12, 12)), tick=False):
            self.assertEqual(services.remind_late(date(2026, 12, 12)), 0)
        # The village's child director of the late village, once; never the on-time school A.
        director = Notification.objects.filter(user=self.village_director)
        self.assertEqual(director.count(), 1)
        self.assertFalse(Notification.objects.filter(user=self.school_admin).exists())
        # The county's officers hear of both late units, each once.
        self.assertEqual(Notification.objects.filter(user=self.county_officer).count(), 2)
        reminded = round_.units.filter(reminded_at__isnull=False)
        self.assertEqual(
            sorted(reminded.values_list("org__code", flat=True)),
            sorted([self.org("school_b").code, self.org("village_a1").code]),
        )


class ReviewTests(RoundTestCase):
    def test_return_and_resubmit_keep_both_versions(self):
        round_ = self.open_round()
        first = self.submit(round_, "school_a", "school_admin")
        with time_machine.travel(at(date(2026, 12, 2)), tick=False):
            # The school cannot return its own report; the township above can.
            with self.assertRaises(ValidationError):
                services.return_submission(
                    submission=first, comment="自己退回", by=self.school_admin
                )
            services.return_submission(
                submission=first, comment="三年级人数与花名册不符", by=self.township_officer
            )
        unit = self.unit(round_, "school_a")
        self.assertEqual(selectors.status_of(unit), "returned")
        second = self.submit(round_, "school_a", "school_admin", date(2026, 12, 3))
        self.assertEqual(second.version, 2)
        versions = list(unit.submissions.order_by("version"))
        self.assertEqual([s.version for s in versions], [1, 2])
        self.assertEqual(versions[0].return_comment, "三年级人数与花名册不符")
        self.assertIsNone(versions[1].returned_at)
        self.assertEqual(selectors.status_of(self.unit(round_, "school_a")), "submitted")
        # The school's leaders heard of the return.
        self.assertTrue(Notification.objects.filter(user=self.school_admin).exists())

    def test_a_submitted_report_is_not_submitted_again_until_returned(self):
        round_ = self.open_round()
        self.submit(round_, "school_a", "school_admin")
        with self.assertRaises(ValidationError):
            self.submit(round_, "school_a", "school_admin")

    def test_township_cannot_submit_before_its_units(self):
        round_ = self.open_round()
        self.submit(round_, "school_a", "school_admin")
        with self.assertRaises(ValidationError) as refused:
            self.submit(round_, "township_a1", "township_officer")
        self.assertIn("东村", " ".join(refused.exception.messages))
        village = self.submit(round_, "village_a1", "village_director")
        township = self.submit(round_, "township_a1", "township_officer")
        school = self.unit(round_, "school_a").submissions.get()
        # The village counts the three children who live there, whom school A counts too: its
        # share of the township's sum is its children in no school (none), so the sum is the
        # township's own count, each child once.
        self.assertEqual(village.figures["left_behind_total"], 3)
        self.assertEqual(village.figures["as_place"]["left_behind_total"], 0)
        self.assertEqual(school.figures["left_behind_total"], 3)
        self.assertEqual(township.figures["left_behind_total"], 3)
        with time_machine.travel(at(OPENED), tick=False):
            live = stats.figures(org=self.org("township_a1"), on=OPENED, with_units=False)
        self.assertEqual(township.figures["left_behind_total"], live.left_behind_total)
        self.assertEqual(township.figures["care_person_times"], live_flows(self.org("township_a1")))
        # Reported upward: its units' reports are returned only after its own.
        with self.assertRaises(ValidationError):
            services.return_submission(submission=school, comment="重报", by=self.county_officer)


class CompareTests(RoundTestCase):
    def test_two_rounds_compare_added_left_and_changed_type(self):
        first = self.open_round(units=[self.org("school_a")])
        self.submit(first, "school_a", "school_admin")
        with time_machine.travel(at(date(2026, 12, 2)), tick=False):
            newcomer = make_child(
                school_class=self.org("class_a1"), name="新来的", on=date(2026, 12, 2)
            )
            gone = self.a_children[1]
            gone.parents.filter(relation="mother").update(status=ParentStatus.AT_HOME)
            gone.parents.filter(relation="father").update(status=ParentStatus.AT_HOME)
            Child.objects.filter(pk=gone.pk).update(left_behind_type=LeftBehindType.NOT_LEFT_BEHIND)
            Child.objects.filter(pk=self.a_children[0].pk).update(
                left_behind_type=LeftBehindType.FATHER_AWAY
            )
        second = self.open_round(units=[self.org("school_a")])
        self.submit(second, "school_a", "school_admin", date(2026, 12, 2))
        result = selectors.compare(selectors.report_whole(first), selectors.report_whole(second))
        self.assertEqual([c["id"] for c in result.added], [newcomer.pk])
        self.assertEqual([c["id"] for c in result.left], [gone.pk])
        self.assertEqual(
            result.changed,
            [
                {
                    "id": self.a_children[0].pk,
                    "name": "王小明",
                    "was": LeftBehindType.BOTH_PARENTS_AWAY,
                    "now": LeftBehindType.FATHER_AWAY,
                }
            ],
        )


class ScopeTests(RoundTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.round = self.open_round()

    def test_teacher_volunteer_and_counselor_see_no_round(self):
        for persona in ("teacher", "volunteer", "counselor"):
            client = self.client_as(persona)
            with self.subTest(persona=persona):
                self.assertEqual(client.get(reverse("oversight:index")).status_code, 404)
                url = reverse("oversight:detail", args=[self.round.pk])
                self.assertEqual(client.get(url).status_code, 404)

    def test_school_admin_of_school_a_sees_and_submits_only_school_a(self):
        client = self.client_as("school_admin")
        page = client.get(reverse("oversight:detail", args=[self.round.pk]))
        self.assertEqual(page.status_code, 200)
        self.assertEqual(
            [row.unit.org.code for row, _s, _r in page.context["rows"]],
            [self.org("school_a").code],
        )
        b = self.unit(self.round, "school_b")
        self.assertEqual(client.get(reverse("oversight:unit", args=[b.pk])).status_code, 404)
        with time_machine.travel(at(date(2026, 12, 2)), tick=False):
            response = client.post(
                reverse("oversight:unit", args=[b.pk]), {"version": services.unit_version(b)}
            )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Submission.objects.exists())

    def test_school_submits_on_its_page_and_a_stale_form_is_refused(self):
        a = self.unit(self.round, "school_a")
        client = self.client_as("school_admin")
        url = reverse("oversight:unit", args=[a.pk])
        with time_machine.travel(at(date(2026, 12, 2)), tick=False):
            page = client.get(url)
            self.assertEqual(page.status_code, 200)
            self.assertTrue(page.context["figures"])  # the preview of what is submitted
            opened = services.unit_version(a)
            self.assertRedirects(client.post(url, {"version": opened}), url)
            self.submit(self.round, "school_b", "county_officer", date(2026, 12, 2))
            services.return_submission(
                submission=a.submissions.get(), comment="重报", by=self.township_officer
            )
            # The page opened before the return is stale: nothing is submitted from it.
            stale = client.post(url, {"version": opened})
        self.assertEqual(stale.status_code, 200)
        self.assertEqual(a.submissions.count(), 1)

    def test_out_of_scope_return_is_404_and_changes_nothing(self):
        submission = self.submit(self.round, "school_b", "county_officer")
        url = reverse("oversight:return", args=[submission.pk])
        for persona in ("school_admin", "township_officer", "village_director", "teacher"):
            with self.subTest(persona=persona):
                response = self.client_as(persona).post(
                    url, {"comment": "x", "version": services.submission_version(submission)}
                )
                self.assertEqual(response.status_code, 404)
        submission.refresh_from_db()
        self.assertIsNone(submission.returned_at)

    def test_county_sees_all_units_and_the_ledger_file(self):
        submission = self.submit(self.round, "school_a", "school_admin")
        client = self.client_as("county_officer")
        page = client.get(reverse("oversight:detail", args=[self.round.pk]))
        self.assertEqual(len(page.context["rows"]), 5)
        ledger = client.get(reverse("oversight:ledger", args=[submission.pk]))
        self.assertEqual(ledger.status_code, 200)
        body = b"".join(ledger.streaming_content)
        self.assertEqual(hashlib.sha256(body).hexdigest(), submission.ledger_sha256)
        self.assertEqual(
            self.client_as("teacher_b")
            .get(reverse("oversight:ledger", args=[submission.pk]))
            .status_code,
            404,
        )


class CommandTests(RoundTestCase):
    def run_command(self, *args: str) -> str:
        out = StringIO()
        call_command("round", *args, stdout=out, stderr=StringIO())
        return out.getvalue()

    def test_open_submit_show(self):
        county, school = self.org("county_a").code, self.org("school_a").code
        with time_machine.travel(at(OPENED), tick=False):
            pk = int(
                self.run_command(
                    "open", "--org", county, "--title", "冬季排查", "--due", DUE.isoformat()
                )
            )
            submitted = json.loads(
                self.run_command(
                    "submit", str(pk), "--org", school, "--by", "school_admin", "--json"
                )
            )
        self.assertEqual(submitted["version"], 1)
        self.assertEqual(submitted["left_behind_total"], 3)
        with time_machine.travel(at(date(2026, 12, 11)), tick=False):
            shown = json.loads(self.run_command("show", str(pk), "--json"))
        self.assertEqual(
            set(shown),
            {
                "id",
                "title",
                "org",
                "due",
                "due_upward",
                "units",
                "submitted",
                "late",
                "missing",
                "figures",
            },
        )
        self.assertEqual(shown["id"], pk)
        self.assertEqual(shown["org"], county)
        self.assertEqual(shown["due"], "2026-12-10")
        self.assertEqual(shown["submitted"], [school])
        unit = next(u for u in shown["units"] if u["org"] == school)
        self.assertEqual(set(unit), {"org", "name", "level", "due", "status", "submitted_at"})
        self.assertEqual(unit["status"], "submitted")
        self.assertEqual(shown["figures"]["left_behind_total"], 3)
        self.assertIn(self.org("school_b").code, shown["late"])

    def test_a_township_officer_opens_a_round_for_its_own_units_and_json_says_so(self):
        township = self.org("township_a1").code
        args = ["open", "--org", township, "--title", "东镇排查", "--due", DUE.isoformat()]
        with time_machine.travel(at(OPENED), tick=False):
            opened = json.loads(self.run_command(*args, "--by", "township_officer", "--json"))
            # Not over the county above it, nor over the neighbouring township: bad input.
            for org in ("county_a", "township_a2"):
                with self.subTest(org=org), self.assertRaises(CommandError) as refused:
                    self.run_command(
                        "open", "--org", self.org(org).code, "--title", "x",
                        "--due", DUE.isoformat(), "--by", "township_officer",
                    )  # fmt: skip
                self.assertEqual(refused.exception.returncode, 1)
        self.assertEqual(set(opened), {"id", "title", "units"})
        self.assertEqual((opened["title"], opened["units"]), ("东镇排查", 2))
        round_ = Round.objects.get(pk=opened["id"])
        self.assertEqual(
            (round_.org, round_.opened_by), (self.org("township_a1"), self.township_officer)
        )
        # Its school and its village report; no region lies between them and the township.
        self.assertEqual(
            {(u.org.code, u.level, u.due) for u in round_.units.select_related("org")},
            {
                (self.org("school_a").code, Level.UNIT, DUE),
                (self.org("village_a1").code, Level.UNIT, DUE),
            },
        )
        self.assertEqual(Round.objects.count(), 1)

    def test_the_level_above_returns_by_command_and_the_unit_submits_again(self):
        round_ = self.open_round()
        school = self.org("school_a").code
        first = self.submit(round_, "school_a", "school_admin")
        args = ["return", str(round_.pk), "--org", school, "--comment", "人数不符"]
        with time_machine.travel(at(date(2026, 12, 2)), tick=False):
            # The school itself may not return its own report: bad input, nothing changed.
            with self.assertRaises(CommandError) as refused:
                self.run_command(*args, "--by", "school_admin")
            self.assertEqual(refused.exception.returncode, 1)
            first.refresh_from_db()
            self.assertIsNone(first.returned_at)
            returned = json.loads(self.run_command(*args, "--by", "township_officer", "--json"))
            self.assertEqual(
                set(returned), {"id", "round", "org", "version", "returned_at", "return_comment"}
            )
            self.assertEqual(
                (returned["id"], returned["org"], returned["version"], returned["return_comment"]),
                (first.pk, school, 1, "人数不符"),
            )
            # Returned once: a second return is bad input.
            with self.assertRaises(CommandError) as again:
                self.run_command(*args, "--by", "county_officer")
            self.assertEqual(again.exception.returncode, 1)
        first.refresh_from_db()
        self.assertEqual(first.returned_by, self.township_officer)
        self.assertEqual(selectors.status_of(self.unit(round_, "school_a")), "returned")
        second = self.submit(round_, "school_a", "school_admin", date(2026, 12, 3))
        self.assertEqual(second.version, 2)
        # A unit that has not submitted has nothing to return.
        with time_machine.travel(at(date(2026, 12, 3)), tick=False):
            village = self.org("village_a1").code
            with self.assertRaises(CommandError) as nothing:
                self.run_command(
                    *args[:2], "--org", village, "--by", "county_officer", "--comment", "x"
                )
            self.assertEqual(nothing.exception.returncode, 1)

    def test_bad_input_is_exit_1(self):
        county = self.org("county_a").code
        with time_machine.travel(at(OPENED), tick=False):
            for args in (
                ["open", "--org", "999", "--title", "x", "--due", "2026-12-10"],
                ["open", "--org", county, "--title", "x", "--due", "12/10"],
                ["open", "--org", county, "--title", "x", "--due", "2026-11-01"],
                ["open", "--org", self.org("school_a").code, "--title", "x", "--due", "2026-12-10"],
                ["submit", "999", "--org", county, "--by", "school_admin"],
                ["show", "999"],
            ):
                with self.subTest(args=args), self.assertRaises(CommandError) as failed:
                    self.run_command(*args)
                self.assertEqual(failed.exception.returncode, 1)
            pk = self.run_command("open", "--org", county, "--title", "x", "--due", "2026-12-10")
            # A user outside the unit, and a unit that does not report: bad input.
            for args in (
                ["submit", pk.strip(), "--org", self.org("school_b").code, "--by", "school_admin"],
                ["submit", pk.strip(), "--org", self.org("school_c").code, "--by", "sysadmin"],
                ["submit", pk.strip(), "--org", county, "--by", "nobody"],
            ):
                with self.subTest(args=args), self.assertRaises(CommandError) as failed:
                    self.run_command(*args)
                self.assertEqual(failed.exception.returncode, 1)


class PageTests(RoundTestCase):
    def test_county_opens_a_round_on_its_page_and_compares_two(self):
        client = self.client_as("county_officer")
        url = reverse("oversight:open", args=[self.org("county_a").code])
        with time_machine.travel(at(OPENED), tick=False):
            response = client.post(
                url,
                {"title": "冬季排查", "due": "2026-12-10", "units": [self.org("school_a").pk]},
            )
        self.assertRedirects(response, reverse("oversight:index"))
        first = Round.objects.get(title="冬季排查")
        self.assertEqual(first.opened_by, self.county_officer)
        self.assertEqual(first.units.count(), 2)  # school A and its township
        self.submit(first, "school_a", "school_admin")
        second = self.open_round(units=[self.org("school_a")])
        with time_machine.travel(at(date(2026, 12, 2)), tick=False):
            make_child(school_class=self.org("class_a1"), name="新来的", on=date(2026, 12, 2))
        self.submit(second, "school_a", "school_admin", date(2026, 12, 2))
        page = client.get(reverse("oversight:detail", args=[second.pk]), {"compare": first.pk})
        self.assertEqual(page.status_code, 200)
        self.assertEqual([c["name"] for c in page.context["comparison"].added], ["新来的"])
        self.assertContains(page, "新来的")
        # A round the reader does not see cannot be compared with: 404.
        hidden = self.client_as("school_admin").get(
            reverse("oversight:detail", args=[second.pk]), {"compare": 99999}
        )
        self.assertEqual(hidden.status_code, 404)

    def test_a_school_admin_may_not_open_a_round_page(self):
        url = reverse("oversight:open", args=[self.org("county_a").code])
        self.assertEqual(self.client_as("school_admin").get(url).status_code, 404)


class WorkerTests(RoundTestCase):
    def test_the_worker_runs_the_reminder_hourly(self):
        schedule = Schedule.objects.get(func="shouwang.oversight.tasks.remind_late_units")
        self.assertEqual(schedule.repeats, -1)
        self.open_round()
        with time_machine.travel(at(date(2026, 12, 11)), tick=False):
            self.assertEqual(tasks.remind_late_units(), 3)
            self.assertEqual(tasks.remind_late_units(), 0)


class TownshipPageTests(RoundTestCase):
    def test_township_page_names_units_not_in_then_previews_their_sum(self):
        round_ = self.open_round()
        township = self.unit(round_, "township_a1")
        url = reverse("oversight:unit", args=[township.pk])
        client = self.client_as("township_officer")
        self.submit(round_, "school_a", "school_admin")
        page = client.get(url)
        self.assertEqual([u.org.name for u in page.context["waiting"]], ["东村"])
        self.assertEqual(page.context["figures"], [])
        self.submit(round_, "village_a1", "village_director")
        page = client.get(url)
        self.assertEqual(page.context["waiting"], [])
        self.assertTrue(page.context["figures"])


class QueryCountTests(RoundTestCase):
    def queries_for_detail(self, round_: Round) -> int:
        client = self.client_as("county_officer")
        url = reverse("oversight:detail", args=[round_.pk])
        client.get(url)  # sessions and caches warm
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(client.get(url).status_code, 200)
        return len(queries)

    def test_a_round_page_does_not_grow_with_its_units(self):
        small = self.open_round(units=[self.org("school_a")])
        self.submit(small, "school_a", "school_admin")
        for n in range(3):
            org_services.add_org(
                code=f"11010100100{n + 2}",
                name=f"新村{n}",
                kind="village",
                parent=self.org("township_a1"),
                by=None,
            )
        large = self.open_round()
        self.submit(large, "school_a", "school_admin")
        self.submit(large, "school_b", "county_officer")
        self.assertEqual(self.queries_for_detail(large), self.queries_for_detail(small))
