"""Activities, interest groups, training and commendations: 人次 and 人 come from attendance,
guardians trained are people, each persona sees and changes what the gate gives them, and the
period figures read what was recorded."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import time_machine
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shouwang.activities import selectors, services
from shouwang.activities.models import Activity, Attendance, AttendeeKind, Photo
from shouwang.audit.models import AuditEntry
from shouwang.children.sections import sections_for
from tests.children.factories import make_child
from tests.personas import PersonaTestCase, TempMediaTestCase
from tests.web.matrix_parts.activities import JPEG

TODAY = date(2026, 11, 24)


@time_machine.travel(TODAY, tick=False)
class ActivityTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a1 = make_child(
            school_class=orgs["class_a1"], name="甲一", home_village=orgs["village_a1"]
        )
        cls.a1b = make_child(school_class=orgs["class_a1"], name="甲二", male=False)
        cls.a2 = make_child(school_class=orgs["class_a2"], name="甲三")
        cls.b1 = make_child(school_class=orgs["class_b1"], name="乙一")
        users = cls.world.users
        with time_machine.travel(TODAY, tick=False):
            cls.activity = services.plan_activity(
                unit=orgs["school_a"],
                kind="reading",
                title="读书分享会",
                starts_on=date(2026, 11, 10),
                in_charge=[users["teacher"]],
                volunteers=[users["volunteer"]],
                budget=Decimal("300.00"),
                by=users["school_admin"],
            )
            cls.first = cls.activity.sessions.get()
            cls.second = services.add_session(
                activity=cls.activity, on=date(2026, 11, 17), by=users["teacher"]
            )
            cls.other = services.plan_activity(
                unit=orgs["school_a"],
                kind="law_lecture",
                title="法制讲座",
                starts_on=date(2026, 11, 12),
                in_charge=[users["school_admin"]],
                by=users["school_admin"],
            )

    def take(self, session, group_key, children, persona="teacher"):
        group = self.org(group_key)
        return services.take_attendance(
            session=session,
            group=group,
            present=children,
            by=self.world.users[persona],
            version=services.attendance_version(session, group),
        )

    # --- 人次 and 人 ------------------------------------------------------------------------

    def test_a_child_at_two_sessions_counts_two_person_times_and_one_child(self):
        self.take(self.first, "class_a1", [self.a1, self.a1b])
        self.take(self.second, "class_a1", [self.a1])
        counts = selectors.counts_of(self.activity.sessions.all())
        self.assertEqual(counts["person_times"], 3)
        self.assertEqual(counts["children"], 2)

    def test_unticking_a_child_strikes_the_row_and_the_count_follows(self):
        self.take(self.first, "class_a1", [self.a1, self.a1b])
        self.take(self.first, "class_a1", [self.a1])
        self.assertEqual(selectors.counts_of([self.first])["person_times"], 1)
        struck = Attendance.objects.get(child=self.a1b)
        self.assertIsNotNone(struck.voided_at)  # kept, not deleted

    def test_a_childs_row_is_not_struck_out_by_the_void_button(self):
        """A teacher of class a1 in charge of a school activity cannot strike out a class-a2
        child's row by sending its number: children leave a list by being unticked."""
        self.take(self.first, "class_a2", [self.a2], persona="school_admin")
        row = Attendance.objects.get(child=self.a2)
        with time_machine.travel(TODAY, tick=False):
            response = self.client_as("teacher").post(
                reverse("activities:attendance", args=[self.first.pk]),
                {"action": "void", "row": row.pk, "reason": "x"},
            )
        self.assertEqual(response.status_code, 404)
        row.refresh_from_db()
        self.assertIsNone(row.voided_at)

    def test_thirty_two_cadres_visiting_twenty_eight_children_seed_000(self):
        visit = services.plan_activity(
            unit=self.org("county_a"),
            kind="visit",
            title="局领导和中层干部看望留守儿童",
            starts_on=date(2026, 11, 20),
            in_charge=[self.county_officer],
            by=self.county_officer,
        )
        session = visit.sessions.get()
        kids = [
            make_child(
                school_class=self.org("class_a2"), name=f"儿童{i}", birth=date(2015, 1, 1 + i)
            )
            for i in range(28)
        ]
        self.take(session, "class_a2", kids, persona="county_officer")
        services.add_adults(
            session=session, kind=AttendeeKind.CADRE, count=32, by=self.county_officer
        )
        figures = selectors.period_figures(
            org=self.org("county_a"), start=date(2026, 11, 1), end=date(2026, 11, 30)
        )
        self.assertEqual(figures["activities"]["children_reached"], 28)
        self.assertEqual(figures["activities"]["person_times"], 60)
        cadres = Attendance.objects.get(kind=AttendeeKind.CADRE)
        self.assertEqual((cadres.name, cadres.count), ("", 32))

    def test_a_named_adult_is_one_person(self):
        with self.assertRaises(ValidationError):
            services.add_adults(
                session=self.first, kind="volunteer", name="李阿姨", count=3, by=self.teacher
            )

    def test_attendance_is_not_taken_before_the_session(self):
        later = services.add_session(activity=self.activity, on=date(2026, 12, 5), by=None)
        with self.assertRaises(ValidationError):
            self.take(later, "class_a1", [self.a1])

    def test_a_stale_class_list_is_refused(self):
        group = self.org("class_a1")
        opened = services.attendance_version(self.first, group)
        self.take(self.first, "class_a1", [self.a1])  # someone else saved meanwhile
        with self.assertRaises(ValidationError):
            services.take_attendance(
                session=self.first, group=group, present=[self.a1b], by=self.teacher, version=opened
            )
        self.assertEqual(
            list(Attendance.objects.filter(voided_at__isnull=True).values_list("child", flat=True)),
            [self.a1.pk],
        )

    def test_a_stale_edit_form_is_refused(self):
        opened = services.activity_version(self.activity)
        services.change_activity(
            activity=self.activity,
            by=self.school_admin,
            version=opened,
            outcome="孩子们分享了各自喜欢的书",
        )
        with self.assertRaises(ValidationError):
            services.change_activity(
                activity=self.activity, by=self.teacher, version=opened, title="改名"
            )
        self.activity.refresh_from_db()
        self.assertEqual(self.activity.title, "读书分享会")

    def test_writes_are_audited(self):
        before = AuditEntry.objects.count()
        self.take(self.first, "class_a1", [self.a1])
        entry = AuditEntry.objects.order_by("-pk").first()
        self.assertEqual(AuditEntry.objects.count(), before + 1)
        self.assertEqual(entry.object_type, "activities.session")
        self.assertEqual(entry.changes["added"], [self.a1.pk])

    # --- pages and scope ---------------------------------------------------------------------

    def test_teacher_takes_attendance_from_her_class_list_on_the_page(self):
        client = self.client_as("teacher")
        url = reverse("activities:attendance", args=[self.first.pk])
        page = client.get(url, {"group": self.org("class_a1").pk})
        self.assertContains(page, "甲一")
        self.assertNotContains(page, "甲三")  # class a2 is not hers
        response = client.post(
            url,
            {
                "action": "children",
                "group": self.org("class_a1").pk,
                "version": page.context["version"],
                "present": [self.a1.pk, self.a1b.pk],
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(client.get(url).context["counts"]["person_times"], 2)

    def test_teacher_cannot_open_another_class_list(self):
        url = reverse("activities:attendance", args=[self.first.pk])
        page = self.client_as("teacher").get(url, {"group": self.org("class_a2").pk})
        self.assertEqual(page.status_code, 404)

    def test_teacher_b_cannot_take_attendance_for_class_a1_children(self):
        before = Attendance.objects.count()
        url = reverse("activities:attendance", args=[self.first.pk])
        client = self.client_as("teacher_b")
        self.assertEqual(client.get(url).status_code, 404)
        response = client.post(
            url,
            {"action": "children", "group": self.org("class_a1").pk, "present": [self.a1.pk]},
        )
        self.assertEqual(response.status_code, 404)
        # Not through her own school's activity either: class a1 is not among its lists.
        own = services.plan_activity(
            unit=self.org("school_b"),
            kind="reading",
            title="乙校读书",
            starts_on=date(2026, 11, 10),
            in_charge=[self.teacher_b],
            by=self.teacher_b,
        )
        response = client.post(
            reverse("activities:attendance", args=[own.sessions.get().pk]),
            {"action": "children", "group": self.org("class_a1").pk, "present": [self.a1.pk]},
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(Attendance.objects.count(), before)

    def test_volunteer_sees_only_the_activities_they_joined_and_no_budget(self):
        seen = set(selectors.activities_visible_to(self.volunteer))
        self.assertEqual(seen, {self.activity})
        page = self.client_as("volunteer").get(
            reverse("activities:detail", args=[self.activity.pk])
        )
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "300")
        self.assertNotContains(page, 'data-testid="budget"')
        other = self.client_as("volunteer").get(reverse("activities:detail", args=[self.other.pk]))
        self.assertEqual(other.status_code, 404)

    def test_school_admin_sees_the_budget_and_a_teacher_does_not(self):
        url = reverse("activities:detail", args=[self.activity.pk])
        self.assertContains(self.client_as("school_admin").get(url), "300.00")
        self.assertNotContains(self.client_as("teacher").get(url), 'data-testid="budget"')

    def test_out_of_scope_is_404_and_changes_nothing(self):
        ours = AuditEntry.objects.filter(object_type__startswith="activities.")
        before = ours.count(), self.activity.outcome
        for persona in ("teacher_b", "village_director"):
            client = self.client_as(persona)
            url = reverse("activities:edit", args=[self.activity.pk])
            self.assertEqual(client.get(url).status_code, 404)
            self.assertEqual(client.post(url, {"title": "x"}).status_code, 404)
        self.activity.refresh_from_db()
        self.assertEqual((ours.count(), self.activity.outcome), before)

    def test_volunteer_in_no_charge_cannot_change_the_activity(self):
        url = reverse("activities:edit", args=[self.activity.pk])
        self.assertEqual(self.client_as("volunteer").get(url).status_code, 404)
        self.assertEqual(self.client_as("teacher").get(url).status_code, 200)

    def test_the_child_page_lists_what_the_child_joined(self):
        self.take(self.first, "class_a1", [self.a1])
        parts = dict(sections_for(self.teacher, self.a1))
        part = parts["activities/child_section.html"]
        self.assertEqual(part["sessions"], 1)
        self.assertEqual(part["attended"][0].session.activity, self.activity)
        self.assertNotIn(
            "activities/child_section.html", dict(sections_for(self.volunteer, self.a1))
        )


@time_machine.travel(TODAY, tick=False)
class GroupsTrainingCommendationTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.kids = [
            make_child(school_class=orgs["class_a1"], name=f"学生{i}", birth=date(2016, 2, 1 + i))
            for i in range(4)
        ]

    def test_children_in_at_least_one_group(self):
        admin = self.school_admin
        chess = services.add_group(
            unit=self.org("school_a"), name="象棋", started_on=date(2026, 9, 1), by=admin
        )
        art = services.add_group(
            unit=self.org("school_a"), name="美术", started_on=date(2026, 9, 1), by=admin
        )
        for kid in self.kids[:2]:
            services.join_group(group=chess, child=kid, on=date(2026, 9, 5), by=admin)
        services.join_group(group=art, child=self.kids[0], on=date(2026, 9, 5), by=admin)
        gone = services.join_group(group=art, child=self.kids[2], on=date(2026, 9, 5), by=admin)
        services.leave_group(membership=gone, on=date(2026, 9, 30), by=admin)
        november = selectors.period_figures(
            org=self.org("school_a"), start=date(2026, 11, 1), end=date(2026, 11, 30)
        )
        self.assertEqual(november["interest_groups"]["children"], 2)
        september = selectors.period_figures(
            org=self.org("school_a"), start=date(2026, 9, 1), end=date(2026, 9, 30)
        )
        self.assertEqual(september["interest_groups"]["children"], 3)

    def test_guardians_trained_are_counted_once_each(self):
        admin = self.school_admin
        guardians = [kid.guardian for kid in self.kids[:3]]
        first = services.add_training(
            unit=self.org("school_a"),
            kind="parent_school",
            title="家庭教育",
            on=date(2026, 10, 9),
            by=admin,
        )
        second = services.add_training(
            unit=self.org("school_a"),
            kind="parents_meeting",
            title="家长会",
            on=date(2026, 11, 9),
            by=admin,
        )
        services.add_trainees(session=first, guardians=guardians, by=admin)
        services.add_trainees(
            session=second, guardians=guardians[:2], kind="guardian", names=["王奶奶"], by=admin
        )
        services.add_trainees(session=second, kind="teacher", names=["李老师"], by=admin)
        figures = selectors.period_figures(
            org=self.org("county_a"), start=date(2026, 9, 1), end=date(2026, 11, 30)
        )
        self.assertEqual(figures["guardians_trained"], 4)  # 3 from the archive, 1 by name
        page = self.client_as("school_admin").get(reverse("activities:training"))
        self.assertEqual(page.context["guardians_trained"], 4)

    def test_thirty_five_children_commended_seed_000(self):
        orgs = self.world.orgs
        kids = self.kids + [
            make_child(school_class=orgs["class_a2"], name=f"优秀{i}", birth=date(2015, 3, 1 + i))
            for i in range(31)
        ]
        services.commend(
            unit=orgs["school_a"],
            on=date(2026, 11, 20),
            occasion="关爱留守儿童先进表彰",
            honour="自强之星",
            recipient_kind="child",
            children=kids,
            by=self.school_admin,
        )
        services.commend(
            unit=orgs["school_a"],
            on=date(2026, 11, 20),
            occasion="关爱留守儿童先进表彰",
            honour="优秀代理家长",
            recipient_kind="teacher",
            recipient="测试老师",
            by=self.school_admin,
        )
        figures = selectors.period_figures(
            org=orgs["county_a"], start=date(2026, 11, 1), end=date(2026, 11, 30)
        )
        self.assertEqual(figures["commendations"], {"children": 35, "adults": 1})
        self.assertEqual(
            selectors.period_figures(
                org=orgs["county_b"], start=date(2026, 11, 1), end=date(2026, 11, 30)
            ),
            {
                "activities": {"count": 0, "person_times": 0, "children_reached": 0},
                "commendations": {"children": 0, "adults": 0},
                "guardians_trained": 0,
                "interest_groups": {"children": 0},
            },
        )

    def test_the_groups_page_does_not_grow_with_groups(self):
        admin, client = self.school_admin, self.client_as("school_admin")
        url = reverse("activities:groups")

        def add(name):
            group = services.add_group(
                unit=self.org("school_a"), name=name, started_on=date(2026, 9, 1), by=admin
            )
            services.join_group(group=group, child=self.kids[0], on=date(2026, 9, 2), by=admin)

        add("象棋")
        client.get(url)  # the session and scope warmed up
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        add("美术")
        add("书法")
        with CaptureQueriesContext(connection) as three:
            page = client.get(url)
        self.assertEqual(len(three), len(one))
        self.assertEqual([n for _g, n in page.context["groups"]], [1, 1, 1])

    def test_teacher_sees_commendations_but_may_not_record_one(self):
        self.assertEqual(
            self.client_as("teacher").get(reverse("activities:commendations")).status_code, 200
        )
        self.assertEqual(
            self.client_as("teacher").get(reverse("activities:add_commendation")).status_code, 404
        )
        self.assertEqual(
            self.client_as("volunteer").get(reverse("activities:commendations")).status_code, 404
        )


@time_machine.travel(TODAY, tick=False)
class ActivityApiTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a1 = make_child(school_class=orgs["class_a1"], name="甲一")
        cls.a2 = make_child(school_class=orgs["class_a2"], name="甲三")

    def post(self, persona, body):
        return self.client_as(persona).post(
            "/api/v1/activities/", json.dumps(body), content_type="application/json"
        )

    def body(self, unit="school_a", **extra):
        return {
            "unit": self.org(unit).code,
            "kind": "children_day",
            "title": "六一慰问",
            "starts_on": "2026-06-01",
            "budget": "500.00",
            "attendance": {
                "children": [self.a1.pk],
                "adults": [{"kind": "cadre", "count": 32}, {"kind": "volunteer", "name": "李阿姨"}],
            },
            **extra,
        }

    def test_post_an_activity_with_attendance_counts_person_times(self):
        response = self.post("teacher", self.body("class_a1"))
        self.assertEqual(response.status_code, 201, response.content)
        data = response.json()
        self.assertEqual((data["person_times"], data["children_reached"]), (34, 1))
        self.assertIsNone(data["budget"])  # a teacher sees no money
        self.assertEqual(data["in_charge"], ["teacher"])
        read = self.client_as("school_admin").get(f"/api/v1/activities/{data['id']}/")
        self.assertEqual(read.json()["budget"], None)  # the teacher could not set money
        self.assertTrue(
            AuditEntry.objects.filter(object_type="activities.activity", actor=self.teacher)
        )

    def test_a_child_off_the_callers_lists_is_refused_and_nothing_is_written(self):
        response = self.post(
            "teacher", self.body("class_a1", attendance={"children": [self.a2.pk]})
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Attendance.objects.exists())
        self.assertFalse(Activity.objects.exists())

    def test_out_of_scope_is_404_and_changes_nothing(self):
        self.assertEqual(self.post("teacher_b", self.body()).status_code, 404)
        self.assertEqual(self.post("volunteer", self.body()).status_code, 404)
        self.assertFalse(Attendance.objects.exists())
        made = self.post("school_admin", self.body()).json()
        self.assertEqual(made["budget"], "500.00")
        self.assertEqual(
            self.client_as("teacher_b").get(f"/api/v1/activities/{made['id']}/").status_code, 404
        )
        listed = self.client_as("volunteer").get("/api/v1/activities/").json()
        self.assertEqual(listed["count"], 0)

    def test_the_list_costs_the_same_queries_for_one_activity_or_four(self):
        def listed() -> tuple[int, dict]:
            client = self.client_as("school_admin")
            client.get("/api/v1/activities/")  # the session's first request
            with CaptureQueriesContext(connection) as ctx:
                body = client.get("/api/v1/activities/").json()
            return len(ctx.captured_queries), body

        self.post("school_admin", self.body())
        one, first = listed()
        for _ in range(3):
            self.post("school_admin", self.body())
        four, after = listed()
        self.assertEqual((first["count"], after["count"]), (1, 4))
        self.assertEqual([a["person_times"] for a in after["results"]], [34] * 4)
        self.assertEqual(after["results"][0]["sessions"][0]["person_times"], 34)
        self.assertEqual(after["results"][0]["budget"], "500.00")
        self.assertEqual(one, four)


@time_machine.travel(TODAY, tick=False)
class StatsReadBackTests(PersonaTestCase):
    """Seed 000's figures as the statistics command writes them (interfaces.md)."""

    def test_seed_000_cadres_children_and_commendations_through_stats_json(self):
        orgs = self.world.orgs
        kids = [
            make_child(
                school_class=orgs["class_a2"],
                name=f"儿童{i}",
                birth=date(2015, 1, 1) + timedelta(days=i),
            )
            for i in range(35)
        ]
        visit = services.plan_activity(
            unit=orgs["county_a"],
            kind="visit",
            title="局领导和中层干部看望留守儿童",
            starts_on=date(2026, 10, 1),
            in_charge=[self.county_officer],
            by=self.county_officer,
        )
        session = visit.sessions.get()
        group = orgs["class_a2"]
        services.take_attendance(
            session=session,
            group=group,
            present=kids[:28],
            by=self.county_officer,
            version=services.attendance_version(session, group),
        )
        services.add_adults(session=session, kind="cadre", count=32, by=self.county_officer)
        services.commend(
            unit=orgs["school_a"],
            on=date(2026, 11, 20),
            occasion="表彰大会",
            honour="自强之星",
            recipient_kind="child",
            children=kids,
            by=self.school_admin,
        )
        out = io.StringIO()
        call_command(
            "stats",
            "--org",
            orgs["county_a"].code,
            "--from",
            "2026-09-01",
            "--to",
            "2026-11-30",
            "--json",
            stdout=out,
        )
        figures = json.loads(out.getvalue())
        self.assertEqual(
            figures["activities"], {"count": 1, "person_times": 60, "children_reached": 28}
        )
        self.assertEqual(figures["commendations"], {"children": 35, "adults": 0})
        self.assertEqual(figures["guardians_trained"], 0)
        # Outside the period, nothing.
        out = io.StringIO()
        call_command(
            "stats",
            "--org",
            orgs["county_a"].code,
            "--from",
            "2026-11-21",
            "--to",
            "2026-11-30",
            "--json",
            stdout=out,
        )
        later = json.loads(out.getvalue())
        self.assertEqual(later["activities"]["person_times"], 0)
        self.assertEqual(later["commendations"]["children"], 0)


@time_machine.travel(TODAY, tick=False)
class PhotoTests(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.activity = services.plan_activity(
            unit=cls.world.orgs["school_a"],
            kind="birthday",
            title="集体生日",
            starts_on=date(2026, 11, 20),
            in_charge=[cls.world.users["teacher"]],
            by=None,
        )

    def upload(self, persona, name, content):
        return self.client_as(persona).post(
            reverse("activities:add_photo", args=[self.activity.pk]),
            {"image": SimpleUploadedFile(name, content, "image/jpeg"), "caption": "合影"},
        )

    def test_a_photo_is_kept_under_a_random_name_and_shown_to_those_who_see_it(self):
        response = self.upload("teacher", "张小明生日.jpg", JPEG)
        self.assertEqual(response.status_code, 302)
        photo = Photo.objects.get()
        self.assertNotIn("张小明", photo.image.name)
        url = reverse("activities:photo", args=[photo.pk])
        self.assertEqual(self.client_as("school_admin").get(url).status_code, 200)
        self.assertEqual(self.client_as("teacher_b").get(url).status_code, 404)

    def test_a_photo_too_large_or_not_a_picture_is_refused(self):
        big = self.upload("teacher", "big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024))
        self.assertEqual(big.status_code, 200)
        self.assertTrue(big.context["form"].errors)
        fake = self.upload("teacher", "x.jpg", b"MZ not a picture")
        self.assertEqual(fake.status_code, 200)
        self.assertFalse(Photo.objects.exists())


@time_machine.travel(TODAY, tick=False)
class MoneyInFormsTests(PersonaTestCase):
    def test_the_edit_form_of_a_teacher_in_charge_carries_no_budget(self):
        activity = services.plan_activity(
            unit=self.org("school_a"),
            kind="birthday",
            title="集体生日",
            starts_on=date(2026, 11, 20),
            in_charge=[self.teacher],
            budget=Decimal("876.50"),
            by=self.school_admin,
        )
        page = self.client_as("teacher").get(reverse("activities:edit", args=[activity.pk]))
        self.assertNotIn("budget", page.context["form"].fields)
        token = page.context["form"]["version"].value()
        self.assertNotIn("876", signing.loads(token, salt="shouwang.core.concurrency").__repr__())
        response = self.client_as("teacher").post(
            reverse("activities:edit", args=[activity.pk]),
            {
                "version": token,
                "kind": "birthday",
                "title": "集体生日会",
                "starts_on": "2026-11-20",
                "in_charge": "teacher",
                "status": "held",
                "outcome": "20名孩子过了集体生日",
            },
        )
        self.assertEqual(response.status_code, 302)
        activity.refresh_from_db()
        self.assertEqual((activity.title, activity.budget), ("集体生日会", Decimal("876.50")))
