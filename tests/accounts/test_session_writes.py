"""Reads do not write: a page saves the session at most once a minute, and 30 idle minutes still
log out (accounts.middleware.IdleTimeoutMiddleware)."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.personas import PersonaTestCase
from tests.world import PASSWORD

LOGIN = reverse("accounts:login")
HOME = reverse("web:home")


class SessionWriteTests(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client = Client(REMOTE_ADDR="127.0.0.1")
        self.start = timezone.now().replace(microsecond=0)

    def at(self, seconds: float) -> time_machine.travel:
        return time_machine.travel(self.start + timedelta(seconds=seconds), tick=False)

    def log_in(self) -> None:
        with self.at(0):
            response = self.client.post(LOGIN, {"username": "teacher", "password": PASSWORD})
        self.assertRedirects(response, HOME, fetch_redirect_response=False)

    def session_writes(self, seconds: float) -> int:
        """Opens the home page `seconds` after logging in; the writes to the session table."""
        with self.at(seconds), CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.client.get(HOME).status_code, 200)
        return sum(
            1
            for query in queries.captured_queries
            if "django_session" in query["sql"]
            and query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        )

    def expiry(self) -> datetime:
        return Session.objects.get(session_key=self.client.session.session_key).expire_date

    def test_pages_right_after_a_save_do_not_write_the_session(self):
        self.log_in()
        self.assertEqual(self.session_writes(1), 0)
        self.assertEqual(self.session_writes(59), 0)
        self.assertEqual(self.expiry(), self.start + timedelta(seconds=settings.SESSION_COOKIE_AGE))

    def test_a_session_saved_at_login_outside_a_request_counts_from_the_login(self):
        # force_login saves the session as logging in does, without the middleware noting it.
        with self.at(0):
            self.client.force_login(self.teacher)
        self.assertEqual(self.session_writes(30), 0)
        self.assertEqual(self.session_writes(61), 1)

    def test_a_page_a_minute_after_the_last_save_renews_the_session(self):
        self.log_in()
        self.assertEqual(self.session_writes(61), 1)
        self.assertEqual(
            self.expiry(), self.start + timedelta(seconds=61 + settings.SESSION_COOKIE_AGE)
        )
        self.assertEqual(self.session_writes(90), 0)

    def test_someone_opening_a_page_every_half_minute_stays_logged_in(self):
        self.log_in()
        # 45 minutes, longer than the idle timeout, every page answered, at one save a minute.
        writes = sum(self.session_writes(seconds) for seconds in range(30, 45 * 60 + 1, 30))
        self.assertEqual(writes, 45)

    def test_thirty_idle_minutes_after_the_last_save_log_out(self):
        self.log_in()
        self.assertEqual(self.session_writes(5 * 60), 1)  # renewed: until 35 minutes
        self.assertEqual(self.session_writes(5 * 60 + 30), 0)
        self.assertEqual(self.session_writes(34 * 60), 1)  # 29 idle minutes are fine
        with self.at(34 * 60 + settings.SESSION_COOKIE_AGE):
            response = self.client.get(HOME)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(LOGIN))

    def test_logging_out_leaves_no_session_behind(self):
        self.log_in()
        with self.at(120):
            self.client.post(reverse("accounts:logout"))
        self.assertFalse(Session.objects.exists())
