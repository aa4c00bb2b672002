"""Children's homes and holiday stations: the profile under its school or village, the duty
roster whose shifts are duties (due on the day, done at check-in, overdue after), the day's
attendance and the figures counted from it, and who may see and change what."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shouwang.audit.models import AuditEntry
from shouwang.care import other_duties
from shouwang.care.engine import DONE, DUE, OVERDUE
from shouwang.core.concurrency import StaleEdit
from shouwang.homes import selectors, services
from shouwang.homes.models import Attendance, Home, HomeKind, Shift
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

CST = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CST)


class HomesTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs, users = cls.world.orgs, cls.world.users
        cls.a1 = make_child(
            school_class=orgs["class_a1"], name="甲一", home_village=orgs["village_a1"]
        )
        cls.a2 = make_child(school_class=orgs["class_a2"], name="甲二")
        cls.c1 = make_child(school_class=orgs["class_c1"], name="丙一")
        cls.home = services.add_home(
            parent=orgs["school_a"],
            name="东镇中心小学留守儿童之家",
            kind=HomeKind.CHILDREN_HOME,
            place="教学楼一楼",
            opening_hours="周一至周五 16:00–18:00",
            by=users["school_admin"],
        )
        cls.station = services.add_home(
            parent=orgs["village_a1"],
            name="东村候鸟驿站",
            kind=HomeKind.HOLIDAY_STATION,
            place="村委会二楼",
            by=users["village_director"],
        )
        with time_machine.travel(at(MONDAY, 8), tick=False):
            cls.monday = services.add_shift(
                home=cls.home,
                person=users["teacher"],
                on=MONDAY,
                starts_at=time(16),
                ends_at=time(18),
                by=users["school_admin"],
            )
            cls.tuesday = services.add_shift(
                home=cls.home,
                person=users["teacher"],
                on=MONDAY + timedelta(days=1),
                starts_at=time(16),
                ends_at=time(18),
                by=users["school_admin"],
            )

    # --- the roster as duties -----------------------------------------------------------------

    def test_a_shift_is_due_on_its_day_done_at_check_in_and_overdue_after(self):
        with time_machine.travel(at(MONDAY, 15), tick=False):
            self.assertEqual(selectors.shift_status(self.monday, MONDAY), DUE)
            services.check_in(shift=self.monday, by=self.teacher)
            self.monday.refresh_from_db()
            self.assertEqual(selectors.shift_status(self.monday, MONDAY), DONE)
        # Tuesday's shift was never checked in: overdue on Wednesday, and a late tick is refused.
        wednesday = MONDAY + timedelta(days=2)
        with time_machine.travel(at(wednesday, 9), tick=False):
            self.assertEqual(selectors.shift_status(self.tuesday, wednesday), OVERDUE)
            with self.assertRaises(ValidationError):
                services.check_in(shift=self.tuesday, by=self.teacher)
            statuses = {d.day: d.status for d in other_duties.duties_of(self.teacher, wednesday)}
            self.assertEqual(statuses, {MONDAY: DONE, MONDAY + timedelta(days=1): OVERDUE})

    def test_only_the_person_on_duty_checks_in(self):
        with time_machine.travel(at(MONDAY, 15), tick=False):
            with self.assertRaises(ValidationError):
                services.check_in(shift=self.monday, by=self.school_admin)
            response = self.client_as("school_admin").post(
                reverse("homes:check_in", args=[self.monday.pk])
            )
            self.assertEqual(response.status_code, 404)
            self.monday.refresh_from_db()
            self.assertIsNone(self.monday.done_at)

    def test_recording_the_days_attendance_checks_the_teacher_in(self):
        with time_machine.travel(at(MONDAY, 17), tick=False):
            response = self.client_as("teacher").post(
                reverse("homes:attendance", args=[self.home.pk]),
                {"on": "2026-11-23", "children": [self.a1.pk, self.a2.pk]},
            )
            self.assertEqual(response.status_code, 302)
        self.monday.refresh_from_db()
        self.assertIsNotNone(self.monday.done_at)
        self.tuesday.refresh_from_db()
        self.assertIsNone(self.tuesday.done_at)

    def test_the_shift_is_in_my_tasks_of_its_person_only(self):
        with time_machine.travel(at(MONDAY, 9), tick=False):
            mine = self.client_as("teacher").get(reverse("care:tasks")).content.decode()
            self.assertIn('data-testid="other-duty-due"', mine)
            self.assertIn("东镇中心小学留守儿童之家", mine)
            theirs = self.client_as("school_admin").get(reverse("care:tasks")).content.decode()
            self.assertNotIn("东镇中心小学留守儿童之家", theirs)
        with time_machine.travel(at(MONDAY + timedelta(days=2), 9), tick=False):
            self.client.force_login(self.teacher)  # (a session of two days ago has ended)
            mine = self.client.get(reverse("care:tasks")).content.decode()
            self.assertEqual(mine.count('data-testid="other-duty-overdue"'), 2)

    def test_the_roster_takes_people_of_the_homes_unit_who_see_it_only(self):
        # Another school's teacher; the school's counselor (who sees no homes).
        for person in (self.teacher_b, self.counselor):
            with (
                self.subTest(person=person.username),
                time_machine.travel(at(MONDAY, 9), tick=False),
                self.assertRaises(ValidationError),
            ):
                services.add_shift(
                    home=self.home,
                    person=person,
                    on=MONDAY,
                    starts_at=time(8),
                    ends_at=time(12),
                    by=self.school_admin,
                )

    # --- attendance and figures ---------------------------------------------------------------

    def test_figures_count_distinct_children_and_holiday_care(self):
        with time_machine.travel(at(MONDAY + timedelta(days=3), 18), tick=False):
            for offset in range(3):  # a1 three days, a2 one day, a1 once in holiday care
                services.record_attendance(
                    home=self.home,
                    on=MONDAY + timedelta(days=offset),
                    present=[self.a1] + ([self.a2] if offset == 0 else []),
                    holiday_care=[self.a1] if offset == 1 else [],
                    by=self.school_admin,
                )
            services.record_attendance(
                home=self.station,
                on=MONDAY,
                present=[self.a1],
                holiday_care=[self.a1],
                by=self.village_director,
            )
        county = self.org("county_a")
        week = selectors.period_figures(org=county, start=MONDAY, end=MONDAY + timedelta(6))
        self.assertEqual(week, {"homes": {"count": 2, "children_served": 2, "holiday_care": 1}})
        school = selectors.period_figures(
            org=self.org("school_a"), start=MONDAY + timedelta(1), end=MONDAY + timedelta(6)
        )
        self.assertEqual(school["homes"], {"count": 1, "children_served": 1, "holiday_care": 1})
        elsewhere = selectors.period_figures(org=self.org("county_b"), start=MONDAY, end=MONDAY)
        self.assertEqual(
            elsewhere, {"homes": {"count": 0, "children_served": 0, "holiday_care": 0}}
        )

    def test_a_child_taken_off_the_list_is_kept_not_present_and_not_counted(self):
        with time_machine.travel(at(MONDAY, 18), tick=False):
            for present in ([self.a1, self.a2], [self.a2]):
                services.record_attendance(
                    home=self.home, on=MONDAY, present=present, by=self.school_admin
                )
        self.assertEqual(Attendance.objects.filter(home=self.home).count(), 2)
        figures = selectors.period_figures(org=self.org("school_a"), start=MONDAY, end=MONDAY)
        self.assertEqual(figures["homes"]["children_served"], 1)

    def test_attendance_refuses_days_to_come_and_holiday_care_of_a_child_not_present(self):
        with time_machine.travel(at(MONDAY, 18), tick=False):
            with self.assertRaises(ValidationError):
                services.record_attendance(
                    home=self.home,
                    on=MONDAY + timedelta(days=1),
                    present=[self.a1],
                    by=self.school_admin,
                )
            with self.assertRaises(ValidationError):
                services.record_attendance(
                    home=self.home,
                    on=MONDAY,
                    present=[self.a1],
                    holiday_care=[self.a2],
                    by=self.school_admin,
                )

    def test_the_childs_page_names_the_homes_and_days(self):
        with time_machine.travel(at(MONDAY + timedelta(days=1), 18), tick=False):
            for day in (MONDAY, MONDAY + timedelta(days=1)):
                services.record_attendance(
                    home=self.home, on=day, present=[self.a1], by=self.school_admin
                )
        part = selectors.attended_by(self.teacher, self.a1)
        self.assertEqual(part["homes"][0]["days"], 2)
        self.assertIsNone(selectors.attended_by(self.volunteer, self.a1))
        self.assertIsNone(selectors.attended_by(self.counselor, self.a1))
        page = self.client_as("school_admin").get(reverse("children:detail", args=[self.a1.pk]))
        self.assertContains(page, 'data-testid="homes-section"')

    # --- scope ---------------------------------------------------------------------------------

    def test_volunteer_and_counselor_get_404(self):
        for persona in ("volunteer", "counselor"):
            for name in ("homes:index", "homes:detail"):
                args = [] if name == "homes:index" else [self.home.pk]
                with self.subTest(persona=persona, page=name):
                    response = self.client_as(persona).get(reverse(name, args=args))
                    self.assertEqual(response.status_code, 404)

    def test_teacher_sees_the_schools_home_but_cannot_change_it(self):
        client = self.client_as("teacher")
        self.assertEqual(client.get(reverse("homes:detail", args=[self.home.pk])).status_code, 200)
        edit = reverse("homes:edit", args=[self.home.pk])
        self.assertEqual(client.get(edit).status_code, 404)
        response = client.post(edit, {"name": "改名", "kind": "children_home", "place": "x"})
        self.assertEqual(response.status_code, 404)
        self.home.org.refresh_from_db()
        self.assertEqual(self.home.org.name, "东镇中心小学留守儿童之家")
        # The village's station is not the teacher's school's.
        self.assertEqual(
            client.get(reverse("homes:detail", args=[self.station.pk])).status_code, 404
        )

    def test_out_of_scope_is_404_and_changes_nothing(self):
        client = self.client_as("teacher_b")
        self.assertEqual(client.get(reverse("homes:detail", args=[self.home.pk])).status_code, 404)
        with time_machine.travel(at(MONDAY, 18), tick=False):
            response = client.post(
                reverse("homes:attendance", args=[self.home.pk]),
                {"on": "2026-11-23", "children": [self.a1.pk]},
            )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Attendance.objects.exists())
        # The village's child director keeps the village's station, not the school's home.
        director = self.client_as("village_director")
        response = director.post(
            reverse("homes:edit", args=[self.home.pk]),
            {"name": "改名", "kind": "children_home", "place": "x"},
        )
        self.assertEqual(response.status_code, 404)

    def test_a_home_is_a_unit_under_its_school_and_its_writes_are_audited(self):
        self.assertEqual(selectors.place_of(self.home), self.org("school_a"))
        self.assertEqual(self.home.org.kind, "children_home")
        entries = AuditEntry.objects.filter(object_type="homes.home", object_id=str(self.home.pk))
        self.assertEqual(entries.count(), 1)
        services.update_home(
            home=self.home,
            by=self.school_admin,
            version=services.home_version(self.home),
            opening_hours="每天 8:00–17:00",
        )
        self.assertEqual(entries.count(), 2)
        self.assertEqual(entries.latest("pk").changes["opening_hours"][1], "每天 8:00–17:00")
        shift_entries = AuditEntry.objects.filter(object_type="homes.shift")
        self.assertEqual(shift_entries.count(), 2)

    def test_a_stale_edit_is_refused_naming_the_change(self):
        opened = services.home_version(self.home)
        services.update_home(
            home=self.home, by=self.county_officer, version=opened, place="教学楼二楼"
        )
        with self.assertRaises(StaleEdit):
            services.update_home(
                home=self.home, by=self.school_admin, version=opened, opening_hours="周末"
            )
        home = Home.objects.get(pk=self.home.pk)
        self.assertEqual((home.place, home.opening_hours), ("教学楼二楼", "周一至周五 16:00–18:00"))
        # Through the page: the form is shown again with the refusal.
        response = self.client_as("school_admin").post(
            reverse("homes:edit", args=[self.home.pk]),
            {
                "name": "东镇中心小学留守儿童之家",
                "kind": "children_home",
                "place": "教学楼三楼",
                "version": opened,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Home.objects.get(pk=self.home.pk).place, "教学楼二楼")

    def test_a_cancelled_shift_leaves_my_tasks_and_keeps_its_reason(self):
        with time_machine.travel(at(MONDAY, 9), tick=False):
            services.cancel_shift(shift=self.monday, reason="调课", by=self.school_admin)
            days = [d.day for d in other_duties.duties_of(self.teacher, MONDAY)]
        self.assertEqual(days, [])
        self.assertEqual(Shift.objects.get(pk=self.monday.pk).cancel_reason, "调课")

    def test_the_list_and_a_homes_page_do_not_grow_with_rows(self):
        client = self.client_as("county_officer")

        def counted() -> tuple[int, int]:
            with CaptureQueriesContext(connection) as index:
                client.get(reverse("homes:index"))
            with CaptureQueriesContext(connection) as page:
                client.get(reverse("homes:detail", args=[self.home.pk]))
            return len(index), len(page)

        with time_machine.travel(at(MONDAY, 18), tick=False):
            counted()  # (what is kept in the cache after a first look is not the rows' doing)
            before = counted()
            for n in range(3):
                services.add_home(
                    parent=self.org("village_a1"),
                    name=f"驿站{n}",
                    kind=HomeKind.HOLIDAY_STATION,
                    place="村委会",
                    by=self.county_officer,
                )
                services.add_shift(
                    home=self.home,
                    person=self.school_admin,
                    on=MONDAY,
                    starts_at=time(8 + n),
                    ends_at=time(9 + n),
                    by=self.county_officer,
                )
            services.record_attendance(
                home=self.home, on=MONDAY, present=[self.a1, self.a2], by=self.school_admin
            )
            self.assertEqual(counted(), before)

    def test_the_list_sends_a_keeper_to_add_a_home_under_a_unit_of_theirs(self):
        school = self.org("school_a")
        response = self.client_as("school_admin").get(
            reverse("homes:index"), {"under": school.code}
        )
        self.assertRedirects(response, reverse("homes:add", args=[school.code]))
        # Not one of the village director's units: no way there.
        response = self.client_as("village_director").get(
            reverse("homes:index"), {"under": school.code}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            self.client_as("village_director")
            .get(reverse("homes:add", args=[school.code]))
            .status_code,
            404,
        )
