"""忘记密码: a manager resets a password; the temporary one opens one login, which reaches
nothing but choosing a new password; out of the manager's units it is a 404; audited."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from shouwang.accounts import reset
from shouwang.accounts.models import User
from shouwang.audit.models import AuditAction, AuditEntry
from tests.personas import PersonaTestCase

LOGIN = reverse("accounts:login")
HOME = reverse("web:home")
CHOSEN = "Chosen-by-me-2027"


class ResetPasswordTests(PersonaTestCase):
    def reset_as(self, persona: str, whose: str) -> str:
        """The temporary password the page shows ``persona`` for ``whose``."""
        url = reverse("accounts:reset", args=[self.world.users[whose].pk])
        response = self.client_as(persona).post(url)
        self.assertEqual(response.status_code, 200)
        match = re.search(
            r'data-testid="temporary-password"[^>]*>([^<]+)<', response.content.decode()
        )
        assert match
        return match.group(1)

    def log_in(self, password: str, username: str = "teacher") -> tuple[Client, object]:
        client = Client(REMOTE_ADDR="127.0.0.1")
        return client, client.post(LOGIN, {"username": username, "password": password})

    def test_the_school_admin_resets_a_teacher_of_the_school_and_it_is_audited(self):
        password = self.reset_as("school_admin", "teacher")
        teacher = User.objects.get(pk=self.teacher.pk)
        self.assertTrue(teacher.must_change_password)
        self.assertTrue(teacher.check_password(password))
        self.assertEqual(len(password), reset.LENGTH)
        entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(teacher.pk))
        [entry] = entry.filter(changes__password="reset")
        self.assertEqual(entry.actor_id, self.school_admin.pk)
        self.assertNotIn(password, str(AuditEntry.objects.values_list("changes", flat=True)))
        # Shown once: the confirmation page never shows it again.
        page = self.client_as("school_admin").get(reverse("accounts:reset", args=[teacher.pk]))
        self.assertNotContains(page, password)

    def test_only_the_managers_of_the_persons_units_may_reset_and_others_get_404(self):
        teacher = reverse("accounts:reset", args=[self.teacher.pk])
        other_school = reverse("accounts:reset", args=[self.world.users["teacher_b"].pk])
        fellow_manager = reverse("accounts:reset", args=[self.school_admin.pk])
        for persona, url in [
            ("school_admin", other_school),  # another school's teacher
            ("school_admin", fellow_manager),  # a manager: the sysadmin's to reset
            ("county_officer", fellow_manager),
            ("teacher", teacher),  # one's own
            ("counselor", teacher),
            ("volunteer", teacher),
            ("teacher_b", teacher),
        ]:
            with self.subTest(persona=persona, url=url):
                self.assertEqual(self.client_as(persona).post(url).status_code, 404)
        self.assertFalse(User.objects.filter(must_change_password=True).exists())
        self.assertEqual(
            self.client_as("teacher").get(reverse("accounts:reset_list")).status_code, 404
        )
        listed = self.client_as("school_admin").get(reverse("accounts:reset_list"))
        names = {p.username for p in listed.context["people"]}
        self.assertEqual(names, {"teacher", "counselor"})
        self.reset_as("sysadmin", "school_admin")  # the sysadmin resets a manager

    def test_the_temporary_password_leads_to_choosing_a_new_one_before_anything_else(self):
        password = self.reset_as("school_admin", "teacher")
        client, response = self.log_in(password)
        chosen_url = reverse("accounts:password_required")
        self.assertRedirects(response, HOME, fetch_redirect_response=False)
        for url in (HOME, reverse("care:tasks"), reverse("children:register")):
            with self.subTest(url=url):
                self.assertRedirects(client.get(url), f"{chosen_url}?next={url}")
        self.assertEqual(client.get("/api/v1/children/").status_code, 403)
        refused = client.post(chosen_url, {"new_password1": CHOSEN, "new_password2": "other"})
        self.assertEqual(refused.status_code, 200)
        done = client.post(chosen_url, {"new_password1": CHOSEN, "new_password2": CHOSEN})
        self.assertRedirects(done, HOME)
        self.assertEqual(client.get(HOME).status_code, 200)  # the session was kept
        teacher = User.objects.get(pk=self.teacher.pk)
        self.assertFalse(teacher.must_change_password)
        self.assertTrue(teacher.check_password(CHOSEN))
        self.assertTrue(
            AuditEntry.objects.filter(
                actor_id=teacher.pk, changes__password=["***", "***"]
            ).exists()
        )
        self.assertRedirects(self.log_in(CHOSEN)[1], HOME, fetch_redirect_response=False)

    def test_the_temporary_password_works_once(self):
        password = self.reset_as("school_admin", "teacher")
        client, _first = self.log_in(password)
        client.get(HOME)  # the first page: the temporary password is spent
        client.post(reverse("accounts:logout"))
        _client, again = self.log_in(password)
        self.assertEqual(again.status_code, 200)  # the login form again, with its error
        self.assertFalse(again.wsgi_request.user.is_authenticated)

    def test_a_reset_ends_the_persons_sessions_and_the_api_refuses_the_temporary_password(self):
        before = self.client_as("teacher")
        self.assertEqual(before.get(HOME).status_code, 200)
        password = self.reset_as("school_admin", "teacher")
        self.assertRedirects(before.get(HOME), f"{LOGIN}?next={HOME}")
        token = Client().post(reverse("api:token"), {"username": "teacher", "password": password})
        self.assertEqual(token.status_code, 403)


class ResetWithTwoStepVerificationTests(PersonaTestCase):
    """A person who owes a second step: the login finishes it first, then holds them on
    choosing a password (before: each page sent to the other, and the temporary password was
    spent on the way: locked out)."""

    def test_the_second_step_comes_first_and_the_temporary_password_is_not_spent_on_it(self):
        with self.settings(SHOUWANG_2FA_ROLES="teacher"):
            url = reverse("accounts:reset", args=[self.world.users["teacher"].pk])
            page = self.client_as("school_admin").post(url).content.decode()
            match = re.search(r'data-testid="temporary-password"[^>]*>([^<]+)<', page)
            assert match
            client = Client(REMOTE_ADDR="127.0.0.1")
            client.post(LOGIN, {"username": "teacher", "password": match.group(1)})
            enrol = reverse("accounts:two_factor_enrol")
            self.assertRedirects(
                client.get(HOME), f"{enrol}?next={HOME}", fetch_redirect_response=False
            )
            self.assertEqual(client.get(enrol).status_code, 200)  # no loop
            self.assertTrue(User.objects.get(pk=self.teacher.pk).has_usable_password())
