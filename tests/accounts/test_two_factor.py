"""两步验证 (issue 18): a code from an authenticator app after the password, required of system
administrators and region officers, optional for everyone else; recovery codes; all audited."""

from __future__ import annotations

import io
import re
from base64 import b32decode
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from shouwang.accounts import twofactor
from shouwang.audit.models import AuditAction, AuditEntry
from tests.personas import PersonaTestCase
from tests.world import PASSWORD

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
HOME = reverse("web:home")
PAGE = reverse("accounts:two_factor")
VERIFY = reverse("accounts:two_factor_verify")
ENROL = reverse("accounts:two_factor_enrol")
CODES = reverse("accounts:two_factor_codes")
TOKEN = reverse("api:token")
CHILDREN = "/children/"
START = datetime(2026, 3, 2, 1, 0, 0, tzinfo=UTC)


def code_of(key: bytes, *, steps_ahead: int = 0) -> str:
    """What the person's phone shows now (or ``steps_ahead`` 30-second steps later)."""
    return f"{totp(key, step=30, t0=0, digits=6, drift=steps_ahead):06d}"


def key_shown_on(page: str) -> bytes:
    """The secret the enrolment page shows as text, as an app that types it in reads it."""
    shown = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page)
    assert shown is not None, "no secret on the page"
    text = shown.group(1).replace(" ", "")
    return b32decode(text + "=" * (-len(text) % 8))


@override_settings(SHOUWANG_2FA_ROLES="sysadmin,region_officer")
class TwoFactorTestCase(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        # The codes follow the clock: pinned, and moved on by hand between logins.
        traveller = time_machine.travel(START, tick=False)
        self.clock = traveller.start()
        self.addCleanup(traveller.stop)

    def later(self, seconds: int = 60) -> None:
        self.clock.shift(timedelta(seconds=seconds))

    def log_in(self, persona: str, client: Client | None = None) -> Client:
        client = client or Client(REMOTE_ADDR="10.0.0.7")
        response = client.post(LOGIN, {"username": persona, "password": PASSWORD})
        self.assertEqual(response.status_code, 302, "the password was refused")
        return client

    def enrol(self, persona: str) -> tuple[bytes, list[str]]:
        """The person set up their phone earlier: its key, and their recovery codes."""
        user = self.world.users[persona]
        device = twofactor.enrolment_device(user=user)
        codes = twofactor.confirm_enrolment(user=user, device=device, token=code_of(device.bin_key))
        assert codes is not None
        self.later()
        return device.bin_key, codes

    def entries(self, persona: str, action: str) -> list[AuditEntry]:
        return list(
            AuditEntry.objects.filter(
                action=action, object_id=str(self.world.users[persona].pk)
            ).order_by("id")
        )

    def assertSentTo(self, response, url: str) -> None:
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(url), response["Location"])


class RequiredRolesTests(TwoFactorTestCase):
    def test_region_officer_without_a_device_is_sent_to_enrolment_from_every_page(self):
        client = self.log_in("county_officer")
        for url in (HOME, CHILDREN, PAGE, VERIFY, "/care/tasks/"):
            with self.subTest(url=url):
                self.assertSentTo(client.get(url), ENROL)

    def test_enrolment_shows_the_qr_code_and_the_secret_and_a_code_confirms_it(self):
        client = self.log_in("county_officer")
        page = client.get(ENROL)
        self.assertContains(page, '<svg width="')
        self.assertContains(page, 'data-testid="otp-secret"')
        key = key_shown_on(page.content.decode())
        self.assertEqual(key, TOTPDevice.objects.get(user=self.county_officer).bin_key)
        # A reload shows the same secret (the phone may have scanned it already).
        self.assertEqual(key_shown_on(client.get(ENROL).content.decode()), key)

        self.assertContains(client.post(ENROL, {"code": "000000"}), "errorlist")
        self.later(2)  # django-otp slows the device down for a second after a wrong code
        self.assertSentTo(client.post(ENROL, {"code": code_of(key)}), CODES)

        shown = client.get(CODES)
        codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())
        self.assertEqual(len(set(codes)), 10)
        self.assertSentTo(client.get(CODES), PAGE)  # shown once
        self.assertEqual(client.get(HOME).status_code, 200)
        [entry] = [
            e
            for e in self.entries("county_officer", AuditAction.CREATE)
            if e.changes.get("two_factor")
        ]
        self.assertEqual(entry.changes, {"two_factor": "enrolled", "recovery_codes": 10})

    def test_the_qr_code_holds_the_secret_shown_and_our_name(self):
        device = twofactor.enrolment_device(user=self.county_officer)
        secret = twofactor.secret_of(device).replace(" ", "")
        self.assertEqual(
            twofactor.provisioning_uri(device),
            f"otpauth://totp/%E5%AE%88%E6%9C%9B%3Acounty_officer?secret={secret}"
            "&issuer=%E5%AE%88%E6%9C%9B&algorithm=SHA1&digits=6&period=30",
        )

    def test_the_second_step_pages_run_no_inline_script(self):
        """A Content-Security-Policy without inline script is coming: the QR code is SVG."""
        self.enrol("sysadmin")
        client = self.log_in("county_officer")
        pages = [client.get(ENROL), self.log_in("sysadmin").get(VERIFY)]
        for page in pages:
            html = page.content.decode()
            self.assertEqual(re.findall(r"<script(?![^>]*\bsrc=)", html), [])
            self.assertNotRegex(html, r"\son[a-z]+=")
            self.assertNotIn("javascript:", html)

    def test_officer_with_a_device_must_give_the_code_before_any_page(self):
        key, _codes = self.enrol("county_officer")
        client = self.log_in("county_officer")
        self.assertSentTo(client.get(CHILDREN), VERIFY)
        self.assertEqual(client.get("/api/v1/children/").status_code, 403)  # the session's API
        # Another Authorization scheme would let the API fall back to the unverified session.
        for header in ("Basic eDp5", "Bearer x", "Foo"):
            answer = client.get("/api/v1/children/", headers={"Authorization": header})
            self.assertEqual(answer.status_code, 403, header)
        response = client.post(VERIFY + "?next=/children/", {"code": code_of(key)})
        self.assertSentTo(response, CHILDREN)
        self.assertEqual(client.get(CHILDREN).status_code, 200)
        self.assertEqual(client.get("/api/v1/children/").status_code, 200)
        [entry] = self.entries("county_officer", AuditAction.LOGIN)[-1:]
        self.assertEqual(entry.changes, {"second_factor": "totp"})

    def test_a_page_asked_by_htmx_before_the_code_is_sent_to_the_step(self):
        self.enrol("township_officer")
        client = self.log_in("township_officer")
        response = client.get(CHILDREN, HTTP_HX_REQUEST="true")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response["HX-Redirect"], VERIFY)

    def test_a_wrong_code_is_refused_audited_and_five_end_the_login(self):
        key, _codes = self.enrol("county_officer")
        client = self.log_in("county_officer")
        for _ in range(4):
            self.later()  # past django-otp's slowing down after each wrong code
            refused = client.post(VERIFY, {"code": "123456"})
            self.assertContains(refused, "errorlist")
        self.later()
        self.assertSentTo(client.post(VERIFY, {"code": "123456"}), reverse("accounts:login"))
        self.assertSentTo(client.get(HOME), reverse("accounts:login"))  # logged out
        failed = self.entries("county_officer", AuditAction.LOGIN_FAILED)
        self.assertEqual([e.changes for e in failed], [{"second_factor": "totp"}] * 5)
        # The right code after a fresh password works.
        self.later()
        client = self.log_in("county_officer")
        self.assertSentTo(client.post(VERIFY, {"code": code_of(key)}), HOME)

    def test_a_quick_retry_after_a_wrong_code_waits_and_is_not_counted(self):
        key, _codes = self.enrol("county_officer")
        client = self.log_in("county_officer")
        client.post(VERIFY, {"code": "123456"})
        waiting = client.post(VERIFY, {"code": code_of(key)})
        self.assertContains(waiting, "1")
        self.assertEqual(client.session[twofactor.FAILURES_KEY], 1)
        self.later(2)
        self.assertSentTo(client.post(VERIFY, {"code": code_of(key)}), HOME)

    def test_a_code_is_good_only_once(self):
        key, _codes = self.enrol("county_officer")
        code = code_of(key)
        first = self.log_in("county_officer")
        self.assertSentTo(first.post(VERIFY, {"code": code}), HOME)
        second = self.log_in("county_officer")
        self.assertContains(second.post(VERIFY, {"code": code}), "errorlist")
        self.assertSentTo(second.get(HOME), VERIFY)

    def test_a_recovery_code_opens_the_login_once(self):
        _key, codes = self.enrol("county_officer")
        client = self.log_in("county_officer")
        used = codes[3].upper()[:4] + "-" + codes[3].upper()[4:]  # typed as read off paper
        self.assertSentTo(client.post(VERIFY, {"code": used}), HOME)
        self.assertEqual(client.get(HOME).status_code, 200)
        entry = self.entries("county_officer", AuditAction.LOGIN)[-1]
        self.assertEqual(
            entry.changes, {"second_factor": "recovery_code", "recovery_codes_left": 9}
        )
        self.later()
        again = self.log_in("county_officer")
        self.assertContains(again.post(VERIFY, {"code": codes[3]}), "errorlist")
        failed = self.entries("county_officer", AuditAction.LOGIN_FAILED)[-1]
        self.assertEqual(failed.changes, {"second_factor": "recovery_code"})

    def test_the_requirement_is_a_setting(self):
        with self.settings(SHOUWANG_2FA_ROLES=""):
            client = self.log_in("county_officer")
            self.assertEqual(client.get(HOME).status_code, 200)
        with self.settings(SHOUWANG_2FA_ROLES="teacher"):
            self.assertSentTo(self.log_in("teacher").get(HOME), ENROL)
        with (
            self.settings(SHOUWANG_2FA_ROLES="sysadmin,janitor"),
            pytest.raises(ImproperlyConfigured, match="janitor"),
        ):
            twofactor.required_roles()


class OptionalTests(TwoFactorTestCase):
    def test_a_teacher_is_not_asked_but_may_enrol_and_is_then_asked_at_login(self):
        client = self.log_in("teacher")
        self.assertEqual(client.get(HOME).status_code, 200)
        self.assertContains(client.get(reverse("accounts:password_change")), PAGE)
        self.assertContains(client.get(PAGE), "two-factor-enrol")
        key = key_shown_on(client.get(ENROL).content.decode())
        self.assertSentTo(client.post(ENROL, {"code": code_of(key)}), CODES)
        self.later()
        client.post(LOGOUT)
        again = self.log_in("teacher")
        self.assertSentTo(again.get(HOME), VERIFY)
        self.assertSentTo(again.post(VERIFY, {"code": code_of(key)}), HOME)

    def test_turning_it_off_needs_a_session_verified_with_the_code_and_is_audited(self):
        key, _codes = self.enrol("teacher")
        # A session logged in before the device existed (another browser) cannot remove it.
        older = self.client_as("teacher")
        older.get(HOME)
        older.session[twofactor.STEP_KEY] = "none"
        older.post(PAGE, {"action": "remove"})
        self.assertTrue(TOTPDevice.objects.filter(user=self.teacher).exists())

        client = self.log_in("teacher")
        client.post(VERIFY, {"code": code_of(key)})
        self.assertSentTo(client.post(PAGE, {"action": "remove"}), PAGE)
        self.assertFalse(TOTPDevice.objects.filter(user=self.teacher).exists())
        self.assertFalse(StaticDevice.objects.filter(user=self.teacher).exists())
        self.assertEqual(client.get(HOME).status_code, 200)
        [entry] = self.entries("teacher", AuditAction.REVOKE)
        self.assertEqual(entry.changes, {"two_factor": "removed"})

    def test_an_officer_who_removes_the_device_sets_up_the_new_phone_at_once(self):
        key, _codes = self.enrol("county_officer")
        client = self.log_in("county_officer")
        client.post(VERIFY, {"code": code_of(key)})
        client.post(PAGE, {"action": "remove"})
        self.assertSentTo(client.get(HOME), ENROL)

    def test_new_recovery_codes_replace_the_old_ones(self):
        key, old = self.enrol("teacher")
        client = self.log_in("teacher")
        client.post(VERIFY, {"code": code_of(key)})
        self.assertSentTo(client.post(PAGE, {"action": "renew"}), CODES)
        new = re.findall(r"<code>([a-z2-7]{8})</code>", client.get(CODES).content.decode())
        self.assertEqual(len(new), 10)
        self.assertIsNone(twofactor.verify(user=self.teacher, token=old[0]).device)
        self.later()
        self.assertIsNotNone(twofactor.verify(user=self.teacher, token=new[0]).device)


@override_settings(SHOUWANG_2FA_ROLES="region_officer")
class ResetTests(TwoFactorTestCase):
    def test_a_sysadmin_resets_a_lost_phone_ending_the_persons_sessions(self):
        key, _codes = self.enrol("county_officer")
        theirs = self.log_in("county_officer")
        theirs.post(VERIFY, {"code": code_of(key)})
        Token.objects.create(user=self.county_officer)
        admin = self.client_as("sysadmin")
        page = reverse("accounts:user_detail", args=[self.county_officer.pk])
        self.assertContains(admin.get(page), "reset-two-factor")
        self.assertSentTo(admin.post(page, {"action": "reset_two_factor"}), page)

        self.assertFalse(twofactor.is_enrolled(self.county_officer))
        self.assertSentTo(theirs.get(HOME), reverse("accounts:login"))
        self.assertFalse(Token.objects.filter(user=self.county_officer).exists())
        reset = AuditEntry.objects.get(
            action=AuditAction.REVOKE, changes__two_factor="reset", actor_id=self.sysadmin.pk
        )
        self.assertEqual(reset.object_id, str(self.county_officer.pk))
        self.assertSentTo(self.log_in("county_officer").get(HOME), ENROL)

    def test_only_those_who_manage_users_may_reset(self):
        self.enrol("teacher")
        page = reverse("accounts:user_detail", args=[self.teacher.pk])
        response = self.client_as("school_admin").post(page, {"action": "reset_two_factor"})
        self.assertEqual(response.status_code, 404)
        self.assertTrue(twofactor.is_enrolled(self.teacher))


class TokenTests(TwoFactorTestCase):
    def ask(self, persona: str, **extra: str):
        return Client().post(TOKEN, {"username": persona, "password": PASSWORD, **extra})

    def test_an_enrolled_officer_sends_the_code_with_the_password(self):
        key, _codes = self.enrol("county_officer")
        missing = self.ask("county_officer")
        self.assertEqual(missing.status_code, 400)
        self.assertIn("otp", missing.json())
        self.later()
        self.assertEqual(self.ask("county_officer", otp="999999").status_code, 400)
        self.later()
        answer = self.ask("county_officer", otp=code_of(key))
        self.assertEqual(answer.status_code, 200, answer.content)
        self.assertTrue(Token.objects.filter(key=answer.json()["token"]).exists())
        failed = self.entries("county_officer", AuditAction.LOGIN_FAILED)
        self.assertEqual([e.changes for e in failed], [{"second_factor": "totp"}])

    def test_an_officer_without_a_device_gets_no_token(self):
        response = self.ask("county_officer", otp="123456")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Token.objects.filter(user=self.county_officer).exists())

    def test_a_teacher_without_a_device_needs_no_code(self):
        self.assertEqual(self.ask("teacher").status_code, 200)

    def test_a_teacher_with_a_device_needs_the_code_too(self):
        key, _codes = self.enrol("teacher")
        self.assertEqual(self.ask("teacher").status_code, 400)
        self.assertEqual(self.ask("teacher", otp=code_of(key)).status_code, 200)


class AfterDeployTests(TwoFactorTestCase):
    def test_a_session_from_before_two_factor_is_asked_at_its_next_page(self):
        self.enrol("county_officer")
        client = self.client_as("county_officer")
        session = client.session
        del session[twofactor.STEP_KEY]
        session.save()
        self.assertSentTo(client.get(HOME), VERIFY)


@pytest.mark.django_db
@override_settings(SHOUWANG_2FA_ROLES="sysadmin,region_officer")
def test_the_demo_says_which_logins_set_up_two_factor_at_first_login():
    out = io.StringIO()
    call_command("demo", "--seed", "3", "--children", "5", stdout=out, stderr=io.StringIO())
    lines = {line.split()[0]: line for line in out.getvalue().splitlines() if "demo-" in line}
    assert lines["demo-county"].endswith("*")
    assert lines["demo-admin"].endswith("*")
    assert not lines["demo-teacher"].endswith("*")
    assert "两步验证" in out.getvalue()
