from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shouwang.accounts.models import Role, User
from shouwang.audit.models import AuditAction, AuditEntry
from tests.personas import PersonaTestCase


class UserPagesTests(PersonaTestCase):
    def test_sysadmin_adds_a_user_with_a_role_and_it_is_audited(self):
        response = self.client_as("sysadmin").post(
            reverse("accounts:user_create"),
            {
                "username": "wang.laoshi",
                "full_name": "王老师",
                "phone": "13800000000",
                "role": Role.TEACHER,
                "org": self.org("class_a2").code,
                "password1": "Strong-pass-123",
                "password2": "Strong-pass-123",
            },
        )
        self.assertRedirects(response, reverse("accounts:users"))
        user = User.objects.get(username="wang.laoshi")
        self.assertEqual(user.assignments.get().org, self.org("class_a2"))
        entry = AuditEntry.objects.get(
            action=AuditAction.CREATE, object_type="accounts.user", object_id=str(user.pk)
        )
        self.assertEqual(entry.actor, self.sysadmin)
        self.assertEqual(entry.changes["phone"], "138****0000")  # masked on the log (issue 18)

    def test_role_at_the_wrong_kind_of_unit_is_refused_at_the_field(self):
        response = self.client_as("sysadmin").post(
            reverse("accounts:user_create"),
            {
                "username": "misplaced",
                "full_name": "错位",
                "role": Role.SCHOOL_ADMIN,
                "org": self.org("township_a1").code,
                "password1": "Strong-pass-123",
                "password2": "Strong-pass-123",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        self.assertFalse(User.objects.filter(username="misplaced").exists())

    def test_user_list_query_count_does_not_grow_with_users(self):
        client = self.client_as("sysadmin")
        client.get(reverse("accounts:users"))  # warm the session
        with CaptureQueriesContext(connection) as first:
            client.get(reverse("accounts:users"))
        from shouwang.accounts import services

        for n in range(10):
            services.create_user(
                username=f"extra{n}",
                password="Strong-pass-123",
                role=Role.VOLUNTEER,
                org=self.org("volunteers_a"),
                by=None,
            )
        with self.assertNumQueries(len(first.captured_queries)):
            client.get(reverse("accounts:users"))


@pytest.mark.django_db
class TestCreateUserCommand:
    def run(self, monkeypatch, password: str, *args: str) -> str:
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        out = io.StringIO()
        call_command("createuser", *args, stdout=out)
        return out.getvalue()

    def test_creates_user_with_password_from_stdin(self, monkeypatch):
        from shouwang.orgs.services import add_org

        add_org(code="110101000000", name="甲县", kind="county", parent=None, by=None)
        out = self.run(
            monkeypatch,
            "Strong-pass-123",
            "li",
            "--role",
            "region_officer",
            "--org",
            "110101000000",
        )
        assert "li\tregion_officer\t110101000000" in out
        user = User.objects.get(username="li")
        assert user.check_password("Strong-pass-123")
        assert (
            AuditEntry.objects.get(object_type="accounts.user", object_id=str(user.pk)).via == "cli"
        )

    def test_weak_password_or_unknown_org_exits_1(self, monkeypatch):
        from shouwang.orgs.services import add_org

        add_org(code="110101000000", name="甲县", kind="county", parent=None, by=None)
        with pytest.raises(CommandError) as weak:
            self.run(monkeypatch, "123", "li", "--role", "region_officer", "--org", "110101000000")
        assert weak.value.returncode == 1
        with pytest.raises(CommandError) as unknown:
            self.run(monkeypatch, "Strong-pass-123", "li", "--role", "teacher", "--org", "nope")
        assert unknown.value.returncode == 1
        assert not User.objects.filter(username="li").exists()


class UserDetailTests(PersonaTestCase):
    def url(self, persona: str) -> str:
        return reverse("accounts:user_detail", args=[self.world.users[persona].pk])

    def test_sysadmin_adds_and_ends_a_role_and_both_are_audited(self):
        client = self.client_as("sysadmin")
        client.post(
            self.url("teacher"),
            {"action": "add_role", "role": Role.TEACHER, "org": self.org("class_a2").code},
        )
        self.assertEqual(self.teacher.assignments.filter(is_active=True).count(), 2)
        added = self.teacher.assignments.get(org=self.org("class_a2"))
        client.post(self.url("teacher"), {"action": "end_role", "assignment": added.pk})
        added.refresh_from_db()
        self.assertFalse(added.is_active)
        self.assertIsNotNone(added.ended_at)
        self.assertEqual(
            AuditEntry.objects.filter(object_type="accounts.roleassignment").count(), 2
        )

    def test_deactivated_user_can_no_longer_log_in(self):
        self.client_as("sysadmin").post(self.url("volunteer"), {"action": "deactivate"})
        self.volunteer.refresh_from_db()
        self.assertFalse(self.volunteer.is_active)
        from django.test import Client

        from tests.world import PASSWORD

        response = Client().post(
            reverse("accounts:login"), {"username": "volunteer", "password": PASSWORD}
        )
        self.assertEqual(response.status_code, 200)  # the form again, not the home page

    def test_profile_change_records_old_and_new_values(self):
        self.client_as("sysadmin").post(
            self.url("counselor"),
            {"action": "profile", "full_name": "陈老师", "phone": "13912345678"},
        )
        entry = AuditEntry.objects.filter(
            object_type="accounts.user", object_id=str(self.counselor.pk), action=AuditAction.UPDATE
        ).get()
        self.assertEqual(entry.changes["full_name"], ["测试counselor", "陈老师"])

    def test_role_at_an_org_outside_the_tree_of_the_kind_is_refused(self):
        response = self.client_as("sysadmin").post(
            self.url("teacher"),
            {"action": "add_role", "role": Role.VILLAGE_DIRECTOR, "org": self.org("school_a").code},
        )
        self.assertContains(response, "errorlist")
        self.assertEqual(self.teacher.assignments.count(), 1)


class SelfLockoutTests(PersonaTestCase):
    def test_a_sysadmin_cannot_deactivate_themselves_or_end_their_own_role(self):
        client = self.client_as("sysadmin")
        url = reverse("accounts:user_detail", args=[self.sysadmin.pk])
        response = client.post(url, {"action": "deactivate"}, follow=True)
        self.assertContains(response, "不能停用自己的账号")
        own = self.sysadmin.assignments.get()
        client.post(url, {"action": "end_role", "assignment": own.pk})
        self.sysadmin.refresh_from_db()
        own.refresh_from_db()
        self.assertTrue(self.sysadmin.is_active and own.is_active)
