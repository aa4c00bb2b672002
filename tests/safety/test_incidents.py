"""Emergencies: the timed chain from the moment it happened, late steps, escalation by the
worker (once), who may see an incident, mandatory reports, the notification centre."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils.module_loading import import_string
from django_q.models import Schedule

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.notices.models import Notification
from shouwang.safety import selectors, services
from shouwang.safety.models import Incident
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

CST = ZoneInfo("Asia/Shanghai")
# Ten to midnight: the chain's deadlines fall on the next day.
EVENT = datetime(2026, 11, 24, 23, 50, tzinfo=CST)
TEXTS: list[tuple[str, str]] = []


class Gateway:
    def send(self, phone: str, text: str) -> None:
        TEXTS.append((phone, text))


class WorkerStopped(BaseException):
    """The worker's process stopped (killed, timed out, the machine restarted)."""


class GatewayWhileTheWorkerStops:
    def send(self, phone: str, text: str) -> None:
        raise WorkerStopped


def worker_minute() -> None:
    """One minute of the worker: every task scheduled each minute, as `shouwang qcluster` runs
    them."""
    for schedule in Schedule.objects.filter(schedule_type=Schedule.MINUTES, minutes=1):
        import_string(schedule.func)()


class IncidentTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.child = make_child(school_class=cls.world.orgs["class_a1"], name="甲一")

    def report(self, kind: str = "injury", at: datetime = EVENT, **extra: object) -> Incident:
        with time_machine.travel(at + timedelta(minutes=5), tick=False):
            return services.report_incident(
                child=self.child,
                kind=kind,
                occurred_at=at,
                place="操场",
                description="课间从单杠上摔下，右臂疼痛",
                by=self.teacher,
                **extra,
            )

    def test_deadlines_run_from_the_event_across_midnight(self):
        incident = self.report()
        due = {s.key: s.due_at.astimezone(CST) for s in incident.steps.all()}
        next_day = datetime(2026, 11, 25, tzinfo=CST)
        assert due == {
            "school_leadership": next_day.replace(hour=0, minute=10),
            "guardian": next_day.replace(hour=0, minute=10),
            "parents": next_day.replace(hour=0, minute=50),
            "education_bureau": next_day.replace(hour=1, minute=50),
            "township": next_day.replace(hour=1, minute=50),
        }

    def test_a_step_done_late_stays_marked_late(self):
        incident = self.report()
        guardian = incident.steps.get(key="guardian")
        parents = incident.steps.get(key="parents")
        with time_machine.travel(EVENT + timedelta(hours=3), tick=False):
            services.tick_step(
                step=guardian,
                told_whom="奶奶",
                how="phone",
                at=guardian.due_at + timedelta(minutes=5),
                by=self.teacher,
            )
            services.tick_step(
                step=parents, told_whom="父亲", how="phone", at=parents.due_at, by=self.teacher
            )
        with time_machine.travel(EVENT + timedelta(days=2), tick=False):
            guardian.refresh_from_db()
            parents.refresh_from_db()
            assert guardian.is_late() and not parents.is_late()
            page = self.client_as("school_admin").get(f"/safety/{incident.pk}/")
        late_keys = [step["step"].key for step in page.context["steps"] if step["late"]]
        assert "guardian" in late_keys and "parents" not in late_keys

    def test_a_missed_deadline_is_escalated_once_to_those_responsible_and_the_level_above(self):
        incident = self.report()
        first = incident.steps.get(key="school_leadership")
        later = EVENT + timedelta(minutes=30)  # the 20-minute steps are missed, none else
        assert services.escalate_due(later) == 2
        assert services.escalate_due(later) == 0  # run twice: told once
        assert services.escalate_due(later + timedelta(minutes=1)) == 0
        told = set(
            Notification.objects.filter(key=f"incident-step-{first.pk}-late").values_list(
                "user__username", flat=True
            )
        )
        assert told == {
            "teacher",  # reported it
            "school_admin",
            "county_officer",
            "township_officer",
            "federation_officer",  # the 妇联 works for the county
        }
        first.refresh_from_db()
        assert first.escalated_at == later

    def test_a_worker_that_stops_while_texting_a_late_step_texts_each_person_once_later(self):
        phones = {}
        for n, persona in enumerate(
            ("teacher", "school_admin", "county_officer", "township_officer", "federation_officer")
        ):
            user = self.world.users[persona]
            user.phone = phones[persona] = f"1380013800{n}"
            user.save()
        with (
            override_settings(SHOUWANG_SMS_SENDER=f"{__name__}.Gateway"),
            self.captureOnCommitCallbacks(execute=True),
        ):
            incident = self.report()
            with time_machine.travel(EVENT + timedelta(minutes=6), tick=False):
                worker_minute()
        assert sorted(phone for phone, _text in TEXTS) == sorted(
            [phones["teacher"], phones["school_admin"]]  # the report, to those responsible
        )
        TEXTS.clear()
        late = EVENT + timedelta(minutes=30)  # the two 20-minute steps are missed
        with (
            time_machine.travel(late, tick=False),
            override_settings(SHOUWANG_SMS_SENDER=f"{__name__}.GatewayWhileTheWorkerStops"),
            self.assertRaises(WorkerStopped),
            self.captureOnCommitCallbacks(execute=True),
        ):
            worker_minute()
        assert incident.steps.filter(escalated_at=late).count() == 2
        assert TEXTS == []
        with override_settings(SHOUWANG_SMS_SENDER=f"{__name__}.Gateway"):
            for minutes in range(1, 10):  # the worker is back; the next minutes' runs
                with (
                    time_machine.travel(late + timedelta(minutes=minutes), tick=False),
                    self.captureOnCommitCallbacks(execute=True),
                ):
                    worker_minute()
        # Two late steps, five people: each told of each once, none lost, none twice.
        assert len(TEXTS) == 10 and len(set(TEXTS)) == 10
        assert all("超时" in text for _phone, text in TEXTS)
        assert {phone for phone, _text in TEXTS} == set(phones.values())

    def test_a_step_done_in_time_is_never_escalated(self):
        incident = self.report()
        with time_machine.travel(EVENT + timedelta(minutes=15), tick=False):
            for step in incident.steps.all():
                services.tick_step(
                    step=step,
                    told_whom="校长",
                    how="in_person",
                    at=EVENT + timedelta(minutes=10),
                    by=self.teacher,
                )
        assert services.escalate_due(EVENT + timedelta(hours=3)) == 0

    def test_the_worker_checks_the_deadlines_every_minute(self):
        schedule = Schedule.objects.get(func="shouwang.safety.tasks.escalate_due_steps")
        assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 1)

    def test_only_leaders_counselors_officers_and_the_reporter_see_an_incident(self):
        incident = self.report()
        for persona in ("school_admin", "counselor", "county_officer", "teacher", "sysadmin"):
            assert self.client_as(persona).get(f"/safety/{incident.pk}/").status_code == 200
        for persona in ("volunteer", "teacher_b", "village_director"):
            assert self.client_as(persona).get(f"/safety/{incident.pk}/").status_code == 404
            assert not selectors.incidents_visible_to(self.world.users[persona]).exists()
        api = self.client_as("volunteer").get("/api/v1/incidents/").json()
        assert api["count"] == 0

    def test_a_volunteer_cannot_report(self):
        page = self.client_as("volunteer").get("/safety/report/", {"child": self.child.pk})
        assert page.status_code == 404

    def test_a_teacher_reports_on_the_page_and_lands_on_the_chain(self):
        response = self.client_as("teacher").post(
            f"/safety/report/?child={self.child.pk}",
            {
                "kind": "illness",
                "occurred_at": "2026-11-24T10:00",
                "place": "教室",
                "description": "突发高烧",
            },
            follow=True,
        )
        incident = Incident.objects.get(child=self.child)
        self.assertRedirects(response, f"/safety/{incident.pk}/")
        assert incident.steps.count() == 5

    def test_a_time_in_the_future_is_refused_in_words(self):
        with time_machine.travel(EVENT, tick=False), self.assertRaises(ValidationError) as caught:
            services.report_incident(
                child=self.child,
                kind="injury",
                occurred_at=EVENT + timedelta(hours=1),
                place="操场",
                description="摔伤",
                by=self.teacher,
            )
        assert "occurred_at" in caught.exception.message_dict

    def test_suspected_abuse_is_a_mandatory_report_and_closes_only_after_the_police(self):
        incident = self.report(kind="abuse")
        assert incident.mandatory_report
        with time_machine.travel(EVENT + timedelta(hours=1), tick=False):
            with self.assertRaises(ValidationError):
                services.close_incident(incident=incident, outcome="已处理", by=self.school_admin)
            services.record_police_report(
                incident=incident,
                at=EVENT + timedelta(minutes=40),
                receipt="派出所回执0012",
                by=self.school_admin,
            )
            with self.assertRaises(ValidationError):
                services.close_incident(incident=incident, outcome=" ", by=self.school_admin)
            services.close_incident(incident=incident, outcome="已移交公安", by=self.school_admin)
        incident.refresh_from_db()
        assert incident.closed_at is not None and incident.police_receipt == "派出所回执0012"

    def test_a_report_for_a_child_that_is_not_a_number_is_not_found(self):
        for child in ("abc", "", "1.5"):
            assert (
                self.client_as("school_admin").get(f"/safety/report/?child={child}").status_code
                == 404
            )

    def test_the_countdown_keeps_its_chinese_words_and_stops_once_closed(self):
        incident = self.report()
        client = self.client_as("school_admin")
        with time_machine.travel(EVENT + timedelta(minutes=10), tick=False):
            page = client.get(f"/safety/{incident.pk}/")
            self.assertContains(page, 'data-left="还剩 {n} 分钟"')  # what the script counts with
            services.close_incident(incident=incident, outcome="虚惊一场", by=self.school_admin)
            closed = client.get(f"/safety/{incident.pk}/")
        self.assertNotContains(closed, 'data-testid="countdown"')
        self.assertContains(closed, 'data-testid="step-untold"', count=5)

    def test_a_deadline_past_midnight_shows_its_day_on_the_page(self):
        incident = self.report()
        with time_machine.travel(EVENT + timedelta(minutes=10), tick=False):
            page = self.client_as("school_admin").get(f"/safety/{incident.pk}/")
        due = {step["step"].key: step["due"] for step in page.context["steps"]}
        assert due["school_leadership"] == "11-25 00:10"
        self.assertContains(page, "11-25 00:10")

    def test_the_police_receipt_is_corrected_with_its_old_value_kept_and_frozen_once_closed(self):
        incident = self.report(kind="abuse")
        with time_machine.travel(EVENT + timedelta(hours=1), tick=False):
            for receipt in ("回执0012", "回执0021"):
                services.record_police_report(
                    incident=incident,
                    at=EVENT + timedelta(minutes=40),
                    receipt=receipt,
                    by=self.school_admin,
                )
            entry = AuditEntry.objects.filter(action=AuditAction.UPDATE).latest("pk")
            assert entry.changes["receipt"] == ["回执0012", "回执0021"]
            services.close_incident(incident=incident, outcome="已移交公安", by=self.school_admin)
            with self.assertRaises(ValidationError):
                services.record_police_report(
                    incident=incident,
                    at=EVENT + timedelta(minutes=45),
                    receipt="改过的",
                    by=self.school_admin,
                )
        incident.refresh_from_db()
        assert incident.police_receipt == "回执0021"

    def test_late_steps_show_red_to_the_county_officer(self):
        self.report()
        with time_machine.travel(EVENT + timedelta(minutes=90), tick=False):
            page = self.client_as("county_officer").get("/safety/")
        # Leadership, guardian and parents are past due; the bureau and township not yet.
        self.assertContains(page, 'data-testid="late-step"', count=3)

    def test_late_steps_wait_on_the_home_page_and_dashboard_above_until_done(self):
        incident = self.report()
        county = self.org("county_a").code
        with time_machine.travel(EVENT + timedelta(minutes=90), tick=False):
            home = self.client_as("county_officer").get("/")
            dashboard = self.client_as("county_officer").get(f"/stats/?org={county}")
            self.assertContains(home, 'data-testid="late-step"', count=3)
            self.assertContains(dashboard, 'data-testid="late-step"', count=3)
            self.assertNotContains(self.client_as("volunteer").get("/"), "late-step")
            for step in incident.steps.filter(due_at__lt=EVENT + timedelta(minutes=90)):
                services.tick_step(
                    step=step,
                    told_whom="校长",
                    how="phone",
                    at=EVENT + timedelta(minutes=80),
                    by=self.teacher,
                )
            self.assertNotContains(self.client_as("county_officer").get("/"), "late-step")
            self.assertNotContains(
                self.client_as("county_officer").get(f"/stats/?org={county}"), "late-step"
            )

    def test_a_region_sets_its_own_chain(self):
        with time_machine.travel(EVENT - timedelta(days=1), tick=False):
            self.client_as("county_officer").post(
                "/safety/chain/", {"school_leadership": 10, "guardian": 30, "police": 60}
            )
        incident = self.report()
        assert [(s.key, s.due_at - EVENT) for s in incident.steps.all()] == [
            ("school_leadership", timedelta(minutes=10)),
            ("guardian", timedelta(minutes=30)),
            ("police", timedelta(minutes=60)),
        ]

    def test_the_notification_centre_counts_unread_and_opening_one_reads_it(self):
        incident = self.report()
        client = self.client_as("school_admin")
        assert client.get("/").context["unread"] == 1
        notice = Notification.objects.get(user=self.school_admin)
        response = client.get(f"/notices/{notice.pk}/")
        self.assertRedirects(response, f"/safety/{incident.pk}/")
        assert client.get("/").context["unread"] == 0
        other = self.client_as("teacher_b").get(f"/notices/{notice.pk}/")
        assert other.status_code == 404
