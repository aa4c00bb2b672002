"""The demo teacher, on duty at the school's 留守儿童之家 today, sees the shift in 我的任务 on a
phone, takes the day's attendance with a tap per child, and the shift is done."""

from __future__ import annotations

import re

from tests.e2e.test_archive_on_phone import log_in


def test_teacher_on_duty_takes_attendance_and_the_shift_is_done(live_url, phone):
    log_in(phone, live_url, "demo-teacher")
    phone.goto(f"{live_url}/care/")
    due = phone.locator("[data-testid=other-duty-due]", has_text="值班")
    due.first.wait_for()
    due.first.get_by_role("button", name="打开").click()

    phone.wait_for_url(re.compile(r".*/homes/shifts/\d+/check-in/"))
    phone.get_by_role("link", name="登记当天到站儿童").click()
    phone.wait_for_url(re.compile(r".*/homes/\d+/attendance/.*"))
    rows = phone.locator("[data-testid=attendance] li")
    assert rows.count() > 0
    # A tap on the child's name ticks them (the whole label is the target on a phone).
    rows.nth(0).locator("label").nth(0).click()
    rows.nth(1).locator("label").nth(0).click()
    rows.nth(1).locator("label").nth(1).click()
    assert rows.nth(0).locator("input[name=children]").is_checked()
    assert rows.nth(1).locator("input[name=holiday]").is_checked()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    phone.get_by_role("button", name="保存").click()

    phone.wait_for_url(re.compile(r".*/homes/\d+/$"))
    phone.get_by_text("已保存：到站 2 人，其中假期托管 1 人。").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # Checked in by taking the attendance: nothing of the home is due any more.
    phone.goto(f"{live_url}/care/")
    phone.locator("h1").wait_for()
    assert phone.locator("[data-testid=other-duty-due]", has_text="值班").count() == 0
