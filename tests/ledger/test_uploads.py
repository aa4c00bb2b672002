"""An upload waiting between preview and apply holds children's ID numbers (issue 15): only the
server's user may read it (file 600 in a 700 directory), and the worker deletes it a day after
the upload when it was never applied."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from django.urls import reverse
from django_q.models import Schedule

from shouwang.ledger.tasks import purge_stale_uploads
from tests.personas import TempMediaTestCase

from .files import Ledger, child_row
from .test_pages import xlsx

DAY = 24 * 60 * 60


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class StagedUploadTests(TempMediaTestCase):
    def upload(self) -> str:
        """The school clerk uploads a ledger; the address of its preview."""
        response = self.client_as("school_admin").post(
            reverse("ledger:upload"),
            {"org": self.org("school_a").code, "file": xlsx(Ledger([child_row(1)]))},
        )
        self.assertEqual(response.status_code, 302)
        return response["Location"]

    def test_an_upload_is_readable_by_the_server_only(self):
        self.upload()
        [kept] = self.staged.iterdir()
        self.assertEqual((mode(kept), mode(self.staged)), (0o600, 0o700))

    def test_a_directory_made_before_uploads_were_private_is_closed(self):
        self.staged.mkdir(mode=0o755)
        self.staged.chmod(0o755)
        self.upload()
        self.assertEqual(mode(self.staged), 0o700)

    def test_the_worker_deletes_an_upload_never_applied_a_day_later_and_keeps_a_fresh_one(self):
        old_preview = self.upload()
        [old] = self.staged.iterdir()
        a_day_ago = time.time() - DAY - 60
        os.utime(old, (a_day_ago, a_day_ago))
        fresh_preview = self.upload()
        [fresh] = set(self.staged.iterdir()) - {old}

        self.assertEqual(purge_stale_uploads(), 1)
        self.assertEqual(list(self.staged.iterdir()), [fresh])
        clerk = self.client_as("school_admin")
        self.assertEqual(clerk.get(old_preview).status_code, 404)
        self.assertEqual(clerk.get(fresh_preview).status_code, 200)
        self.assertEqual(purge_stale_uploads(), 0)

    def test_the_worker_looks_every_hour(self):
        schedule = Schedule.objects.get(func="shouwang.ledger.tasks.purge_stale_uploads")
        self.assertEqual((schedule.schedule_type, schedule.repeats), (Schedule.HOURLY, -1))
