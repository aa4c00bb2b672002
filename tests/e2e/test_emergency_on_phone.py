"""A teacher reports an emergency on a phone and ticks a step too late; the county officer
sees the steps past their deadline in red."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.test_archive_on_phone import log_in

CST = ZoneInfo("Asia/Shanghai")
RED = "rgb(198, 40, 40)"


def test_teacher_reports_an_emergency_and_the_county_officer_sees_late_steps_red(live_url, phone):
    log_in(phone, live_url, "demo-teacher")
    phone.goto(f"{live_url}/children/")
    phone.get_by_test_id("register-row").first.get_by_role("link").first.click()
    phone.get_by_test_id("report-incident").click()

    ninety_minutes_ago = datetime.now(CST) - timedelta(minutes=90)
    phone.get_by_label("事件类型").select_option("injury")
    phone.locator("input[name=occurred_at]").fill(ninety_minutes_ago.strftime("%Y-%m-%dT%H:%M"))
    phone.get_by_label("地点").fill("操场")
    phone.get_by_label("事件经过").fill("课间从单杠上摔下，右臂疼痛")
    phone.get_by_role("button", name="报告并启动通报").click()
    phone.wait_for_url(re.compile(r".*/safety/\d+/$"))

    # The guardian is told now: seventy minutes after the deadline, so late for good.
    guardian = phone.locator("[data-testid=step][data-key=guardian]")
    guardian.locator("summary").click()
    guardian.get_by_label("告知了谁").fill("奶奶")
    guardian.get_by_label("方式").select_option("phone")
    guardian.get_by_role("button", name="已告知").click()
    phone.wait_for_url(re.compile(r".*/safety/\d+/$"))
    guardian = phone.locator("[data-testid=step][data-key=guardian]")
    assert "奶奶" in guardian.inner_text()
    assert guardian.get_by_test_id("step-late").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    phone.get_by_text("菜单").click()
    phone.get_by_test_id("logout").first.click()
    phone.wait_for_url("**/accounts/login/")
    log_in(phone, live_url, "demo-county")
    phone.goto(f"{live_url}/safety/")
    late = phone.get_by_test_id("late-step")
    # The demo county has an emergency of its own (a sudden illness): look at this injury's steps.
    texts = " ".join(t for t in late.all_inner_texts() if "意外受伤" in t)
    assert "学校领导" in texts and "外出父母" in texts and "监护人" not in texts
    colour = late.first.locator(".late").evaluate("el => getComputedStyle(el).color")
    assert colour == RED
    assert phone.console_errors == []
