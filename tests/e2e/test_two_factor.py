"""两步验证 in a browser: a county officer enrols at the first login by typing the secret the
page shows into an "app" (the TOTP computed here), then logs out and in again with a code.

The shared demo server runs with two-step verification off (tests/settings.py), so this test
serves a small demo county of its own with it required of sysadmins and region officers."""

from __future__ import annotations

import time
from base64 import b32decode
from collections.abc import Iterator

import pytest
from django_otp.oath import totp

from shouwang.demo.services import DEMO_PASSWORD
from tests import live


@pytest.fixture(scope="module")
def strict_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("var-2fa")
    env = live.environment(var, SHOUWANG_2FA_ROLES="sysadmin,region_officer")
    live.shouwang("migrate", "--noinput", "-v0", env=env)
    printed = live.shouwang("demo", "--seed", "7", "--children", "30", env=env).stdout
    assert "demo-county" in printed and "两步验证" in printed
    with live.running(env, var / "server.log") as url:
        yield url


def phone_app(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the secret typed into it (RFC 6238, 30 s, 6 digits)."""
    text = secret.replace(" ", "")
    key = b32decode(text + "=" * (-len(text) % 8))
    return f"{totp(key, step=30, t0=0, digits=6, drift=steps_ahead):06d}"


def log_in(phone, url: str) -> None:  # type: ignore[no-untyped-def]
    phone.goto(f"{url}/")
    phone.get_by_label("用户名").fill("demo-county")
    phone.get_by_label("密码").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="登录").click()


def test_a_county_officer_enrols_at_first_login_and_then_logs_in_with_a_code(strict_url, phone):
    log_in(phone, strict_url)
    phone.wait_for_url("**/accounts/two-factor/enrol/**")
    assert phone.get_by_test_id("otp-qr").locator("svg").is_visible()
    secret = phone.get_by_test_id("otp-secret").inner_text()
    # Nothing else opens before the device is set up.
    phone.goto(f"{strict_url}/children/")
    phone.wait_for_url("**/accounts/two-factor/enrol/**")

    phone.get_by_test_id("otp-code").fill(phone_app(secret))
    phone.get_by_test_id("otp-submit").click()
    phone.wait_for_url("**/accounts/two-factor/codes/")
    assert phone.get_by_test_id("recovery-codes").locator("li").count() == 10
    phone.get_by_test_id("codes-done").click()
    phone.wait_for_url(f"{strict_url}/")
    assert phone.get_by_role("heading", level=1).inner_text().startswith("您好")

    phone.get_by_text("菜单").click()
    phone.get_by_test_id("logout").first.click()
    phone.wait_for_url("**/accounts/login/")

    log_in(phone, strict_url)
    phone.wait_for_url("**/accounts/two-factor/verify/**")
    phone.get_by_test_id("otp-code").fill("000000")
    phone.get_by_test_id("otp-submit").click()
    assert "验证码错误或已被使用过" in phone.locator("main").inner_text()
    time.sleep(1.5)  # django-otp slows the device down for a second after a wrong code
    # The enrolment used this step's code, and a code is good once: the app's next one.
    phone.get_by_test_id("otp-code").fill(phone_app(secret, steps_ahead=1))
    phone.get_by_test_id("otp-submit").click()
    phone.wait_for_url(f"{strict_url}/")
    assert "区域管理员 · 青山县" in phone.locator("main").inner_text()
    assert phone.console_errors == []
