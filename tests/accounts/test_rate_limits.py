"""Logins and the API are rate-limited: beyond the rate a 429 that says, in Chinese, when to
try again. Counted apart from django-axes' lockout, which counts failures only."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import time_machine
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tests.personas import PersonaTestCase
from tests.world import PASSWORD

LOGIN = reverse("accounts:login")
HOME = reverse("web:home")
TOKEN = "/api/v1/token/"
CHILDREN = "/api/v1/children/"
WRONG = "wrong-Pass-1"
NOON = datetime(2026, 11, 24, 4, 0, 5, tzinfo=UTC)


class RateLimitTestCase(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["ratelimit"].clear()
        self.addCleanup(caches["ratelimit"].clear)
        clock = time_machine.travel(NOON, tick=False)
        self.clock = clock.start()
        self.addCleanup(clock.stop)

    def log_in(self, client: Client, username: str, password: str = WRONG):
        return client.post(LOGIN, {"username": username, "password": password})


@override_settings(
    SHOUWANG_LOGIN_RATE_PER_USERNAME="3/minute", SHOUWANG_LOGIN_RATE_PER_ADDRESS="100/minute"
)
class LoginPerUsernameTests(RateLimitTestCase):
    def test_beyond_the_rate_even_the_right_password_is_refused_with_429_on_the_form(self):
        for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
            response = self.log_in(Client(REMOTE_ADDR=address), "teacher")
            self.assertEqual(response.status_code, 200)  # a wrong password, told as such
        # A fourth try from yet another address, with the right password: not yet.
        response = self.log_in(Client(REMOTE_ADDR="10.0.0.4"), "Teacher", PASSWORD)
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "登录尝试过于频繁", status_code=429)
        self.assertContains(response, 'class="errorlist"', status_code=429)
        self.assertEqual(response["Retry-After"], "55")
        self.assertNotIn("sessionid", response.cookies)

    def test_the_next_minute_lets_them_in(self):
        client = Client(REMOTE_ADDR="10.0.0.9")
        for _ in range(3):
            self.log_in(client, "teacher")
        self.assertEqual(self.log_in(client, "teacher", PASSWORD).status_code, 429)
        self.clock.shift(timedelta(seconds=60))
        self.assertRedirects(self.log_in(client, "teacher", PASSWORD), HOME)

    def test_other_usernames_are_not_held_up(self):
        for _ in range(4):
            self.log_in(Client(), "teacher")
        self.assertRedirects(self.log_in(Client(), "school_admin", PASSWORD), HOME)

    def test_the_token_endpoint_counts_with_the_login_page_and_answers_json(self):
        for _ in range(3):
            self.log_in(Client(), "school_admin")
        response = Client().post(TOKEN, {"username": "school_admin", "password": PASSWORD})
        self.assertEqual(response.status_code, 429)
        self.assertIn("登录尝试过于频繁", response.json()["detail"])
        self.assertFalse(Token.objects.filter(user=self.school_admin).exists())


@override_settings(
    SHOUWANG_LOGIN_RATE_PER_USERNAME="100/minute", SHOUWANG_LOGIN_RATE_PER_ADDRESS="5/minute"
)
class LoginPerAddressTests(RateLimitTestCase):
    def test_one_address_trying_many_usernames_is_slowed(self):
        sprayer = Client(REMOTE_ADDR="10.6.6.6")
        for number in range(5):
            self.assertEqual(self.log_in(sprayer, f"user{number}").status_code, 200)
        self.assertEqual(self.log_in(sprayer, "teacher", PASSWORD).status_code, 429)
        # Someone at another address logs in as usual.
        self.assertRedirects(self.log_in(Client(REMOTE_ADDR="10.7.7.7"), "teacher", PASSWORD), HOME)

    def test_pages_other_than_the_login_are_not_counted(self):
        client = Client(REMOTE_ADDR="10.6.6.7")
        for _ in range(10):
            client.get(LOGIN)
        self.assertRedirects(self.log_in(client, "teacher", PASSWORD), HOME)


@override_settings(SHOUWANG_API_RATE_USER="5/minute", SHOUWANG_API_RATE_ANONYMOUS="2/minute")
class ApiThrottleTests(RateLimitTestCase):
    def test_a_token_beyond_its_rate_gets_429_in_chinese_and_others_go_on(self):
        token = Token.objects.create(user=self.school_admin)
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
        for _ in range(5):
            self.assertEqual(client.get(CHILDREN).status_code, 200)
        refused = client.get(CHILDREN)
        self.assertEqual(refused.status_code, 429)
        self.assertIn("请求过于频繁", refused.json()["detail"])
        self.assertEqual(refused["Retry-After"], "60")
        # The same user's session shares the allowance: it is the user that is counted.
        self.assertEqual(self.client_as("school_admin").get(CHILDREN).status_code, 429)
        self.assertEqual(self.client_as("teacher").get(CHILDREN).status_code, 200)
        self.clock.shift(timedelta(seconds=61))
        self.assertEqual(client.get(CHILDREN).status_code, 200)

    def test_an_anonymous_caller_is_counted_by_address_not_by_forwarded_for(self):
        class Open(APIView):
            permission_classes = [AllowAny]

            def get(self, request):  # type: ignore[no-untyped-def]
                return Response({})

        view = Open.as_view()
        factory = APIRequestFactory()
        for forged in ("1.1.1.1", "2.2.2.2"):
            request = factory.get("/", REMOTE_ADDR="10.3.3.3", HTTP_X_FORWARDED_FOR=forged)
            self.assertEqual(view(request).status_code, 200)
        request = factory.get("/", REMOTE_ADDR="10.3.3.3", HTTP_X_FORWARDED_FOR="3.3.3.3")
        self.assertEqual(view(request).status_code, 429)
        self.assertEqual(view(factory.get("/", REMOTE_ADDR="10.4.4.4")).status_code, 200)


def test_every_server_process_shares_the_count(tmp_path):
    """The count lives in files under var/, not in a process: three processes, one count."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env |= {"SHOUWANG_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "shouwang.settings"}
    code = "from shouwang.accounts.ratelimit import hit;print(hit('username', 'teacher', '2/hour'))"
    waits = [
        subprocess.run(
            [sys.executable, "-m", "shouwang.cli", "shell", "-v0", "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.strip()
        for _ in range(3)
    ]
    assert waits[:2] == ["0", "0"]
    assert int(waits[2]) > 0
    assert any((tmp_path / "cache" / "ratelimit").iterdir())
