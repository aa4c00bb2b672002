"""督查: the township's officer inspects school a (under the township) and records findings, each
a rectification with a person responsible and a deadline; the school's admin answers with
evidence and photos; the inspector closes it or returns it. Past its deadline and not closed it
is overdue — counted for the dashboards and told once. School b's admin and school c's region
see nothing of it; an evidence photo is only ever served through the scoped view."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_q.models import Schedule

from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role
from shouwang.audit.models import AuditEntry
from shouwang.core.concurrency import StaleEdit
from shouwang.inspections import selectors, services
from shouwang.inspections.demo import add_demo_inspection
from shouwang.inspections.models import (
    EvidencePhoto,
    Inspection,
    Rectification,
    RectificationState,
    Step,
)
from shouwang.notices.models import Notification
from shouwang.stats.flows import Period
from tests.personas import TempMediaTestCase
from tests.world import PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
TODAY = DAY.date()
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def jpeg(name: str = "p.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, JPEG, "image/jpeg")


@time_machine.travel(DAY, tick=False)
class InspectionTests(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.admin_b = account_services.create_user(
            username="admin_b",
            password=PASSWORD,
            role=Role.SCHOOL_ADMIN,
            org=orgs["school_b"],
            full_name="西镇中学校长",
            by=None,
        )
        cls.officer_b = account_services.create_user(
            username="officer_b",
            password=PASSWORD,
            role=Role.REGION_OFFICER,
            org=orgs["county_b"],
            full_name="乙县干部",
            by=None,
        )

    def inspect(self, unit: str = "school_a", on: date = date(2026, 11, 10), **kw) -> Inspection:
        return services.record_inspection(
            unit=self.org(unit),
            on=on,
            kind=kw.pop("kind", "routine"),
            inspectors="张督学、李督学",
            summary_text="查阅档案",
            by=kw.pop("by", self.township_officer),
        )

    def finding(self, inspection: Inspection, deadline: date, **kw) -> Rectification:
        kw.setdefault("responsible_user", self.school_admin)
        return services.add_rectification(
            inspection=inspection,
            finding_text="档案缺少方便联系人",
            deadline=deadline,
            by=self.township_officer,
            **kw,
        )

    def answer_as_school(self, rectification: Rectification) -> None:
        services.answer(
            rectification=rectification,
            evidence_text="已补齐",
            photos=[jpeg()],
            by=self.school_admin,
            version=services.rectification_version(rectification),
        )

    def fresh(self, rectification: Rectification) -> Rectification:
        return Rectification.objects.get(pk=rectification.pk)

    # --- recording: only under one's region ---------------------------------------------------

    def test_township_officer_records_an_inspection_at_a_school_under_the_township(self):
        client = self.client_as("township_officer")
        response = client.post(
            reverse("inspections:add"),
            {
                "unit": self.org("school_a").pk,
                "on": "2026-11-20",
                "kind": "special",
                "inspectors": "张督学",
                "summary_text": "专项督查结对帮扶",
            },
        )
        inspection = Inspection.objects.get()
        self.assertRedirects(response, reverse("inspections:detail", args=[inspection.pk]))
        self.assertEqual(inspection.unit, self.org("school_a"))
        self.assertEqual(inspection.recorded_by, self.township_officer)
        response = client.post(
            reverse("inspections:add_rectification", args=[inspection.pk]),
            {
                "finding_text": "台账未更新",
                "responsible_user": self.school_admin.pk,
                "deadline": "2026-12-01",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            inspection.rectifications.get().responsible, self.school_admin.display_name
        )
        self.assertEqual(
            list(
                AuditEntry.objects.filter(object_type__startswith="inspections.")
                .order_by("pk")
                .values_list("object_type", "action")
            ),
            [("inspections.inspection", "create"), ("inspections.rectification", "create")],
        )

    def test_township_officer_cannot_record_at_a_school_outside_the_township(self):
        client = self.client_as("township_officer")
        for unit in ("school_b", "school_c"):  # the other township's, the other county's
            with self.subTest(unit=unit):
                response = client.post(
                    reverse("inspections:add"),
                    {
                        "unit": self.org(unit).pk,
                        "on": "2026-11-20",
                        "kind": "routine",
                        "inspectors": "张",
                    },
                )
                self.assertEqual(response.status_code, 200)
                self.assertIn("unit", response.context["form"].errors)
        self.assertFalse(Inspection.objects.exists())
        self.assertNotIn(self.org("school_c"), selectors.units_to_inspect(self.township_officer))
        # Held at school c by its county: a 404 to the township's officer, page and writes.
        other = self.inspect("school_c", by=self.officer_b)
        for name in ("inspections:detail", "inspections:edit", "inspections:add_rectification"):
            self.assertEqual(client.get(reverse(name, args=[other.pk])).status_code, 404)
        response = client.post(reverse("inspections:void", args=[other.pk]), {"reason": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertIsNone(Inspection.objects.get(pk=other.pk).voided_at)

    def test_a_school_admin_records_no_inspection(self):
        self.assertEqual(
            self.client_as("school_admin").get(reverse("inspections:add")).status_code, 404
        )
        with self.assertRaises(ValidationError):  # a class is not inspected
            self.inspect("class_a1")

    def test_responsible_person_works_at_the_unit_or_is_named(self):
        inspection = self.inspect()
        with self.assertRaises(ValidationError):
            self.finding(inspection, date(2026, 12, 1), responsible_user=self.admin_b)
        with self.assertRaises(ValidationError):
            self.finding(inspection, date(2026, 12, 1), responsible_user=None)
        named = self.finding(
            inspection, date(2026, 12, 1), responsible_user=None, responsible_name="王干事"
        )
        self.assertEqual(named.responsible, "王干事")

    # --- answer, close, return ----------------------------------------------------------------

    def test_school_admin_answers_with_evidence_and_cannot_close(self):
        rectification = self.finding(self.inspect(), date(2026, 12, 1))
        client = self.client_as("school_admin")
        response = client.post(
            reverse("inspections:answer", args=[rectification.pk]),
            {
                "evidence_text": "已逐一补填",
                "photos": [jpeg("a.jpg"), jpeg("b.jpg")],
                "version": services.rectification_version(rectification),
            },
        )
        self.assertEqual(response.status_code, 302)
        rectification = self.fresh(rectification)
        self.assertEqual(rectification.state, RectificationState.ANSWERED)
        step = rectification.steps.get()
        self.assertEqual((step.evidence_text, step.by), ("已逐一补填", self.school_admin))
        self.assertEqual(step.photos.count(), 2)
        # The inspector who recorded it is told.
        self.assertTrue(
            Notification.objects.filter(
                user=self.township_officer, key__startswith="rectification-answered"
            ).exists()
        )
        version = services.rectification_version(rectification)
        for name, body in (
            ("inspections:close", {"version": version}),
            ("inspections:return", {"version": version, "reason": "x"}),
            ("inspections:void_rectification", {"reason": "x"}),
        ):
            with self.subTest(name=name):
                self.assertEqual(
                    client.post(reverse(name, args=[rectification.pk]), body).status_code, 404
                )
        self.assertEqual(self.fresh(rectification).state, RectificationState.ANSWERED)

    def test_the_page_offers_each_side_its_own_buttons(self):
        rectification = self.finding(self.inspect(), date(2026, 12, 1))
        detail = reverse("inspections:detail", args=[rectification.inspection_id])
        answer = reverse("inspections:answer", args=[rectification.pk])
        close = reverse("inspections:close", args=[rectification.pk])
        school = self.client_as("school_admin")
        self.assertContains(school.get(detail), answer)
        self.answer_as_school(rectification)
        page = school.get(detail)
        self.assertNotContains(page, answer)
        self.assertNotContains(page, close)
        self.assertContains(
            page, reverse("inspections:photo", args=[EvidencePhoto.objects.get().pk])
        )
        page = self.client_as("township_officer").get(detail)
        self.assertContains(page, close)
        self.assertContains(page, reverse("inspections:return", args=[rectification.pk]))

    def test_inspector_returns_with_a_reason_then_closes(self):
        rectification = self.finding(self.inspect(), date(2026, 12, 1))
        self.answer_as_school(rectification)
        client = self.client_as("township_officer")
        response = client.post(
            reverse("inspections:return", args=[rectification.pk]),
            {
                "reason": "照片看不出补填内容",
                "version": services.rectification_version(rectification),
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.fresh(rectification).state, RectificationState.OPEN)
        self.assertTrue(
            Notification.objects.filter(
                user=self.school_admin, key__startswith="rectification-returned"
            ).exists()
        )
        with self.assertRaises(ValidationError):  # open again: nothing to close
            services.close(rectification=rectification, by=self.township_officer, version=None)
        self.answer_as_school(rectification)
        response = client.post(
            reverse("inspections:close", args=[rectification.pk]),
            {"comment": "已核实", "version": services.rectification_version(rectification)},
        )
        self.assertEqual(response.status_code, 302)
        rectification = self.fresh(rectification)
        self.assertEqual(rectification.state, RectificationState.CLOSED)
        self.assertEqual(rectification.closed_at, DAY)
        self.assertEqual(
            list(rectification.steps.values_list("kind", flat=True)),
            ["answer", "return", "answer", "close"],
        )
        page = client.get(reverse("inspections:detail", args=[rectification.inspection_id]))
        self.assertContains(page, "照片看不出补填内容")

    def test_an_officer_who_answered_does_not_close_their_own_answer(self):
        rectification = self.finding(self.inspect(), date(2026, 12, 1))
        services.answer(
            rectification=rectification,
            evidence_text="已补填记录册",
            by=self.township_officer,
            version=None,
        )
        with self.assertRaises(ValidationError):
            services.close(rectification=rectification, by=self.township_officer, version=None)
        services.close(rectification=rectification, by=self.county_officer, version=None)
        self.assertEqual(self.fresh(rectification).state, RectificationState.CLOSED)

    def test_a_stale_form_is_refused(self):
        rectification = self.finding(self.inspect(), date(2026, 12, 1))
        opened = services.rectification_version(rectification)
        self.answer_as_school(rectification)
        with self.assertRaises(StaleEdit):  # the deadline form opened before the answer
            services.change_rectification(
                rectification=rectification,
                finding_text="x",
                deadline=date(2026, 12, 5),
                responsible_name="王",
                by=self.township_officer,
                version=opened,
            )
        response = self.client_as("school_admin").post(
            reverse("inspections:answer", args=[rectification.pk]),
            {"evidence_text": "再答一次", "version": opened},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Step.objects.count(), 1)

    def test_the_edit_form_saves_what_it_shows_and_keeps_the_text_out_of_its_token(self):
        inspection = self.inspect()
        rectification = self.finding(inspection, date(2026, 12, 1))
        client = self.client_as("county_officer")
        url = reverse("inspections:edit_rectification", args=[rectification.pk])
        form = client.get(url).context["form"]
        self.assertEqual(form.initial["finding_text"], "档案缺少方便联系人")
        self.assertNotIn("档案", form.initial["version"])
        body = {
            "finding_text": form.initial["finding_text"],
            "responsible_user": self.school_admin.pk,
            "deadline": "2026-12-15",
            "version": form.initial["version"],
        }
        self.assertEqual(client.post(url, body).status_code, 302)
        self.assertEqual(self.fresh(rectification).deadline, date(2026, 12, 15))
        again = client.post(url, body | {"deadline": "2026-12-20"})  # the old version: stale
        self.assertEqual(again.status_code, 200)
        self.assertEqual(self.fresh(rectification).deadline, date(2026, 12, 15))
        edit = reverse("inspections:edit", args=[inspection.pk])
        opened = client.get(edit).context["form"].initial
        response = client.post(
            edit,
            {
                "on": "2026-11-11",
                "kind": "follow_up",
                "inspectors": opened["inspectors"],
                "summary_text": opened["summary_text"],
                "version": opened["version"],
            },
        )
        self.assertEqual(response.status_code, 302)
        inspection.refresh_from_db()
        self.assertEqual((inspection.on, inspection.kind), (date(2026, 11, 11), "follow_up"))

    def test_the_list_costs_the_same_queries_for_more_rows(self):
        client = self.client_as("county_officer")
        self.finding(self.inspect(), date(2026, 11, 20))
        client.get(reverse("inspections:index"))  # the session and the scope, once

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(client.get(reverse("inspections:index")).status_code, 200)
            return len(captured)

        few = queries()
        for unit in ("school_a", "village_a1", "school_b"):
            inspection = self.inspect(unit, by=self.county_officer)
            for days in (1, 5):
                self.finding(
                    inspection,
                    date(2026, 11, 20) + timedelta(days=days),
                    responsible_user=None,
                    responsible_name="某",
                )
        self.assertEqual(queries(), few)

    def test_void_keeps_the_rows_with_the_reason(self):
        inspection = self.inspect()
        rectification = self.finding(inspection, date(2026, 11, 20))
        services.void_rectification(
            rectification=rectification, reason="误录", by=self.township_officer
        )
        rectification = self.fresh(rectification)
        self.assertEqual(rectification.void_reason, "误录")
        self.assertEqual(selectors.overdue_rectifications(self.township_officer).count, 0)
        services.void_inspection(inspection=inspection, reason="重复", by=self.county_officer)
        self.assertEqual(Inspection.objects.get().void_reason, "重复")
        self.assertEqual(
            self.client_as("school_admin")
            .get(reverse("inspections:detail", args=[inspection.pk]))
            .status_code,
            200,
        )

    # --- overdue: the selector and the reminder -----------------------------------------------

    def plant_deadlines(self) -> dict[str, Rectification]:
        inspection = self.inspect()
        rows = {
            "yesterday": self.finding(inspection, TODAY - timedelta(days=1)),
            "today": self.finding(inspection, TODAY),
            "tomorrow": self.finding(inspection, TODAY + timedelta(days=1)),
            "answered_late": self.finding(inspection, date(2026, 11, 15)),
            "closed_late": self.finding(inspection, date(2026, 11, 15)),
            "voided_late": self.finding(inspection, date(2026, 11, 15)),
        }
        for key in ("answered_late", "closed_late"):
            self.answer_as_school(rows[key])
        services.close(rectification=rows["closed_late"], by=self.township_officer, version=None)
        services.void_rectification(
            rectification=rows["voided_late"], reason="误录", by=self.township_officer
        )
        village = self.inspect("village_a1")
        rows["village"] = self.finding(
            village, date(2026, 11, 18), responsible_user=None, responsible_name="村会计"
        )
        other = self.inspect("school_c", by=self.officer_b)
        rows["county_b"] = services.add_rectification(
            inspection=other,
            finding_text="x",
            deadline=date(2026, 11, 12),
            responsible_name="某",
            by=self.officer_b,
        )
        return rows

    def test_overdue_selector_counts_exactly_past_deadline_and_not_closed(self):
        rows = self.plant_deadlines()
        found = selectors.overdue_rectifications(self.county_officer)
        self.assertEqual(found.count, 3)  # yesterday's, the answered one, the village's
        self.assertEqual(
            {r.pk for r in found.rows},
            {rows[k].pk for k in ("yesterday", "answered_late", "village")},
        )
        at_school = selectors.overdue_rectifications(self.county_officer, self.org("school_a"))
        self.assertEqual(at_school.count, 2)
        self.assertEqual(selectors.overdue_rectifications(self.school_admin).count, 2)
        self.assertEqual(selectors.overdue_rectifications(self.village_director).count, 1)
        self.assertEqual(selectors.overdue_rectifications(self.admin_b).count, 0)
        self.assertEqual(selectors.overdue_rectifications(self.teacher).count, 0)
        self.assertEqual(selectors.overdue_rectifications(self.officer_b).count, 1)
        limited = selectors.overdue_rectifications(self.county_officer, limit=2)
        self.assertEqual((limited.count, len(limited.rows)), (3, 2))
        # A day later, today's deadline has passed too.
        with time_machine.travel(DAY + timedelta(days=1), tick=False):
            self.assertEqual(selectors.overdue_rectifications(self.county_officer).count, 4)
        # The list's filter says the same.
        page = self.client_as("county_officer").get(reverse("inspections:index"), {"overdue": "on"})
        self.assertEqual(len(page.context["rectifications"]), 3)

    def test_dashboard_part_shows_the_count(self):
        self.plant_deadlines()
        html = render_to_string(
            "inspections/_dashboard_part.html",
            {"overdue_rectifications": selectors.overdue_rectifications(self.school_admin)},
        )
        self.assertIn('data-testid="overdue-rectifications"', html)
        self.assertEqual(html.count('data-testid="overdue-rectification"'), 2)

    def test_the_home_pages_of_the_unit_and_the_region_show_what_is_overdue(self):
        self.plant_deadlines()
        for persona, shown in (("school_admin", 2), ("county_officer", 3)):
            page = self.client_as(persona).get(reverse("web:home")).content.decode()
            self.assertIn('data-testid="overdue-rectifications"', page)
            self.assertEqual(page.count('data-testid="overdue-rectification"'), shown, persona)
        teacher = self.client_as("teacher").get(reverse("web:home")).content.decode()
        self.assertNotIn("overdue-rectifications", teacher)

    def test_overdue_is_told_once_to_the_unit_and_the_region_above(self):
        rows = self.plant_deadlines()
        now = DAY
        told = services.tell_overdue(now)
        self.assertEqual(told, 4)  # the three of county a, and county b's
        notes = Notification.objects.filter(key__startswith="rectification-overdue")
        key = (
            f"rectification-overdue-{rows['yesterday'].pk}-{rows['yesterday'].deadline.isoformat()}"
        )
        self.assertEqual(
            set(notes.filter(key=key).values_list("user__username", flat=True)),
            {"school_admin", "township_officer", "county_officer", "federation_officer"},
        )
        village_key = f"rectification-overdue-{rows['village'].pk}-2026-11-18"
        self.assertIn(
            "village_director",
            notes.filter(key=village_key).values_list("user__username", flat=True),
        )
        self.assertNotIn("admin_b", notes.values_list("user__username", flat=True))
        count = notes.count()
        self.assertEqual(services.tell_overdue(now + timedelta(hours=1)), 0)
        self.assertEqual(notes.count(), count)
        # The next day, today's deadline has passed: that one, once; tomorrow's not yet.
        self.assertEqual(services.tell_overdue(now + timedelta(days=1)), 1)
        self.assertTrue(notes.filter(key__contains=f"-{rows['today'].pk}-").exists())
        self.assertFalse(notes.filter(key__contains=f"-{rows['tomorrow'].pk}-").exists())
        self.assertEqual(services.tell_overdue(now + timedelta(days=1, hours=1)), 0)
        self.assertEqual(AuditEntry.objects.filter(changes__has_key="overdue_told_at").count(), 5)

    def test_the_task_is_scheduled(self):
        self.assertTrue(
            Schedule.objects.filter(func="shouwang.inspections.tasks.tell_overdue").exists()
        )

    # --- walls -------------------------------------------------------------------------------

    def test_school_b_admin_sees_nothing_of_school_a(self):
        rectification = self.finding(self.inspect(), date(2026, 11, 20))
        self.answer_as_school(rectification)
        photo = EvidencePhoto.objects.get()
        client = self.client_for(self.admin_b)
        page = client.get(reverse("inspections:index"))
        self.assertEqual(page.status_code, 200)
        self.assertEqual(list(page.context["rectifications"]), [])
        self.assertEqual(list(page.context["inspections"]), [])
        for name, pk in (
            ("inspections:detail", rectification.inspection_id),
            ("inspections:answer", rectification.pk),
            ("inspections:photo", photo.pk),
        ):
            with self.subTest(name=name):
                self.assertEqual(client.get(reverse(name, args=[pk])).status_code, 404)
        self.assertEqual(selectors.overdue_rectifications(self.admin_b).count, 0)

    def client_for(self, user):
        client = Client(REMOTE_ADDR="127.0.0.1")
        client.force_login(user)
        return client

    def test_evidence_photo_only_through_the_scoped_view(self):
        rectification = self.finding(self.inspect(), date(2026, 12, 1))
        self.answer_as_school(rectification)
        photo = EvidencePhoto.objects.get()
        self.assertNotIn("p.jpg", photo.image.name)  # a random name, not the phone's
        self.assertFalse(getattr(settings, "MEDIA_URL", "").strip("/"))  # no public media URL
        url = reverse("inspections:photo", args=[photo.pk])
        response = self.client_as("school_admin").get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(b"".join(response.streaming_content), JPEG)
        for persona in ("teacher", "village_director", "counselor", "volunteer"):
            with self.subTest(persona=persona):
                self.assertEqual(self.client_as(persona).get(url).status_code, 404)

    def test_a_file_that_is_no_image_is_refused(self):
        rectification = self.finding(self.inspect(), date(2026, 12, 1))
        response = self.client_as("school_admin").post(
            reverse("inspections:answer", args=[rectification.pk]),
            {
                "evidence_text": "已补齐",
                "photos": SimpleUploadedFile("fake.jpg", b"MZ\x90\x00 not a jpeg", "image/jpeg"),
                "version": services.rectification_version(rectification),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("photos", response.context["form"].errors)
        self.assertFalse(EvidencePhoto.objects.exists())
        self.assertEqual(self.fresh(rectification).state, RectificationState.OPEN)

    # --- for the 工作总结, and the demo --------------------------------------------------------

    def test_open_rectifications_of_a_unit_over_a_period(self):
        rows = self.plant_deadlines()
        november = Period(date(2026, 11, 1), date(2026, 11, 30))
        # Closed today (11-24, within the period): not open at its end.
        self.assertEqual(selectors.open_rectifications(self.org("school_a"), november), 4)
        self.assertEqual(selectors.open_rectifications(self.org("county_a"), november), 5)
        october = Period(date(2026, 10, 1), date(2026, 10, 31))
        self.assertEqual(selectors.open_rectifications(self.org("county_a"), october), 0)
        self.assertIsNotNone(self.fresh(rows["closed_late"]).closed_at)

    def test_demo_inspection_has_one_closed_and_one_overdue(self):
        admin = account_services.create_user(
            username="demo-school",
            password=PASSWORD,
            role=Role.SCHOOL_ADMIN,
            org=self.org("school_a"),
            by=None,
        )
        account_services.create_user(
            username="demo-township",
            password=PASSWORD,
            role=Role.REGION_OFFICER,
            org=self.org("township_a1"),
            by=None,
        )
        inspection = add_demo_inspection(county=self.org("county_a"), today=TODAY)
        assert inspection is not None
        states = sorted(inspection.rectifications.values_list("state", flat=True))
        self.assertEqual(states, ["closed", "open"])
        self.assertEqual(selectors.overdue_rectifications(admin).count, 1)
