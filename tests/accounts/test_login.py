from __future__ import annotations

from datetime import timedelta

import time_machine
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shouwang.audit.models import AuditAction, AuditEntry
from tests.personas import PersonaTestCase
from tests.world import PASSWORD

LOGIN = reverse("accounts:login")
HOME = reverse("web:home")


class LoginTests(PersonaTestCase):
    def login(self, client: Client, password: str, username: str = "teacher"):
        return client.post(LOGIN, {"username": username, "password": password})

    def test_successful_login_is_audited_with_address(self):
        client = Client(REMOTE_ADDR="10.1.2.3")
        response = self.login(client, PASSWORD)
        self.assertRedirects(response, HOME)
        entry = AuditEntry.objects.get(action=AuditAction.LOGIN, actor=self.teacher)
        self.assertEqual(entry.ip, "10.1.2.3")
        self.assertEqual(entry.via, "web")

    def test_failed_login_is_audited_with_the_username_tried(self):
        client = Client(REMOTE_ADDR="10.9.9.9")
        response = self.login(client, "wrong-password-1")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        entry = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
        self.assertEqual(entry.actor_name, "teacher")
        self.assertEqual(entry.actor_id, self.teacher.pk)
        self.assertEqual(entry.ip, "10.9.9.9")

    def test_failed_login_of_unknown_user_is_audited_too(self):
        self.login(Client(), "whatever-123", username="nobody")
        entry = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
        self.assertEqual((entry.actor_name, entry.actor_id), ("nobody", None))

    def test_logout_is_audited_and_ends_the_session(self):
        client = self.client_as("teacher")
        client.post(reverse("accounts:logout"))
        self.assertTrue(AuditEntry.objects.filter(action=AuditAction.LOGOUT).exists())
        self.assertEqual(client.get(HOME).status_code, 302)

    def test_five_failures_lock_the_account_for_fifteen_minutes(self):
        client = Client()
        for _ in range(5):
            self.login(client, "wrong-password-1")
        locked = self.login(client, PASSWORD)
        self.assertEqual(locked.status_code, 429)
        self.assertContains(locked, "15", status_code=429)
        self.assertNotIn("_auth_user_id", client.session)
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            self.assertRedirects(self.login(Client(), PASSWORD), HOME)

    def test_four_failures_do_not_lock(self):
        client = Client()
        for _ in range(4):
            self.login(client, "wrong-password-1")
        self.assertRedirects(self.login(client, PASSWORD), HOME)

    def test_lockout_of_one_user_leaves_others_alone(self):
        client = Client()
        for _ in range(5):
            self.login(client, "wrong-password-1")
        self.assertRedirects(self.login(Client(), PASSWORD, username="counselor"), HOME)

    def test_the_lock_page_says_for_how_long_in_chinese(self):
        client = Client()
        for _ in range(5):
            self.login(client, "wrong-password-1")
        with self.settings(AXES_COOLOFF_TIME=timedelta(minutes=40)):
            locked = self.login(client, PASSWORD)
        self.assertContains(locked, "暂停 40 分钟", status_code=429)

    def test_session_ends_after_thirty_idle_minutes(self):
        client = Client()
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            self.login(client, PASSWORD)
        with time_machine.travel(start + timedelta(minutes=29), tick=False):
            self.assertEqual(client.get(HOME).status_code, 200)
        # The visit at 29 minutes renewed the session: 29 + 29 is still fine...
        with time_machine.travel(start + timedelta(minutes=58), tick=False):
            self.assertEqual(client.get(HOME).status_code, 200)
        # ...but 31 idle minutes are not.
        with time_machine.travel(start + timedelta(minutes=89), tick=False):
            response = client.get(HOME)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(LOGIN))


TOKEN = reverse("api:token")


class LockoutTests(PersonaTestCase):
    """Two locks (accounts/lockout.py): a username at one address after 5 failures, an address
    after 30 failures whatever the usernames. Never a username wherever the failures come from."""

    def web(self, address: str, username: str, password: str):
        return Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password})

    def token(self, address: str, username: str, password: str):
        return Client(REMOTE_ADDR=address).post(TOKEN, {"username": username, "password": password})

    def assertLetIn(self, address: str, username: str) -> None:
        self.assertRedirects(self.web(address, username, PASSWORD), HOME)
        self.assertIn("token", self.token(address, username, PASSWORD).json())

    def assertLockedOut(self, address: str, username: str) -> None:
        self.assertEqual(self.web(address, username, PASSWORD).status_code, 429)
        refused = self.token(address, username, PASSWORD)
        self.assertEqual(refused.status_code, 403)
        self.assertNotIn("token", refused.json())
        self.assertIn("登录失败次数过多", refused.json()["detail"])

    def test_a_stranger_cannot_lock_a_user_out_from_another_address(self):
        for _ in range(5):
            self.web("10.6.6.6", "sysadmin", "wrong-password-1")
        for _ in range(5):
            self.token("10.6.6.7", "sysadmin", "wrong-password-1")
        self.assertLetIn("10.1.1.1", "sysadmin")

    def test_five_failures_lock_the_username_at_that_address_for_web_and_token(self):
        for _ in range(3):
            self.web("10.2.2.2", "teacher", "wrong-password-1")
        for _ in range(2):
            self.token("10.2.2.2", "teacher", "wrong-password-1")
        self.assertLockedOut("10.2.2.2", "teacher")
        # The same person from elsewhere, and the others at that address, still get in.
        self.assertLetIn("10.3.3.3", "teacher")
        self.assertLetIn("10.2.2.2", "counselor")
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            self.assertLetIn("10.2.2.2", "teacher")

    def test_one_address_trying_many_usernames_is_locked_at_the_address_limit(self):
        sprayer = "10.6.6.6"
        for n in range(20):
            self.web(sprayer, f"user{n}", "Spring-2026")
        # A valid account of the sprayer's own forgives its own failures, not the others'.
        self.assertRedirects(self.web(sprayer, "volunteer", PASSWORD), HOME)
        for n in range(20, 29):
            self.token(sprayer, f"user{n}", "Spring-2026")
        # 29 failures across users: a school behind one NAT address is not locked by them.
        self.assertRedirects(self.web(sprayer, "teacher", PASSWORD), HOME)
        self.web(sprayer, "school_admin", "Spring-2026")
        self.assertLockedOut(sprayer, "counselor")
        self.assertLetIn("10.1.1.1", "counselor")
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            self.assertLetIn(sprayer, "counselor")

    def test_the_address_limit_is_a_setting(self):
        with self.settings(SHOUWANG_ADDRESS_LOCKOUT_FAILURES=8):
            for n in range(8):
                self.web("10.6.6.6", f"user{n}", "Spring-2026")
            self.assertLockedOut("10.6.6.6", "teacher")


class PasswordTests(PersonaTestCase):
    def test_weak_passwords_are_refused_in_chinese(self):
        client = self.client_as("teacher")
        for weak in ["short1", "abcdefghijkl", "1234567890123", "password123"]:
            with self.subTest(weak=weak):
                response = client.post(
                    reverse("accounts:password_change"),
                    {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
                )
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "errorlist")
                self.assertRegex(response.content.decode(), "密码")

    def test_password_change_is_audited_without_the_password(self):
        new = "Another-strong-77"
        response = self.client_as("teacher").post(
            reverse("accounts:password_change"),
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
        self.assertRedirects(response, HOME)
        entry = AuditEntry.objects.get(
            action=AuditAction.UPDATE, object_type="accounts.user", object_id=str(self.teacher.pk)
        )
        self.assertEqual(entry.changes, {"password": ["***", "***"]})
        self.assertNotIn(new, str(entry.changes))


class AuditAppendOnlyTests(PersonaTestCase):
    def test_entries_cannot_be_changed_or_deleted_through_the_orm(self):
        entry = AuditEntry.objects.first()
        assert entry is not None
        with self.assertRaises(PermissionError):
            entry.save()
        with self.assertRaises(PermissionError):
            entry.delete()
        with self.assertRaises(PermissionError):
            AuditEntry.objects.filter(pk=entry.pk).update(action="view")
        with self.assertRaises(PermissionError):
            AuditEntry.objects.all().delete()

    def test_the_database_refuses_raw_updates_and_deletes(self):
        entry = AuditEntry.objects.first()
        assert entry is not None
        table = AuditEntry._meta.db_table
        for sql in [
            f"UPDATE {table} SET action = 'view' WHERE id = %s",  # noqa: S608  (fixed table name)
            f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
        ]:
            with (
                self.subTest(sql=sql),
                self.assertRaises(DatabaseError),
                transaction.atomic(),
                transaction.get_connection().cursor() as cursor,
            ):
                cursor.execute(sql, [entry.pk])
        self.assertTrue(AuditEntry.objects.filter(pk=entry.pk, action=entry.action).exists())
