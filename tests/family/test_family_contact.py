"""Family contact: rooms open at set times, bookings, call logs, days since a parent was last
reached, and exactly one task for the class teacher when the silence grows too long."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_q.models import Schedule

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.care.models import FollowUp, FollowUpKind
from shouwang.care.selectors import open_follow_ups_for
from shouwang.children.services import transfer_child
from shouwang.children.types import ParentStatus
from shouwang.family import selectors, services
from shouwang.orgs.models import OrgKind
from shouwang.orgs.services import add_org
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

CST = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 24)  # a Tuesday
TUESDAY_AFTER_SCHOOL = [{"weekday": 1, "start": "16:00", "end": "17:30"}]


class FamilyContactTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # Registered on 1 September; father away, mother at home.
        cls.child = make_child(
            school_class=cls.world.orgs["class_a1"], name="甲一", mother=ParentStatus.AT_HOME
        )
        cls.father = cls.child.parents.get(relation="father")
        cls.room = services.add_room(
            school=cls.world.orgs["school_a"],
            name="亲情电话室",
            kind="phone",
            slots=TUESDAY_AFTER_SCHOOL,
            by=cls.world.users["school_admin"],
        )

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)

    def test_a_booking_must_fall_in_an_opening_and_not_be_taken(self):
        with time_machine.travel(self.at(TODAY, 9), tick=False):
            services.book(
                room=self.room, child=self.child, starts_at=self.at(TODAY, 16), by=self.teacher
            )
            with self.assertRaises(ValidationError):  # taken
                services.book(
                    room=self.room, child=self.child, starts_at=self.at(TODAY, 16), by=self.teacher
                )
            with self.assertRaises(ValidationError):  # ends after the room closes
                services.book(
                    room=self.room,
                    child=self.child,
                    starts_at=self.at(TODAY, 17, 20),
                    by=self.teacher,
                )
            with self.assertRaises(ValidationError):  # a Wednesday
                services.book(
                    room=self.room,
                    child=self.child,
                    starts_at=self.at(TODAY + timedelta(days=1), 16),
                    by=self.teacher,
                )

    def test_days_since_contact_count_from_the_last_call_that_reached_the_parent(self):
        with time_machine.travel(self.at(TODAY, 18), tick=False):
            services.log_call(
                child=self.child,
                parent=self.father,
                at=self.at(TODAY - timedelta(days=10), 16),
                minutes=15,
                by=self.teacher,
            )
            services.log_call(
                child=self.child,
                parent=self.father,
                at=self.at(TODAY - timedelta(days=2), 16),
                reached=False,
                by=self.teacher,
            )
        ((parent, days),) = selectors.contact_of(self.child, TODAY)
        assert (parent, days) == (self.father, 10)

    def test_a_long_silence_gives_the_class_teacher_exactly_one_task(self):
        # Never called since registration on 1 September: 84 days.
        assert services.raise_silence_tasks(TODAY, days=30) == 1
        assert services.raise_silence_tasks(TODAY, days=30) == 0
        assert services.raise_silence_tasks(TODAY + timedelta(days=1), days=30) == 0
        (task,) = FollowUp.objects.filter(kind=FollowUpKind.LONG_SILENCE)
        assert task.child == self.child and "父亲" in task.summary
        assert list(open_follow_ups_for(self.teacher)) == [task]
        assert not open_follow_ups_for(self.teacher_b).exists()

    def test_a_transfer_between_schools_does_not_restart_the_silence(self):
        transfer_child(
            child=self.child,
            to_school=self.org("school_b"),
            to_class=self.org("class_b1"),
            on=TODAY - timedelta(days=10),
            reason="随祖父母搬家",
            by=None,
        )
        # Registered on 1 September and never reached since: the move ten days ago is no call.
        assert services.raise_silence_tasks(TODAY, days=30) == 1

    @time_machine.travel(datetime(2026, 11, 24, 18, tzinfo=CST), tick=False)
    def test_a_county_sets_its_own_days_and_the_worker_follows_it(self):
        # A call 20 days ago: within the default 30, past the county's 14.
        services.log_call(
            child=self.child,
            parent=self.father,
            at=self.at(TODAY - timedelta(days=20), 16),
            by=self.teacher,
        )
        sister = make_child(school_class=self.org("class_c1"), name="丙一")  # the other county
        assert services.raise_silence_tasks(TODAY) == 1  # only the other county's child (84 days)
        assert FollowUp.objects.get(kind=FollowUpKind.LONG_SILENCE).child == sister
        client = self.client_as("county_officer")
        self.assertContains(client.get("/family/"), "silence-setting")
        refused = client.post("/family/silence/", {"days": "3"})
        assert refused.status_code == 200 and "days" in refused.context["form"].errors
        assert client.post("/family/silence/", {"days": "14"}).status_code == 302
        assert selectors.silence_days_of(self.child.school, TODAY) == 14
        assert selectors.silence_days_of(sister.school, TODAY) == 30
        page = self.client_as("teacher").get(f"/family/child/{self.child.pk}/")
        self.assertContains(page, 'class="late"')  # 20 days is now too long here
        assert services.raise_silence_tasks(TODAY) == 1
        assert FollowUp.objects.filter(child=self.child, kind=FollowUpKind.LONG_SILENCE).exists()

    def test_the_nearest_region_decides_and_a_newer_setting_replaces_an_older_one(self):
        county, township = self.org("county_a"), self.org("township_a1")
        school_a, school_b = self.org("school_a"), self.org("school_b")  # a1 and a2's schools
        services.set_silence_days(region=county, days=14, since=date(2026, 9, 1), by=None)
        services.set_silence_days(region=township, days=60, since=date(2026, 10, 1), by=None)
        assert selectors.silence_days_of(school_a, TODAY) == 60  # the township is nearer
        assert selectors.silence_days_of(school_b, TODAY) == 14  # only the county above
        assert selectors.silence_days_of(school_a, date(2026, 9, 15)) == 14  # before the township's
        services.set_silence_days(region=county, days=21, since=date(2026, 11, 1), by=None)
        assert selectors.silence_days_of(school_b, TODAY) == 21
        with self.assertRaises(ValidationError):
            services.set_silence_days(region=school_a, days=14, since=TODAY, by=None)

    def test_only_region_officers_set_the_days(self):
        for persona in ("school_admin", "teacher", "volunteer", "counselor"):
            assert self.client_as(persona).get("/family/silence/").status_code == 404, persona
        other_county = self.org("county_b").code
        response = self.client_as("township_officer").get("/family/silence/", {"org": other_county})
        assert response.status_code == 404

    def test_a_recent_call_means_no_task(self):
        with time_machine.travel(self.at(TODAY, 18), tick=False):
            services.log_call(
                child=self.child,
                parent=self.father,
                at=self.at(TODAY - timedelta(days=29), 16),
                by=self.teacher,
            )
        assert services.raise_silence_tasks(TODAY, days=30) == 0
        assert services.raise_silence_tasks(TODAY + timedelta(days=2), days=30) == 1

    def test_a_call_to_someone_elses_parent_is_refused(self):
        other = make_child(school_class=self.org("class_a1"), name="甲二")
        with self.assertRaises(ValidationError):
            services.log_call(
                child=self.child,
                parent=other.parents.get(relation="father"),
                at=self.at(TODAY, 10),
                by=self.teacher,
            )

    def test_the_teacher_logs_a_call_on_the_childs_page(self):
        client = self.client_as("teacher")
        with time_machine.travel(self.at(TODAY, 18), tick=False):
            response = client.post(
                f"/family/child/{self.child.pk}/",
                {
                    "call-parent": self.father.pk,
                    "call-at": "2026-11-24T16:10",
                    "call-minutes": "12",
                    "call-reached": "on",
                },
            )
            assert response.status_code == 302
            page = client.get(f"/family/child/{self.child.pk}/")
        assert page.context["contacts"] == [(self.father, 0)]
        assert self.client_as("teacher_b").get(f"/family/child/{self.child.pk}/").status_code == 404

    def test_a_booking_overlapping_another_is_refused_with_the_next_free_time(self):
        with time_machine.travel(self.at(TODAY, 9), tick=False):
            services.book(
                room=self.room, child=self.child, starts_at=self.at(TODAY, 16), by=self.teacher
            )
            with self.assertRaises(ValidationError) as caught:  # 16:10 falls in 16:00–16:20
                services.book(
                    room=self.room,
                    child=self.child,
                    starts_at=self.at(TODAY, 16, 10),
                    by=self.teacher,
                )
            assert "16:20" in caught.exception.message_dict["starts_at"][0]
            services.book(
                room=self.room, child=self.child, starts_at=self.at(TODAY, 16, 20), by=self.teacher
            )

    def test_the_class_teacher_books_the_schools_room_on_the_childs_page(self):
        client = self.client_as("teacher")
        with time_machine.travel(self.at(TODAY, 9), tick=False):
            page = client.get(f"/family/child/{self.child.pk}/")
            assert list(page.context["book_form"].fields["room"].queryset) == [self.room]
            done = client.post(
                f"/family/child/{self.child.pk}/",
                {"book-room": self.room.pk, "book-starts_at": "2026-11-24T16:00"},
            )
            assert done.status_code == 302
            rooms = client.get("/family/")
        assert [b.child for b in rooms.context["bookings"]] == [self.child]
        self.assertContains(rooms, "亲情电话室")

    def test_bookings_list_only_children_the_user_sees(self):
        village_school = self.world.orgs["village_a1"]
        school = add_org(by=None, name="东村小学", kind=OrgKind.SCHOOL, parent=village_school)
        grade = add_org(by=None, name="一年级", kind=OrgKind.GRADE, parent=school)
        klass = add_org(by=None, name="一年级（1）班", kind=OrgKind.SCHOOL_CLASS, parent=grade)
        pupil = make_child(school_class=klass, name="村小孩", home_village=None)
        room = services.add_room(
            school=school, name="村小亲情室", kind="phone", slots=TUESDAY_AFTER_SCHOOL, by=None
        )
        with time_machine.travel(self.at(TODAY, 9), tick=False):
            services.book(
                room=room, child=pupil, starts_at=self.at(TODAY, 16), by=self.county_officer
            )
            page = self.client_as("teacher_b").get("/family/")
            assert list(page.context["bookings"]) == []
            self.assertNotContains(page, "村小孩")
            for persona in ("village_director", "volunteer"):  # no rooms page at all
                self.assertEqual(self.client_as(persona).get("/family/").status_code, 404)
            county = self.client_as("county_officer").get("/family/")
        assert [b.child for b in county.context["bookings"]] == [pupil]

    def test_opening_hours_that_end_before_they_start_are_refused_in_words(self):
        page = self.client_as("school_admin").post(
            f"/family/rooms/{self.world.orgs['school_a'].code}/add/",
            {
                "name": "视频室",
                "kind": "video",
                "weekdays": ["2"],
                "start": "17:00",
                "end": "16:00",
            },
        )
        assert page.status_code == 200
        assert page.context["form"].non_field_errors()

    def test_two_workers_at_once_still_make_one_silence_task(self):
        later = TODAY + timedelta(days=90)
        assert services.raise_silence_tasks(later) == 1
        with self.assertRaises(IntegrityError), transaction.atomic():  # the database refuses
            FollowUp.objects.create(
                child=self.child,
                county_id=self.child.county_id,
                school_id=self.child.school_id,
                kind=FollowUpKind.LONG_SILENCE,
                summary="第二个",
                opened_on=later,
            )
        entry = AuditEntry.objects.filter(object_type__endswith="followup").latest("pk")
        assert entry.action == AuditAction.CREATE and entry.actor is None

    def test_only_the_form_sent_shows_its_errors(self):
        client = self.client_as("teacher")
        with time_machine.travel(self.at(TODAY, 18), tick=False):
            page = client.post(f"/family/child/{self.child.pk}/", {"call-parent": self.father.pk})
        assert page.status_code == 200
        assert "at" in page.context["call_form"].errors
        assert not page.context["book_form"].is_bound

    def test_a_booking_may_not_run_past_midnight_and_calls_are_of_the_past_year(self):
        late_room = services.add_room(
            school=self.org("school_a"),
            name="晚间视频室",
            kind="video",
            slots=[{"weekday": 1, "start": "20:00", "end": "23:59"}],
            by=self.school_admin,
        )
        with time_machine.travel(self.at(TODAY, 9), tick=False):
            with self.assertRaises(ValidationError):  # 23:50 + 20 minutes is tomorrow
                services.book(
                    room=late_room,
                    child=self.child,
                    starts_at=self.at(TODAY, 23, 50),
                    by=self.teacher,
                )
            with self.assertRaises(ValidationError) as caught:
                services.log_call(
                    child=self.child,
                    parent=self.father,
                    at=self.at(TODAY - timedelta(days=800), 18),
                    by=self.teacher,
                )
        assert "at" in caught.exception.message_dict

    def test_the_room_form_asks_for_opening_times_and_the_days_are_confirmed_as_numbers(self):
        page = self.client_as("school_admin").get(f"/family/rooms/{self.org('school_a').code}/add/")
        self.assertContains(page, "开始时间")
        done = self.client_as("county_officer").post(
            f"/family/silence/?org={self.org('county_a').code}", {"days": "１４"}, follow=True
        )
        self.assertContains(done, "14 天")
        self.assertNotContains(done, "１４")

    def test_the_worker_looks_for_silences_every_day(self):
        schedule = Schedule.objects.get(func="shouwang.family.tasks.raise_silence_tasks")
        assert schedule.schedule_type == Schedule.DAILY
