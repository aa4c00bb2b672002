"""API tokens end: SHOUWANG_TOKEN_DAYS after issue, 退出所有设备, a new password, deactivation."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from shouwang.audit.models import AuditAction, AuditEntry
from tests.personas import PersonaTestCase
from tests.world import PASSWORD

TOKEN = reverse("api:token")
API = "/api/v1/children/"
HOME = reverse("web:home")
LOGIN = reverse("accounts:login")


class TokenTestCase(PersonaTestCase):
    def token_for(self, username: str, password: str = PASSWORD) -> str:
        response = Client().post(TOKEN, {"username": username, "password": password})
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()["token"]

    def logged_in(self, username: str) -> Client:
        client = Client()
        response = client.post(LOGIN, {"username": username, "password": PASSWORD})
        self.assertRedirects(response, HOME)
        return client

    def api(self, key: str):
        return Client().get(API, HTTP_AUTHORIZATION=f"Token {key}")

    def assertRefused(self, key: str) -> None:
        response = self.api(key)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response["WWW-Authenticate"], "Token")

    def revocations(self, user) -> list[AuditEntry]:
        return list(
            AuditEntry.objects.filter(
                action=AuditAction.REVOKE, object_type="accounts.user", object_id=str(user.pk)
            )
        )


class ExpiryTests(TokenTestCase):
    def test_a_token_older_than_the_token_days_is_refused_in_chinese(self):
        issued = timezone.now()
        with time_machine.travel(issued, tick=False):
            key = self.token_for("school_admin")
        with time_machine.travel(issued + timedelta(days=29, hours=23), tick=False):
            self.assertEqual(self.api(key).status_code, 200)
        with time_machine.travel(issued + timedelta(days=30, seconds=1), tick=False):
            self.assertRefused(key)
            self.assertIn("已过期", self.api(key).json()["detail"])

    def test_the_token_days_are_a_setting(self):
        issued = timezone.now()
        with time_machine.travel(issued, tick=False):
            key = self.token_for("school_admin")
        with (
            self.settings(SHOUWANG_TOKEN_DAYS=7),
            time_machine.travel(issued + timedelta(days=8), tick=False),
        ):
            self.assertRefused(key)

    def test_asking_again_gives_the_same_token_until_it_expires_then_a_fresh_one(self):
        issued = timezone.now()
        with time_machine.travel(issued, tick=False):
            key = self.token_for("school_admin")
        with time_machine.travel(issued + timedelta(days=10), tick=False):
            self.assertEqual(self.token_for("school_admin"), key)
        with time_machine.travel(issued + timedelta(days=31), tick=False):
            # A client that keeps sending the expired token along is not refused here.
            fresh = (
                Client(HTTP_AUTHORIZATION=f"Token {key}")
                .post(TOKEN, {"username": "school_admin", "password": PASSWORD})
                .json()["token"]
            )
            self.assertNotEqual(fresh, key)
            self.assertEqual(self.api(fresh).status_code, 200)
            self.assertRefused(key)
        with time_machine.travel(issued + timedelta(days=60), tick=False):
            self.assertEqual(self.api(fresh).status_code, 200)


class LogOutEverywhereTests(TokenTestCase):
    @property
    def url(self) -> str:
        return reverse("accounts:logout_everywhere")

    def test_the_button_is_on_the_page_where_one_changes_ones_password(self):
        page = self.client_as("teacher").get(reverse("accounts:password_change"))
        self.assertContains(page, f'action="{self.url}"')
        self.assertContains(page, "退出所有设备")

    def test_it_ends_every_session_and_the_token_of_that_user_only(self):
        phone, computer = self.logged_in("teacher"), self.logged_in("teacher")
        key = self.token_for("teacher")
        colleague_key = self.token_for("counselor")
        colleague = self.client_as("counselor")

        response = phone.post(self.url, follow=True)

        self.assertRedirects(response, LOGIN)
        self.assertContains(response, "已退出所有设备")
        for client in (phone, computer):
            self.assertEqual(client.get(HOME).status_code, 302)
        self.assertRefused(key)
        self.assertFalse(Token.objects.filter(user=self.teacher).exists())
        self.assertEqual(colleague.get(HOME).status_code, 200)
        self.assertEqual(self.api(colleague_key).status_code, 200)
        [entry] = self.revocations(self.teacher)
        self.assertEqual(entry.actor_id, self.teacher.pk)
        self.assertEqual(
            entry.changes,
            {"reason": "logout_everywhere", "api_token_revoked": True, "sessions": 2},
        )

    def test_it_takes_a_post(self):
        client = self.client_as("teacher")
        self.assertEqual(client.get(self.url).status_code, 405)
        self.assertEqual(client.get(HOME).status_code, 200)


class PasswordChangeTests(TokenTestCase):
    new = "Another-strong-77"

    def test_changing_ones_own_password_revokes_the_token(self):
        key = self.token_for("teacher")
        response = self.client_as("teacher").post(
            reverse("accounts:password_change"),
            {"old_password": PASSWORD, "new_password1": self.new, "new_password2": self.new},
        )
        self.assertRedirects(response, HOME)
        self.assertRefused(key)
        [entry] = self.revocations(self.teacher)
        self.assertEqual(entry.changes["reason"], "password_changed")
        self.assertNotIn(self.new, str(entry.changes))
        fresh = self.token_for("teacher", self.new)
        self.assertEqual(self.api(fresh).status_code, 200)

    def test_a_password_set_by_anyone_else_revokes_the_token_too(self):
        # A sysadmin's reset, `shouwang changepassword`: whatever sets the password and saves.
        key = self.token_for("teacher")
        self.teacher.set_password(self.new)
        self.teacher.save()
        self.assertRefused(key)
        self.assertEqual(len(self.revocations(self.teacher)), 1)

    def test_other_saves_and_a_hash_upgraded_at_login_keep_the_token(self):
        key = self.token_for("teacher")
        self.teacher.full_name = "王老师"
        self.teacher.save()
        with self.settings(
            PASSWORD_HASHERS=[
                "django.contrib.auth.hashers.ScryptPasswordHasher",
                "django.contrib.auth.hashers.MD5PasswordHasher",
            ]
        ):
            self.assertEqual(self.token_for("teacher"), key)
        self.teacher.refresh_from_db()
        self.assertTrue(self.teacher.password.startswith("scrypt$"))
        self.assertEqual(self.api(key).status_code, 200)
        self.assertEqual(self.revocations(self.teacher), [])


class DeactivationTests(TokenTestCase):
    def test_deactivating_an_account_revokes_its_token_for_good(self):
        key = self.token_for("volunteer")
        session = self.logged_in("volunteer")
        url = reverse("accounts:user_detail", args=[self.volunteer.pk])
        admin = self.client_as("sysadmin")

        admin.post(url, {"action": "deactivate"})
        self.assertRefused(key)
        admin.post(url, {"action": "activate"})

        self.assertRefused(key)
        self.assertEqual(session.get(HOME).status_code, 302)
        [entry] = self.revocations(self.volunteer)
        self.assertEqual(entry.actor_id, self.sysadmin.pk)
        self.assertEqual(
            entry.changes, {"reason": "deactivated", "api_token_revoked": True, "sessions": 1}
        )
