"""The byte limit and first-bytes check on every page that takes a file (issue 18): the body stops
as soon as it passes the limit, before the form sees it, and a file whose first bytes are not
what its name says is refused. A check-up sheet and a letter scan, besides the ledger
(tests/ledger/test_upload_limits.py)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.utils import translation

from shouwang.counseling.models import MailboxLetter
from tests.core import bombs
from tests.personas import TempMediaTestCase

MB = 1024 * 1024


def named(data: bytes, name: str) -> io.BytesIO:
    out = io.BytesIO(data)
    out.name = name
    return out


class UploadHandlerTests(TempMediaTestCase):
    def setUp(self) -> None:
        super().setUp()
        translation.activate("zh-hans")

    def add_letter(self, scan: io.BytesIO):
        school = self.org("school_a")
        return self.client_as("counselor").post(
            f"/counseling/mailbox/{school.code}/add/",
            {"opened_on": "2026-11-23", "text": "想妈妈", "scan": scan},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    def test_a_scan_past_10_mb_is_stopped_and_the_letter_is_not_saved_without_it(self):
        page = self.add_letter(named(b"\xff\xd8\xff" + b"\0" * (10 * MB), "信.jpg"))
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "文件超过 10 MB，未予接收")
        self.assertFalse(MailboxLetter.objects.exists())

    def test_a_scan_that_is_not_the_picture_its_name_says_is_refused(self):
        page = self.add_letter(named(b"PK\x03\x04 a zip in disguise", "信.png"))
        self.assertContains(page, "内容与其文件类型不符")
        self.assertFalse(MailboxLetter.objects.exists())

    def test_a_real_scan_under_the_limit_is_kept(self):
        page = self.add_letter(named(b"%PDF-1.7 a letter", "信.pdf"))
        self.assertEqual(page.status_code, 302)
        self.assertTrue(MailboxLetter.objects.get().scan.name.endswith(".pdf"))

    def test_a_check_up_sheet_bomb_is_refused_on_its_preview(self):
        bomb = bombs.huge_cell_xlsx(Path(tempfile.mkdtemp()) / "体检.xlsx")
        client = self.client_as("teacher")
        posted = client.post(
            "/health/import/",
            {"org": self.org("class_a1").code, "file": named(bomb.read_bytes(), "体检.xlsx")},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        self.assertEqual(posted.status_code, 302)
        self.assertContains(client.get(posted["Location"]), "解压后")

    def test_a_check_up_sheet_that_is_no_workbook_is_refused_as_it_arrives(self):
        page = self.client_as("teacher").post(
            "/health/import/",
            {"org": self.org("class_a1").code, "file": named(b"<html>", "体检.xlsx")},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        self.assertContains(page, "内容与其文件类型不符")
        self.assertFalse(self.staged.exists() and any(self.staged.iterdir()))

    def test_the_pages_with_a_handler_still_refuse_a_post_without_its_csrf_token(self):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(self.world.users["counselor"])
        school = self.org("school_a")
        refused = client.post(
            f"/counseling/mailbox/{school.code}/add/", {"opened_on": "2026-11-23", "text": "信"}
        )
        self.assertEqual(refused.status_code, 403)
        self.assertFalse(MailboxLetter.objects.exists())
        form = client.get(f"/counseling/mailbox/{school.code}/add/")
        token = form.context["csrf_token"]
        taken = client.post(
            f"/counseling/mailbox/{school.code}/add/",
            {"opened_on": "2026-11-23", "text": "信", "csrfmiddlewaretoken": token},
        )
        self.assertEqual(taken.status_code, 302)
        clerk = Client(enforce_csrf_checks=True)
        clerk.force_login(self.world.users["school_admin"])
        self.assertEqual(clerk.post("/ledger/import/", {}).status_code, 403)
        teacher = Client(enforce_csrf_checks=True)
        teacher.force_login(self.world.users["teacher"])
        self.assertEqual(teacher.post("/health/import/", {}).status_code, 403)
