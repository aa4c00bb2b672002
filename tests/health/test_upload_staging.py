"""A check-up sheet waits for "save" where a ledger does (core.sheets.uploads): private, and
deleted by the worker a day after the upload when never applied (issue 15)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from shouwang.ledger.tasks import purge_stale_uploads
from tests.personas import TempMediaTestCase

from .test_checkups import sheet_file

DAY = 24 * 60 * 60


class SheetStagingTests(TempMediaTestCase):
    def test_a_sheet_never_applied_is_private_and_gone_a_day_later(self):
        path = sheet_file(Path(self.staged.parent) / "体检.xlsx", [["甲一", "男", 140, 40]])
        client = self.client_as("teacher")
        with path.open("rb") as fh:
            posted = client.post("/health/import/", {"org": self.org("class_a1").code, "file": fh})
        self.assertEqual(posted.status_code, 302)
        [kept] = self.staged.iterdir()
        self.assertEqual(
            (stat.S_IMODE(kept.stat().st_mode), stat.S_IMODE(self.staged.stat().st_mode)),
            (0o600, 0o700),
        )
        self.assertEqual(purge_stale_uploads(), 0)  # fresh: kept
        a_day_ago = time.time() - DAY - 60
        os.utime(kept, (a_day_ago, a_day_ago))
        self.assertEqual(purge_stale_uploads(), 1)
        self.assertFalse(kept.exists())
        self.assertEqual(client.get(posted["Location"]).status_code, 404)
