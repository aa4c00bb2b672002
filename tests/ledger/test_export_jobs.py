"""Ledger exports as jobs (issue 18): asked for on the page, written by the worker (a small one at
once) with progress on the exports page, approved by a second person when unmasked above a
school, watermarked with who, when and a serial, downloaded only by the one who asked, until
they expire."""

from __future__ import annotations

import io
import stat
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_q.models import OrmQ

from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.children.models import Child
from shouwang.ledger import exports, tasks
from shouwang.ledger.models import ExportJob, ExportState
from shouwang.ledger.services import import_ledger
from shouwang.notices.models import Notification
from tests.children.factories import make_child
from tests.personas import TempMediaTestCase
from tests.world import PASSWORD

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=CST)


def workbook(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def cells(book: openpyxl.Workbook) -> str:
    return str([list(row) for row in book.active.iter_rows(values_only=True)])


@time_machine.travel(NOW, tick=False)
class ExportJobTestCase(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a1 = make_child(school_class=orgs["class_a1"], name="甲一")
        cls.b1 = make_child(school_class=orgs["class_b1"], name="乙一")
        # A second officer of the county: the one who approves the first's export.
        cls.second_officer = account_services.create_user(
            username="county_officer_2",
            password=PASSWORD,
            role=Role.REGION_OFFICER,
            org=orgs["county_a"],
            full_name="测试第二位县干部",
            by=None,
        )

    def setUp(self) -> None:
        super().setUp()
        translation.activate("zh-hans")
        self.addCleanup(translation.deactivate)

    def ask(self, persona: str, org: str, *, unmasked: bool = False):
        client = self.client_as(persona)
        with self.captureOnCommitCallbacks(execute=True):
            return client.post(
                reverse("ledger:export", args=[self.org(org).code]),
                {"unmasked": "1"} if unmasked else {},
            )

    def as_second_officer(self):
        return self.logged_in(self.second_officer)

    def logged_in(self, user) -> Client:
        """A new session (the idle timeout ends one that a test's clock moved past)."""
        client = Client(REMOTE_ADDR="127.0.0.1")
        client.force_login(user)
        return client

    def decide(self, client, job: ExportJob, what: str = "approve"):
        with self.captureOnCommitCallbacks(execute=True):
            return client.post(reverse(f"ledger:export_{what}", args=[job.pk]))

    def download(self, client, job: ExportJob):
        return client.get(reverse("ledger:export_download", args=[job.pk]))


class SchoolExportTests(ExportJobTestCase):
    def test_a_school_admin_asks_for_the_ledger_and_downloads_it_from_the_exports_page(self):
        response = self.ask("school_admin", "school_a")
        self.assertRedirects(response, reverse("ledger:exports"))
        job = ExportJob.objects.get()
        self.assertEqual((job.state, job.rows_done, job.rows_total), (ExportState.READY, 1, 1))
        page = self.client_as("school_admin").get(reverse("ledger:exports"))
        self.assertContains(page, 'data-testid="export-download"')
        self.assertNotContains(page, "hx-trigger")  # nothing left to wait for
        book = workbook(self.download(self.client_as("school_admin"), job))
        self.assertIn("甲一", cells(book))
        self.assertNotIn("乙一", cells(book))  # another school's child
        self.assertNotIn(self.a1.id_number, cells(book))  # masked, as asked
        # The file under var/ is the server's alone.
        [kept] = (Path(self.staged.parent) / "exports").iterdir()
        self.assertEqual(stat.S_IMODE(kept.stat().st_mode), 0o600)
        job.refresh_from_db()
        self.assertEqual(job.downloads, 1)

    def test_a_schools_unmasked_export_needs_no_second_person(self):
        self.ask("school_admin", "school_a", unmasked=True)
        job = ExportJob.objects.get()
        self.assertEqual((job.unmasked, job.state), (True, ExportState.READY))
        self.assertIn(
            self.a1.id_number, cells(workbook(self.download(self.client_as("school_admin"), job)))
        )

    def test_only_the_one_who_asked_downloads_the_file(self):
        self.ask("school_admin", "school_a")
        job = ExportJob.objects.get()
        for persona in ("county_officer", "counselor", "sysadmin"):
            with self.subTest(persona=persona):
                self.assertEqual(self.download(self.client_as(persona), job).status_code, 404)

    def test_every_download_is_on_the_audit_log_with_the_serial(self):
        self.ask("school_admin", "school_a")
        job = ExportJob.objects.get()
        for _ in range(2):
            self.download(self.client_as("school_admin"), job)
        downloads = AuditEntry.objects.filter(
            action=AuditAction.EXPORT, object_type="ledger.exportjob", object_id=str(job.pk)
        )
        self.assertEqual(sorted(e.changes["downloaded"] for e in downloads), [1, 2])
        self.assertEqual({e.changes["serial"] for e in downloads}, {job.serial})

    def test_someone_outside_the_unit_cannot_ask_for_its_ledger(self):
        for persona, org in (
            ("teacher_b", "school_a"),
            ("volunteer", "school_a"),
            ("township_officer", "school_b"),  # 西镇中学 is not in 东镇
        ):
            with self.subTest(persona=persona):
                self.assertEqual(self.ask(persona, org).status_code, 404)
        self.assertFalse(ExportJob.objects.exists())


class WatermarkTests(ExportJobTestCase):
    def test_every_exported_ledger_names_who_when_and_its_serial(self):
        self.ask("school_admin", "school_a")
        job = ExportJob.objects.get()
        book = workbook(self.download(self.client_as("school_admin"), job))
        sheet = book.active
        line = sheet.cell(2, 1).value  # under the title, above the header
        self.assertIn("测试school_admin", line)
        self.assertIn(job.serial, line)
        self.assertIn("2026-11-24 09:30", line)  # Beijing time
        self.assertEqual(sheet.cell(3, 1).value, "姓名")
        self.assertIn(job.serial, sheet.oddHeader.center.text)
        self.assertIn(job.serial, sheet.oddFooter.right.text)
        self.assertIn("school_admin", book.properties.creator)
        self.assertEqual(book.properties.keywords, job.serial)
        self.assertEqual(book.custom_doc_props["serial"].value, job.serial)
        # The serial leads from the file to the audit log's entry of its writing.
        written = AuditEntry.objects.get(
            action=AuditAction.EXPORT, changes__serial=job.serial, object_type=""
        )
        self.assertEqual((written.actor, written.changes["rows"]), (self.school_admin, 1))

    def test_the_command_line_export_is_watermarked_with_the_operator(self):
        out = Path(self.staged.parent) / "cli.xlsx"
        call_command("export_ledger", "--org", self.org("school_a").code, "--out", str(out))
        book = openpyxl.load_workbook(out)
        serial = book.properties.keywords
        self.assertRegex(serial, r"^TZ20261124-[0-9A-F]{8}$")
        self.assertIn(serial, book.active.cell(2, 1).value)
        self.assertIn("命令行", book.active.cell(2, 1).value)
        self.assertTrue(AuditEntry.objects.filter(changes__serial=serial).exists())

    def test_an_exported_ledger_is_read_back_by_the_import_watermark_and_all(self):
        make_child(school_class=self.org("class_a2"), name="甲二", male=False)
        self.ask("school_admin", "school_a", unmasked=True)
        job = ExportJob.objects.get()
        path = Path(self.staged.parent) / "back.xlsx"
        path.write_bytes(
            b"".join(self.download(self.client_as("school_admin"), job).streaming_content)
        )
        result = import_ledger(
            source=path, filename=path.name, org=self.org("school_a"), by=self.school_admin
        ).result
        self.assertEqual(result.errors, [])
        self.assertEqual((result.rows, result.unchanged, result.created), (2, 2, 0))
        self.assertEqual(result.unknown_columns, [])


class ApprovalTests(ExportJobTestCase):
    def test_an_unmasked_county_export_waits_for_a_second_officer_and_then_is_written(self):
        response = self.ask("county_officer", "county_a", unmasked=True)
        self.assertRedirects(response, reverse("ledger:exports"))
        job = ExportJob.objects.get()
        self.assertEqual(job.state, ExportState.AWAITING_APPROVAL)
        self.assertEqual(self.download(self.client_as("county_officer"), job).status_code, 410)

        # Those who may make the same export are told: not the one who asked, not a township.
        told = set(
            Notification.objects.filter(key=f"export-{job.pk}-approve").values_list(
                "user__username", flat=True
            )
        )
        self.assertEqual(told, {"county_officer_2", "federation_officer", "sysadmin"})

        # The one who asked cannot approve it, nor sees it waiting for them.
        own = self.client_as("county_officer")
        self.assertEqual(self.decide(own, job).status_code, 404)
        self.assertNotContains(own.get(reverse("ledger:exports")), 'data-testid="export-waiting"')
        job.refresh_from_db()
        self.assertEqual(job.state, ExportState.AWAITING_APPROVAL)

        second = self.as_second_officer()
        self.assertContains(second.get(reverse("ledger:exports")), 'data-testid="export-waiting"')
        self.assertRedirects(self.decide(second, job), reverse("ledger:exports"))
        job.refresh_from_db()
        self.assertEqual((job.state, job.decided_by), (ExportState.READY, self.second_officer))
        book = workbook(self.download(own, job))
        self.assertIn(self.a1.id_number, cells(book))
        self.assertIn(self.b1.id_number, cells(book))
        approval = AuditEntry.objects.get(
            action=AuditAction.UPDATE, object_type="ledger.exportjob", object_id=str(job.pk)
        )
        self.assertEqual(
            (approval.actor, approval.changes["approved"], approval.changes["serial"]),
            (self.second_officer, True, job.serial),
        )
        self.assertTrue(
            Notification.objects.filter(user=self.county_officer, key=f"export-{job.pk}-decided")
        )

    def test_an_approver_outside_the_unit_gets_404(self):
        self.ask("county_officer", "county_a", unmasked=True)
        job = ExportJob.objects.get()
        for persona in ("township_officer", "school_admin", "counselor", "teacher"):
            with self.subTest(persona=persona):
                self.assertEqual(self.decide(self.client_as(persona), job).status_code, 404)
                self.assertEqual(
                    self.decide(self.client_as(persona), job, "refuse").status_code, 404
                )
        job.refresh_from_db()
        self.assertEqual(job.state, ExportState.AWAITING_APPROVAL)

    def test_a_refusal_is_audited_and_told_and_writes_nothing(self):
        self.ask("county_officer", "county_a", unmasked=True)
        job = ExportJob.objects.get()
        self.decide(self.client_as("federation_officer"), job, "refuse")
        job.refresh_from_db()
        self.assertEqual(
            (job.state, job.decided_by), (ExportState.REFUSED, self.federation_officer)
        )
        refusal = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(job.pk))
        self.assertEqual(refusal.changes["approved"], False)
        self.assertTrue(
            Notification.objects.filter(user=self.county_officer, key=f"export-{job.pk}-decided")
        )
        self.assertFalse(
            (Path(self.staged.parent) / "exports").exists()
            and any((Path(self.staged.parent) / "exports").iterdir())
        )
        # Decided once: approving it afterwards changes nothing (told so: test_export_attacks).
        self.decide(self.as_second_officer(), job)
        job.refresh_from_db()
        self.assertEqual(job.state, ExportState.REFUSED)

    def test_a_masked_county_export_or_the_setting_off_needs_no_approval(self):
        self.ask("county_officer", "county_a")
        with self.settings(SHOUWANG_EXPORT_APPROVAL=False):
            self.ask("county_officer", "county_a", unmasked=True)
        self.assertEqual(
            list(ExportJob.objects.order_by("pk").values_list("unmasked", "state")),
            [(False, ExportState.READY), (True, ExportState.READY)],
        )

    def test_a_big_export_is_written_by_the_worker_with_its_progress_on_the_page(self):
        with self.settings(SHOUWANG_EXPORT_IN_REQUEST_ROWS=1):
            self.ask("county_officer", "county_a")
        job = ExportJob.objects.get()
        self.assertEqual((job.state, job.rows_total), (ExportState.QUEUED, 2))
        [queued] = OrmQ.objects.all()
        self.assertEqual(queued.func(), "shouwang.ledger.tasks.build_export")
        client = self.client_as("county_officer")
        page = client.get(reverse("ledger:exports"))
        self.assertContains(page, 'hx-trigger="every 2s"')
        self.assertContains(page, 'data-state="queued"')
        polled = client.get(reverse("ledger:exports"), HTTP_HX_REQUEST="true")
        self.assertNotContains(polled, "<html")

        self.assertEqual(tasks.build_export(*queued.task["args"]), "ready")
        self.assertEqual(tasks.build_export(*queued.task["args"]), "not queued")  # handed twice
        polled = client.get(reverse("ledger:exports"), HTTP_HX_REQUEST="true")
        self.assertContains(polled, 'data-state="ready"')
        self.assertNotContains(polled, "hx-trigger")  # the page stops asking

    def test_a_build_that_stopped_reporting_shows_as_failed(self):
        with self.settings(SHOUWANG_EXPORT_IN_REQUEST_ROWS=0):
            self.ask("county_officer", "county_a")
        ExportJob.objects.update(state=ExportState.BUILDING, progress_at=NOW - timedelta(hours=1))
        page = self.client_as("county_officer").get(reverse("ledger:exports"))
        self.assertContains(page, 'data-state="failed"')
        self.assertNotContains(page, "hx-trigger")
        exports.purge_expired()
        self.assertEqual(ExportJob.objects.get().state, ExportState.FAILED)


class ExpiryTests(ExportJobTestCase):
    def test_the_download_expires_and_the_worker_removes_the_file(self):
        self.ask("school_admin", "school_a")
        job = ExportJob.objects.get()
        self.assertEqual(job.expires_at, NOW + timedelta(hours=24))
        folder = Path(self.staged.parent) / "exports"
        with time_machine.travel(NOW + timedelta(hours=23, minutes=59), tick=False):
            self.assertEqual(self.download(self.logged_in(self.school_admin), job).status_code, 200)
            self.assertEqual(exports.purge_expired(), 0)
        with time_machine.travel(NOW + timedelta(hours=24), tick=False):
            client = self.logged_in(self.school_admin)
            gone = self.download(client, job)
            self.assertContains(gone, "已过期", status_code=410)
            self.assertEqual(tasks.purge_expired_exports(), 1)
            self.assertEqual(list(folder.iterdir()), [])
            job.refresh_from_db()
            self.assertEqual((job.state, job.file), (ExportState.EXPIRED, ""))
            self.assertEqual(self.download(client, job).status_code, 410)

    def test_the_purge_is_on_the_workers_schedule(self):
        from django_q.models import Schedule

        self.assertTrue(
            Schedule.objects.filter(func="shouwang.ledger.tasks.purge_expired_exports").exists()
        )


class QueryCountTests(ExportJobTestCase):
    def queries(self, client) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("ledger:exports"))
        self.assertEqual(response.status_code, 200)
        return len(ctx.captured_queries)

    def add_jobs(self, n: int) -> None:
        for _ in range(n):
            self.ask("county_officer", "county_a")
            self.ask("federation_officer", "county_a", unmasked=True)  # waits for the officer

    def test_the_exports_page_costs_the_same_for_few_jobs_or_many(self):
        client = self.client_as("county_officer")
        self.add_jobs(1)
        self.queries(client)  # the session's first request
        few = self.queries(client)
        self.add_jobs(4)
        many = self.queries(client)
        page = client.get(reverse("ledger:exports"))
        self.assertEqual(len(page.context["jobs"]), 5)
        self.assertEqual(len(page.context["waiting"]), 5)
        self.assertEqual((few, many), (6, 6))

    def test_writing_a_schools_ledger_costs_the_same_for_few_children_or_many(self):
        """The export's own queries (three for the rows), not one per child."""

        def cost() -> int:
            # (Queued only: the build runs once the request's transaction commits.)
            job = exports.request_export(
                org=self.org("school_a"), by=self.school_admin, unmasked=False
            )
            with CaptureQueriesContext(connection) as ctx:
                self.assertEqual(exports.build(job_pk=job.pk), "ready")
            return len(ctx.captured_queries)

        few = cost()
        for i in range(5):
            make_child(school_class=self.org("class_a2"), name=f"多{i}")
        many = cost()
        self.assertEqual(few, many)
        # 19: the county's ledger layout is one query (issue 22).
        self.assertEqual(few, 19 + (connection.vendor == "postgresql"))
        self.assertEqual(Child.objects.filter(school=self.org("school_a")).count(), 6)
