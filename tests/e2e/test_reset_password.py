"""忘记密码 in a browser: the school admin resets a teacher's password and reads the temporary
one off the page; the teacher logs in with it, is held on choosing a new password, then
reaches home.

A demo county of its own: the shared demo server's teacher keeps the demo password for the
other browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shouwang.demo.services import DEMO_PASSWORD
from tests import live

CHOSEN = "Chosen-on-the-phone-2027"


@pytest.fixture(scope="module")
def reset_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("var-reset")
    env = live.environment(var)
    live.shouwang("migrate", "--noinput", "-v0", env=env)
    live.shouwang("demo", "--seed", "11", "--children", "30", env=env)
    with live.running(env, var / "server.log") as url:
        yield url


def log_in(page, url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_the_school_admin_resets_and_the_teacher_must_choose_a_new_password(
    reset_url, browser, phone
):  # type: ignore[no-untyped-def]
    log_in(phone, reset_url, "demo-school", DEMO_PASSWORD)
    phone.wait_for_url(f"{reset_url}/")
    phone.get_by_test_id("reset-passwords").click()
    phone.wait_for_url("**/accounts/users/reset/")
    phone.get_by_label("姓名或账号").fill("demo-teacher")
    phone.get_by_label("姓名或账号").press("Enter")
    row = phone.get_by_test_id("resettable").filter(has_text="demo-teacher")
    row.get_by_test_id("reset-link").click()
    phone.get_by_test_id("reset-confirm").click()
    temporary = phone.get_by_test_id("temporary-password").inner_text().strip()
    assert len(temporary) == 12

    teacher = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = teacher.new_page()
        log_in(page, reset_url, "demo-teacher", temporary)
        page.wait_for_url("**/accounts/password/new/**")
        page.goto(f"{reset_url}/children/")  # nothing else opens until it is done
        page.wait_for_url("**/accounts/password/new/**")
        page.locator("#id_new_password1").fill(CHOSEN)
        page.locator("#id_new_password2").fill(CHOSEN)
        page.get_by_test_id("choose-password").click()
        page.wait_for_url(f"{reset_url}/")
        assert page.get_by_role("heading", level=1).inner_text().startswith("您好")
        page.goto(f"{reset_url}/children/")
        assert "/children/" in page.url
    finally:
        teacher.close()
