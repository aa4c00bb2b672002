"""Ledger exports probed as an attacker and as two clerks at once (issue 18): nobody but the one
who asked learns of a job or downloads it, nobody approves their own or a decided one, every
write is on the audit log, and the file on disk and its name on the wire are the server's."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shouwang.accounts.models import RoleAssignment
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.ledger import exports
from shouwang.ledger.models import ExportJob, ExportState
from shouwang.notices import alerts
from shouwang.notices.models import Notification
from shouwang.orgs.models import Org
from tests.ledger.test_export_jobs import NOW, ExportJobTestCase, cells, workbook


@time_machine.travel(NOW, tick=False)
class NobodyElseLearnsOfAJobTests(ExportJobTestCase):
    def test_anothers_job_is_a_404_like_a_number_never_used(self):
        self.ask("county_officer", "county_a", unmasked=True)  # waiting for a second person
        self.ask("school_admin", "school_a")  # ready
        waiting, ready = ExportJob.objects.order_by("pk")
        unused = ready.pk + 100
        for persona in ("teacher", "counselor", "township_officer", "sysadmin"):
            client = self.client_as(persona)
            for pk in (waiting.pk, ready.pk, unused):
                with self.subTest(persona=persona, pk=pk):
                    url = reverse("ledger:export_download", args=[pk])
                    self.assertEqual(client.get(url).status_code, 404)
        # The ready job is no one's to decide: a 404 for everyone, the sysadmin included.
        for persona in ("county_officer", "sysadmin", "federation_officer"):
            with self.subTest(persona=persona):
                self.assertEqual(self.decide(self.client_as(persona), ready).status_code, 404)

    def test_anothers_job_is_not_on_the_exports_page_nor_in_its_polling(self):
        self.ask("school_admin", "school_a")
        job = ExportJob.objects.get()
        for persona in ("county_officer", "counselor", "sysadmin"):
            client = self.client_as(persona)
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                with self.subTest(persona=persona, headers=headers):
                    page = client.get(reverse("ledger:exports"), **headers)
                    self.assertNotContains(page, job.serial)
                    self.assertNotContains(page, 'data-testid="export-job"')


@time_machine.travel(NOW, tick=False)
class NoDownloadOutsideItsTimeTests(ExportJobTestCase):
    def test_no_file_before_the_approval_nor_after_a_refusal(self):
        self.ask("county_officer", "county_a", unmasked=True)
        job = ExportJob.objects.get()
        own = self.client_as("county_officer")
        waiting = self.download(own, job)
        self.assertEqual(waiting.status_code, 410)
        self.assertContains(waiting, "等待", status_code=410)  # not "expired": it waits
        self.decide(self.as_second_officer(), job, "refuse")
        refused = self.download(own, job)
        self.assertContains(refused, "拒绝", status_code=410)
        self.assertFalse(AuditEntry.objects.filter(action=AuditAction.EXPORT).exists())

    def test_a_requester_who_lost_the_right_downloads_nothing(self):
        self.ask("school_admin", "school_a", unmasked=True)
        job = ExportJob.objects.get()
        RoleAssignment.objects.filter(user=self.school_admin).update(
            is_active=False, ended_at=timezone.now()
        )
        response = self.logged_in(self.school_admin).get(
            reverse("ledger:export_download", args=[job.pk])
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(ExportJob.objects.get().downloads, 0)


@time_machine.travel(NOW, tick=False)
class NobodyApprovesTheirOwnTests(ExportJobTestCase):
    def test_the_service_refuses_the_requester_whatever_the_page_did(self):
        self.ask("county_officer", "county_a", unmasked=True)
        job = ExportJob.objects.get()
        for decide in (exports.approve_export, exports.refuse_export):
            with self.subTest(decide=decide.__name__), self.assertRaises(PermissionDenied):
                decide(job=job, by=self.county_officer)
        # A second tab of the same login: the same person, the same 404.
        second_tab = self.logged_in(self.county_officer)
        self.assertEqual(self.decide(second_tab, job).status_code, 404)
        job.refresh_from_db()
        self.assertEqual(job.state, ExportState.AWAITING_APPROVAL)

    def test_a_stale_approve_form_is_refused_in_chinese(self):
        self.ask("county_officer", "county_a", unmasked=True)
        job = ExportJob.objects.get()
        self.decide(self.client_as("federation_officer"), job, "refuse")
        # The second officer's page was opened before the refusal: they press 批准.
        second = self.as_second_officer()
        response = self.decide(second, job)
        self.assertRedirects(response, reverse("ledger:exports"))
        [message] = [str(m) for m in get_messages(response.wsgi_request)]
        self.assertIn("已", message)
        self.assertNotIn("approved", message)
        job.refresh_from_db()
        self.assertEqual(
            (job.state, job.decided_by), (ExportState.REFUSED, self.federation_officer)
        )
        self.assertEqual(
            AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(job.pk)).count(), 1
        )

    def test_a_stale_decision_through_the_service_changes_nothing(self):
        self.ask("county_officer", "county_a", unmasked=True)
        job = ExportJob.objects.get()  # read by both approvers while it waits
        with self.captureOnCommitCallbacks(execute=True):
            exports.approve_export(job=job, by=self.second_officer)
        with self.assertRaises(ValidationError):
            exports.refuse_export(job=job, by=self.federation_officer)
        job.refresh_from_db()
        self.assertEqual((job.state, job.decided_by), (ExportState.READY, self.second_officer))


@pytest.mark.postgresql  # SQLite takes the whole database instead: nothing to lock
@time_machine.travel(NOW, tick=False)
class TwoApproversAtOnceTests(ExportJobTestCase):
    def test_a_decision_reads_the_job_under_a_row_lock(self):
        """Two approvers pressing at once: the second waits for the first's commit on the row,
        then reads it decided (the stale-decision test above). SQLite's immediate
        transactions (settings) serialise the two instead."""
        self.ask("county_officer", "county_a", unmasked=True)
        job = ExportJob.objects.get()
        with CaptureQueriesContext(connection) as ctx:
            exports.refuse_export(job=job, by=self.second_officer)
        locked = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
        self.assertTrue(any('"ledger_exportjob"' in sql for sql in locked), locked)


@time_machine.travel(NOW, tick=False)
class SamePersonTwoLoginsTests(ExportJobTestCase):
    def test_a_second_login_of_the_same_person_does_not_approve(self):
        """The county officer also holds the second officer's login (one phone, one person):
        the second login neither sees the export waiting nor approves it."""
        self.county_officer.phone = self.second_officer.phone = "13800138000"
        self.county_officer.save(update_fields=["phone"])
        self.second_officer.save(update_fields=["phone"])
        self.ask("county_officer", "county_a", unmasked=True)
        job = ExportJob.objects.get()
        told = Notification.objects.filter(key=f"export-{job.pk}-approve")
        self.assertNotIn(self.second_officer, [n.user for n in told])
        alt = self.as_second_officer()
        page = alt.get(reverse("ledger:exports"))
        self.assertNotContains(page, 'data-testid="export-waiting"')
        self.assertEqual(self.decide(alt, job).status_code, 404)
        with self.assertRaises(PermissionDenied):
            exports.approve_export(job=job, by=self.second_officer)
        job.refresh_from_db()
        self.assertEqual(job.state, ExportState.AWAITING_APPROVAL)
        # Someone else with a phone of their own still approves.
        self.decide(self.client_as("federation_officer"), job)
        job.refresh_from_db()
        self.assertEqual(job.decided_by, self.federation_officer)


@time_machine.travel(NOW, tick=False)
class MaskedOnlyTests(ExportJobTestCase):
    def test_a_counselor_who_tampers_the_form_gets_the_ledger_masked(self):
        self.ask("counselor", "school_a", unmasked=True)
        job = ExportJob.objects.get()
        self.assertFalse(job.unmasked)
        book = workbook(self.download(self.client_as("counselor"), job))
        self.assertIn("甲一", cells(book))
        self.assertNotIn(self.a1.id_number, cells(book))


@time_machine.travel(NOW, tick=False)
class AuditAndFilesTests(ExportJobTestCase):
    def test_the_expiry_purge_is_on_the_audit_log(self):
        self.ask("school_admin", "school_a")
        job = ExportJob.objects.get()
        with time_machine.travel(NOW + timedelta(hours=25), tick=False):
            self.assertEqual(exports.purge_expired(), 1)
        purged = AuditEntry.objects.get(
            action=AuditAction.PURGE, object_type="ledger.exportjob", object_id=str(job.pk)
        )
        self.assertIsNone(purged.actor)
        self.assertEqual(purged.changes["serial"], job.serial)
        self.assertEqual(purged.changes["state"], [ExportState.READY, ExportState.EXPIRED])

    def test_the_exports_folder_is_the_servers_alone_even_if_made_open_before(self):
        folder = Path(self.staged.parent) / "exports"
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)
        self.ask("school_admin", "school_a")
        self.assertEqual(stat.S_IMODE(folder.stat().st_mode), 0o700)
        [kept] = folder.iterdir()
        self.assertEqual(stat.S_IMODE(kept.stat().st_mode), 0o600)
        self.assertEqual(kept.name, f"{ExportJob.objects.get().serial}.xlsx")

    def test_a_unit_name_never_shapes_the_download_header(self):
        Org.objects.filter(pk=self.org("school_a").pk).update(name='../"东镇\r\n中学/..\\x;y')
        self.ask("school_admin", "school_a")
        job = ExportJob.objects.get()
        response = self.download(self.client_as("school_admin"), job)
        self.assertEqual(response.status_code, 200)
        header = response["Content-Disposition"]
        self.assertTrue(header.startswith("attachment; filename*=utf-8''"), header)
        for bad in ("/", "\\", '"', "\r", "\n", "..", "%2F", "%5C", "%22", "%0D", "%0A", ";"):
            self.assertNotIn(bad, header.split("filename*=utf-8''", 1)[1], header)
        self.assertIn("%E4%B8%9C%E9%95%87", header)  # 东镇 kept

    def test_the_file_and_the_exports_page_are_never_kept_by_a_cache(self):
        self.ask("school_admin", "school_a")
        job = ExportJob.objects.get()
        client = self.client_as("school_admin")
        for response in (self.download(client, job), client.get(reverse("ledger:exports"))):
            with self.subTest(url=response.wsgi_request.path):
                self.assertIn("no-store", response["Cache-Control"])
                self.assertIn("private", response["Cache-Control"])

    def test_the_watermark_reads_beijing_time_whatever_the_servers_zone(self):
        with self.settings(TIME_ZONE="UTC"):
            self.ask("school_admin", "school_a")
            job = ExportJob.objects.get()
            line = workbook(self.download(self.client_as("school_admin"), job)).active.cell(2, 1)
        self.assertIn("2026-11-24 09:30", line.value)
        self.assertIn(job.serial, line.value)


@time_machine.travel(NOW, tick=False)
class AlertTests(ExportJobTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["ratelimit"].clear()  # counts of other tests at the same pinned minute

    def test_a_404_below_the_limit_writes_nothing_to_the_database(self):
        with CaptureQueriesContext(connection) as ctx:
            self.assertFalse(alerts.note(alerts.NOT_FOUND, self.teacher))
        self.assertEqual(ctx.captured_queries, [])

    def test_404s_through_the_api_token_count_like_the_pages(self):
        from django.test import Client
        from rest_framework.authtoken.models import Token

        token = Token.objects.create(user=self.teacher)
        api = Client(REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token.key}")
        with self.settings(SHOUWANG_ALERT_NOT_FOUND=2):
            for pk in range(900001, 900004):  # walking numbers behind the API
                self.assertEqual(api.get(f"/api/v1/children/{pk}/").status_code, 404)
        told = Notification.objects.filter(key__startswith="alert-not_found-")
        self.assertEqual([n.user for n in told], [self.sysadmin])
        self.assertIn("teacher", told[0].text)

    def test_alerts_reach_only_the_sysadmins(self):
        with self.settings(SHOUWANG_ALERT_EXPORTS=1):
            for _ in range(3):
                self.ask("county_officer", "county_a")
        told = Notification.objects.filter(key__startswith="alert-exports-")
        self.assertEqual({n.user.username for n in told}, {"sysadmin"})
        self.assertEqual(told.count(), 1)
