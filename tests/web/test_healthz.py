"""``/healthz`` says 200 only while the database takes a write, as every login needs (issue 14.10).

The database is made to refuse writes for real where both backends can: SQLite's
``PRAGMA query_only`` and PostgreSQL's read-only transaction refuse every write with the errors a
read-only file or a standby gives. A full disk is raised in the cursor, where the database
raises it.
"""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from unittest import mock

from django.db import OperationalError, connection
from django.test import Client, TestCase

from shouwang.core.health import MIN_FREE_BYTES
from shouwang.core.models import Heartbeat

Usage = namedtuple("Usage", "total used free")


class HealthzTests(TestCase):
    def get(self):
        return Client().get("/healthz")

    def test_a_database_that_takes_writes_is_healthy_and_the_heartbeat_moves(self):
        response = self.get()
        self.assertEqual((response.status_code, response.content), (200, b"ok"))
        first = Heartbeat.objects.get().at
        self.get()
        self.assertGreater(Heartbeat.objects.get().at, first)
        self.assertEqual(Heartbeat.objects.count(), 1)

    def test_a_read_only_database_is_503(self):
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = ON")
                self.addCleanup(lambda: connection.cursor().execute("PRAGMA query_only = OFF"))
            else:
                # The test's own transaction turns read-only; it is rolled back after the test.
                cursor.execute("SET TRANSACTION READ ONLY")
        response = self.get()
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.content, b"database refuses writes")
        # Reads still work: a read-only check would have said 200.
        self.assertFalse(Heartbeat.objects.exists())

    def test_a_full_disk_is_503(self):
        def full(execute, sql, params, many, context):
            if sql.startswith(("INSERT", "UPDATE")):
                raise OperationalError("database or disk is full")
            return execute(sql, params, many, context)

        with connection.execute_wrapper(full):
            response = self.get()
        self.assertEqual(
            (response.status_code, response.content), (503, b"database refuses writes")
        )
        self.assertEqual(self.get().status_code, 200)  # and well again once there is room

    def test_a_sqlite_file_on_a_disk_that_is_nearly_full_is_503(self):
        # In WAL mode SQLite goes on committing into its log's old blocks for a while on a full
        # disk: the free space beside the file is looked at too.
        file = mock.patch("shouwang.core.health._database_file", return_value=Path("/x/db"))
        for free, status in [(MIN_FREE_BYTES - 1, 503), (MIN_FREE_BYTES, 200)]:
            usage = mock.patch("shutil.disk_usage", return_value=Usage(10**9, 10**9 - free, free))
            with self.subTest(free=free), file, usage as disk_usage:
                response = self.get()
                self.assertEqual(response.status_code, status)
                disk_usage.assert_called_once_with(Path("/x"))
        self.assertEqual(self.get().content, b"ok")


class RefusedWriteTests(TestCase):
    def test_a_login_while_the_database_refuses_writes_is_told_plainly_with_503(self):
        from shouwang.accounts.models import User

        User.objects.create_user("li.wei", password="A-strong-pass-1")
        client = Client(raise_request_exception=False)
        full = OperationalError("database or disk is full")
        with mock.patch("django.contrib.sessions.backends.db.SessionStore.save", side_effect=full):
            response = client.post(
                "/accounts/login/", {"username": "li.wei", "password": "A-strong-pass-1"}
            )
        self.assertEqual(response.status_code, 503)
        self.assertIn("数据库暂时不能写入", response.content.decode())

    def test_any_other_error_is_still_the_500_page(self):
        client = Client(raise_request_exception=False)
        with mock.patch("shouwang.web.views.database_problem", side_effect=RuntimeError("bug")):
            response = client.get("/healthz")
        self.assertEqual(response.status_code, 500)
        self.assertIn("出错了", response.content.decode())
