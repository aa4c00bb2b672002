"""The sysadmins are alerted (issue 18) when one person asks for many exports, or gets many
pages that are not there, in a short time: once per person and window, in the app (and by text or
e-mail through the outbox) and on the audit log."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from shouwang.audit.models import AuditEntry
from shouwang.ledger.models import ExportJob
from shouwang.notices.models import Notification
from tests.personas import PersonaTestCase

NOW = datetime(2026, 11, 24, 9, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@time_machine.travel(NOW, tick=False)
class AlertTests(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["ratelimit"].clear()
        media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        for override in (
            self.settings(MEDIA_ROOT=media),
            self.settings(SHOUWANG_ALERT_EXPORTS=10, SHOUWANG_ALERT_EXPORTS_MINUTES=10),
            self.settings(SHOUWANG_ALERT_NOT_FOUND=50, SHOUWANG_ALERT_NOT_FOUND_MINUTES=5),
        ):
            override.enable()
            self.addCleanup(override.disable)

    def alerts_to(self, persona: str, kind: str) -> list[Notification]:
        return list(
            Notification.objects.filter(
                user=self.world.users[persona], key__startswith=f"alert-{kind}-"
            )
        )

    def logged_in(self, persona: str) -> Client:
        client = Client(REMOTE_ADDR="127.0.0.1")
        client.force_login(self.world.users[persona])
        return client

    def test_many_exports_by_one_officer_alert_the_sysadmins_once(self):
        client = self.client_as("county_officer")
        url = reverse("ledger:export", args=[self.org("county_a").code])
        for n in range(1, 31):  # 30 unmasked county exports in a few minutes (issue 18)
            client.post(url, {"unmasked": "1"})
            if n == 10:
                self.assertEqual(self.alerts_to("sysadmin", "exports"), [])  # ten are allowed
        self.assertEqual(ExportJob.objects.count(), 30)
        [alert] = self.alerts_to("sysadmin", "exports")
        self.assertIn("county_officer", alert.text)
        self.assertIn("11", alert.text)
        self.assertIn("10 分钟", alert.text)
        self.assertEqual(self.alerts_to("county_officer", "exports"), [])  # the sysadmins only
        [entry] = AuditEntry.objects.filter(changes__alert="exports")
        self.assertEqual((entry.actor, entry.changes["count"]), (self.county_officer, 11))

    def test_the_next_window_alerts_again(self):
        url = reverse("ledger:export", args=[self.org("school_a").code])
        for minutes in (0, 10):
            with time_machine.travel(NOW + timedelta(minutes=minutes), tick=False):
                client = self.logged_in("school_admin")
                for _ in range(12):
                    client.post(url)
        self.assertEqual(len(self.alerts_to("sysadmin", "exports")), 2)

    def test_many_pages_not_found_alert_the_sysadmins_once(self):
        client = self.client_as("teacher")
        for pk in range(1, 80):  # walking through children's numbers
            self.assertEqual(client.get(f"/children/{900000 + pk}/").status_code, 404)
            if pk == 50:
                self.assertEqual(self.alerts_to("sysadmin", "not_found"), [])
        [alert] = self.alerts_to("sysadmin", "not_found")
        self.assertIn("teacher", alert.text)
        self.assertIn("51", alert.text)
        self.assertEqual(AuditEntry.objects.filter(changes__alert="not_found").count(), 1)

    def test_pages_found_and_other_peoples_404s_do_not_add_up(self):
        for persona in ("teacher", "teacher_b"):
            client = self.client_as(persona)
            for pk in range(30):
                client.get(f"/children/{900000 + pk}/")
                client.get("/")
        self.assertEqual(self.alerts_to("sysadmin", "not_found"), [])
