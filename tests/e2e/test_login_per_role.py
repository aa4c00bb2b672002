"""Every role logs in on a phone, sees its zh-Hans home page without errors, and logs out."""

from __future__ import annotations

from pathlib import Path

import pytest

from shouwang.demo.services import DEMO_PASSWORD

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-results"

# Demo login → what its home page must say: the role and the place it looks after.
ROLES = {
    "demo-admin": ["系统管理员", "审计日志"],
    "demo-county": ["区域管理员 · 青山县"],
    "demo-township": ["区域管理员 · 青石镇"],
    "demo-federation": ["区域管理员 · 青山县妇女联合会"],
    "demo-school": ["学校管理员 · 青石镇中心小学"],
    "demo-teacher": ["班主任/教师 · 一年级（1）班"],
    "demo-village": ["儿童主任/村干部"],
    "demo-volunteer": ["志愿者/爱心妈妈 · 青山县爱心志愿者协会"],
    "demo-counselor": ["心理辅导员 · 青石镇中心小学"],
}


@pytest.mark.parametrize("username", ROLES)
def test_role_logs_in_on_a_phone_and_out_again(live_url, phone, username):
    phone.goto(f"{live_url}/")
    assert "/accounts/login/" in phone.url
    phone.get_by_label("用户名").fill(username)
    phone.get_by_label("密码").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(f"{live_url}/")
    assert phone.get_by_role("heading", level=1).inner_text().startswith("您好")
    body = phone.locator("main").inner_text()
    for text in ROLES[username]:
        assert text in body
    if username != "demo-admin":
        assert "审计日志" not in phone.content()
    # Nothing wider than the phone: no sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / f"home-{username}.png"), full_page=True)
    phone.get_by_text("菜单").click()
    phone.get_by_test_id("logout").first.click()
    phone.wait_for_url("**/accounts/login/")
    assert phone.console_errors == []


def test_wrong_password_shows_a_chinese_message(live_url, phone):
    phone.goto(f"{live_url}/accounts/login/")
    phone.get_by_label("用户名").fill("demo-teacher")
    phone.get_by_label("密码").fill("not-the-password-1")
    phone.get_by_role("button", name="登录").click()
    assert "请输入一个正确的" in phone.content() or "不正确" in phone.content()
    assert phone.console_errors == []
