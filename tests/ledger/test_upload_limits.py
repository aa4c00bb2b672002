"""The ledger import under the upload limits (issue 18): the body stops at 50 MB as it arrives,
a file that is not what its name says is refused with its first bytes, a bomb is refused with a
Chinese message on the page and by the command line, a big file is read by the worker with its
progress on the page and read once (every later look at the preview reads what it found), and a
CSV whose encoding is not certain is asked about, never guessed."""

from __future__ import annotations

import io
import stat
import tempfile
import time
import tracemalloc
from pathlib import Path
from unittest import mock

import opencc
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase
from django.urls import reverse
from django.utils import translation
from django_q.models import OrmQ

from shouwang.children.models import Child
from shouwang.core.sheets import uploads
from shouwang.ledger import services, tasks
from tests.core import bombs
from tests.personas import TempMediaTestCase

from .files import Ledger, child_row
from .test_pages import xlsx

MB = 1024 * 1024


def named(data: bytes, name: str) -> io.BytesIO:
    out = io.BytesIO(data)
    out.name = name
    return out


class LedgerUploadLimitsTests(TempMediaTestCase):
    def setUp(self) -> None:
        super().setUp()
        translation.activate("zh-hans")
        self.clerk = self.client_as("school_admin")
        self.clerk.cookies.load({"django_language": "zh-hans"})

    def post(self, file: io.BytesIO):
        return self.clerk.post(
            reverse("ledger:upload"),
            {"org": self.org("school_a").code, "file": file},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    def kept(self) -> list[Path]:
        return list(self.staged.iterdir()) if self.staged.exists() else []

    def test_a_body_past_50_mb_is_stopped_as_it_arrives_and_nothing_is_kept(self):
        response = self.post(named(b"PK\x03\x04" + b"\0" * (50 * MB), "台账.xlsx"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "文件超过 50 MB，未予接收")
        self.assertEqual(self.kept(), [])

    def test_a_file_that_is_not_what_its_name_says_is_refused(self):
        response = self.post(named(b"MZ\x90\x00 not a workbook", "台账.xlsx"))
        self.assertContains(response, "内容与其文件类型不符")
        self.assertEqual(self.kept(), [])

    def test_a_huge_cell_bomb_is_refused_on_the_page_within_a_second(self):
        folder = Path(tempfile.mkdtemp())
        bomb = bombs.huge_cell_xlsx(folder / "台账.xlsx")
        start = time.monotonic()
        response = self.post(named(bomb.read_bytes(), "台账.xlsx"))
        page = self.clerk.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans")
        self.assertLess(time.monotonic() - start, 2.0)
        self.assertContains(page, "解压后")
        self.assertFalse(Child.objects.filter(school=self.org("school_a"), name="A").exists())

    def test_the_command_line_refuses_a_bomb_on_disk_fast_and_small(self):
        folder = Path(tempfile.mkdtemp())
        bomb = bombs.huge_cell_xlsx(folder / "台账.xlsx", shared=True)
        tracemalloc.start()
        start = time.monotonic()
        try:
            with self.assertRaises(CommandError) as refused:
                call_command("import_ledger", str(bomb), "--org", self.org("school_a").code)
            took = time.monotonic() - start
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self.assertEqual(refused.exception.returncode, 2)
        self.assertIn("解压后", str(refused.exception))
        self.assertLess(took, 1.0)
        self.assertLess(peak, 20 * MB)

    def test_a_big_file_is_read_by_the_worker_with_progress_and_read_only_once(self):
        ledger = Ledger([child_row(n) for n in range(1, 41)])
        with mock.patch.object(tasks, "READ_IN_REQUEST", 0):
            response = self.post(xlsx(ledger))
        preview = response["Location"]
        [queued] = OrmQ.objects.all()
        self.assertEqual(queued.func(), "shouwang.ledger.tasks.read_upload")
        waiting = self.clerk.get(preview)
        self.assertContains(waiting, 'hx-trigger="every 1s"')
        self.assertContains(waiting, "后台")
        polled = self.clerk.get(preview, HTTP_HX_REQUEST="true")
        self.assertNotContains(polled, "<html")

        # The worker runs the task as django-q hands it over, reporting as it goes.
        seen: list[dict] = []
        save = uploads.save_state
        with mock.patch.object(uploads, "save_state", lambda p, v: (seen.append(v), save(p, v))):
            self.assertEqual(tasks.read_upload(*queued.task["args"]), "done")
        self.assertEqual((seen[0]["state"], seen[0]["rows"], seen[0]["of"]), ("reading", 0, 41))
        done = self.clerk.get(preview, HTTP_HX_REQUEST="true")
        self.assertEqual(done["HX-Refresh"], "true")

        with mock.patch.object(services, "import_ledger", side_effect=AssertionError("re-read")):
            for _ in range(3):
                page = self.clerk.get(preview)
                self.assertContains(page, 'data-testid="ledger-ready"')
                self.assertContains(page, "40")
        [state] = (Path(self.staged.parent) / "uploads_read").iterdir()
        self.assertEqual(stat.S_IMODE(state.stat().st_mode), 0o600)

        # A reading that stops reporting (the worker stopped, the task timed out) says so.
        stalled = {"state": "reading", "rows": 10, "of": 41, "at": time.time() - 3600}
        with mock.patch.object(uploads, "state", return_value=stalled):
            page = self.clerk.get(preview)
        self.assertContains(page, "读取在文件结束前中断")

        applied = self.clerk.post(preview + "apply/")
        self.assertRedirects(applied, reverse("ledger:done"), fetch_redirect_response=False)
        self.assertEqual(self.kept(), [])
        self.assertEqual(list((Path(self.staged.parent) / "uploads_read").iterdir()), [])

    def test_a_big5_csv_is_asked_about_and_read_as_the_clerk_says(self):
        rows = [child_row(n) for n in range(1, 4)]
        names = ["陳曉華", "黃國強", "劉書瑋"]
        for row, name in zip(rows, names, strict=True):
            row["姓名"] = name
        path = Ledger(rows).write_csv(Path(tempfile.mkdtemp()) / "台賬.csv")
        text = opencc.OpenCC("s2t").convert(path.read_text(encoding="utf-8"))
        path.write_bytes(text.encode("big5", errors="replace"))  # as a Taipei office saves it
        response = self.post(named(path.read_bytes(), "台賬.csv"))
        preview = response["Location"]
        asked = self.clerk.get(preview)
        self.assertContains(asked, 'data-testid="choose-encoding"')
        self.assertContains(asked, "无法确定这个 CSV 文件的编码")
        self.assertContains(asked, '<option value="cp950"')
        samples = asked.context["samples"]  # the first lines as each encoding reads them
        self.assertIn(names[0], dict(samples)["Big5（繁体中文：台湾、香港）"][1])
        self.assertNotIn(names[0], dict(samples)["GB18030 / GBK（简体中文，大陆）"][1])
        chosen = self.clerk.post(preview, {"encoding": "cp950"})
        self.assertRedirects(chosen, preview, fetch_redirect_response=False)
        page = self.clerk.get(preview)
        self.assertContains(page, names[0])
        self.assertContains(page, "Big5")

    def test_a_gbk_csv_is_read_without_asking(self):
        rows = [child_row(n) for n in range(1, 21)]
        path = Ledger(rows).write_csv(Path(tempfile.mkdtemp()) / "台账.csv", encoding="gbk")
        response = self.post(named(path.read_bytes(), "台账.csv"))
        page = self.clerk.get(response["Location"])
        self.assertNotContains(page, 'data-testid="choose-encoding"')
        self.assertContains(page, rows[0]["姓名"])

    def test_the_command_line_asks_for_the_encoding_of_a_big5_csv_and_reads_it_when_told(self):
        path = Path(tempfile.mkdtemp()) / "台賬.csv"
        path.write_bytes("姓名,身份證號,性別\r\n陳曉華,1,男\r\n".encode("big5"))
        with self.assertRaises(CommandError) as asked:
            call_command("import_ledger", str(path), "--org", self.org("school_a").code)
        self.assertEqual(asked.exception.returncode, 2)
        self.assertIn("--encoding {cp950", str(asked.exception))
        out = io.StringIO()
        with self.assertRaises(SystemExit):  # rows rejected (no school column): read, though
            call_command(
                "import_ledger",
                str(path),
                "--org",
                self.org("school_a").code,
                "--encoding",
                "cp950",
                "--dry-run",
                "--json",
                stdout=out,
            )
        self.assertIn('"rows": 1', out.getvalue())

    def test_the_worker_deletes_what_reading_found_with_an_upload_never_applied(self):
        import os

        from shouwang.ledger.tasks import purge_stale_uploads

        self.post(xlsx(Ledger([child_row(1)])))
        [upload] = self.kept()
        read = Path(self.staged.parent) / "uploads_read"
        [found] = read.iterdir()
        self.assertEqual(stat.S_IMODE(found.stat().st_mode), 0o600)
        a_day_ago = time.time() - 24 * 60 * 60 - 60
        os.utime(upload, (a_day_ago, a_day_ago))
        self.assertEqual(purge_stale_uploads(), 1)
        self.assertEqual((self.kept(), list(read.iterdir())), ([], []))


class UploadHandlerUnitTests(SimpleTestCase):
    def test_a_body_declared_far_past_the_limit_is_not_read_at_all(self):
        from django.core.files.uploadhandler import StopUpload
        from django.test import RequestFactory

        from shouwang.core.sheets.limits import LimitedUploadHandler, refusal

        request = RequestFactory().post("/")
        handler = LimitedUploadHandler(request, max_bytes=10 * MB, suffixes=(".csv",))
        handler.handle_raw_input(None, {}, 200 * MB, b"x")
        with self.assertRaises(StopUpload) as stopped:
            handler.new_file("file", "a.csv", "text/csv", 200 * MB)
        self.assertTrue(stopped.exception.connection_reset)  # the rest is never read
        self.assertIn("10 MB", refusal(request))
