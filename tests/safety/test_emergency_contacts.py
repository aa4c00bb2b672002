"""The emergency page says whom to call at each step, with tap-to-call phones; an emergency is
reported from /safety/ by picking the child, among one's own children only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from shouwang.accounts.models import User
from shouwang.audit import reads
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.safety import services
from shouwang.safety.models import Incident
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CST)


@time_machine.travel(NOW, tick=False)
class EmergencyContactTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.child = make_child(school_class=cls.world.orgs["class_a1"], name="甲一")
        cls.other = make_child(school_class=cls.world.orgs["class_b1"], name="甲二")
        for persona, phone in (("school_admin", "13900000001"), ("county_officer", "13900000002")):
            User.objects.filter(username=persona).update(phone=phone)

    def steps_of(self, page: str) -> dict[str, str]:
        """Step key → the step's HTML (up to the next step)."""
        parts = page.split('data-testid="step" data-key="')[1:]
        return {part.split('"', 1)[0]: part for part in parts}

    def test_each_step_shows_whom_to_call_with_tap_to_call_phones(self):
        incident = services.report_incident(
            child=self.child,
            kind="injury",
            occurred_at=NOW,
            place="操场",
            description="课间摔倒，手臂擦伤",
            by=self.teacher,
        )
        page = self.client_as("school_admin").get(reverse("safety:detail", args=[incident.pk]))
        steps = self.steps_of(page.content.decode())
        self.assertIn('href="tel:13900000001"', steps["school_leadership"])
        self.assertIn('href="tel:13800000003"', steps["guardian"])  # 张爷爷
        self.assertIn("张爷爷", steps["guardian"])
        self.assertIn('href="tel:13800000001"', steps["parents"])
        self.assertIn('href="tel:13800000002"', steps["parents"])
        self.assertIn('href="tel:13900000002"', steps["education_bureau"])  # the county's officer
        self.assertNotIn("13900000002", steps["school_leadership"])
        reads.flush()
        self.assertTrue(
            AuditEntry.objects.filter(
                action=AuditAction.REVEAL,
                object_id=str(self.child.pk),
                actor_id=self.school_admin.pk,
            ).exists()
        )

    def test_a_closed_incident_shows_no_phones(self):
        incident = services.report_incident(
            child=self.child,
            kind="illness",
            occurred_at=NOW,
            place="教室",
            description="发烧",
            by=self.teacher,
        )
        services.close_incident(incident=incident, outcome="已送医", by=self.school_admin)
        page = self.client_as("school_admin").get(reverse("safety:detail", args=[incident.pk]))
        self.assertNotContains(page, "tel:")

    def test_an_emergency_is_reported_from_safety_by_picking_the_child(self):
        client = self.client_as("teacher")
        self.assertContains(
            client.get(reverse("safety:incidents")), 'data-testid="report-emergency"'
        )
        found = client.get(reverse("safety:report"), {"q": "甲"})
        self.assertContains(found, f'?child={self.child.pk}"')
        self.assertNotContains(found, "甲二")  # another school's child
        by_initials = client.get(
            reverse("safety:report"), {"q": "jy"}, headers={"HX-Request": "true"}
        )
        self.assertContains(by_initials, "甲一")
        self.assertNotContains(by_initials, "<html")  # only the list, for the search as one types
        url = reverse("safety:report") + f"?child={self.child.pk}"
        response = client.post(
            url,
            {
                "kind": "injury",
                "occurred_at": "2026-11-24T09:50",
                "place": "操场",
                "description": "摔伤了膝盖",
            },
        )
        incident = Incident.objects.get(child=self.child)
        self.assertRedirects(response, reverse("safety:detail", args=[incident.pk]))

    def test_a_child_out_of_scope_is_404_and_nothing_is_reported(self):
        url = reverse("safety:report") + f"?child={self.other.pk}"
        self.assertEqual(self.client_as("teacher").get(url).status_code, 404)
        response = self.client_as("teacher").post(
            url,
            {
                "kind": "injury",
                "occurred_at": "2026-11-24T09:50",
                "place": "操场",
                "description": "x",
            },
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Incident.objects.exists())
        self.assertEqual(self.client_as("volunteer").get(reverse("safety:report")).status_code, 404)
