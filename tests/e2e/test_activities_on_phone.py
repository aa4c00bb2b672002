"""A class teacher plans a reading club on a phone, takes attendance from the class list (a tap
per child) and sees the 人次 counted from it."""

from __future__ import annotations

import re

from tests.e2e.test_archive_on_phone import log_in


def test_teacher_takes_attendance_from_the_class_list(live_url, phone):
    log_in(phone, live_url, "demo-teacher")
    phone.goto(f"{live_url}/activities/")
    phone.get_by_role("button", name="策划活动").click()
    phone.wait_for_url(f"{live_url}/activities/add/")
    phone.locator("select[name=unit]").select_option(index=1)  # the teacher's class
    phone.locator("select[name=kind]").select_option("reading")
    phone.locator("input[name=title]").fill("班级读书分享会")
    assert phone.locator("input[name=in_charge]").input_value() == "demo-teacher"
    phone.get_by_role("button", name="保存").click()
    phone.wait_for_url(re.compile(r".*/activities/\d+/$"))
    phone.get_by_text("活动已策划。").wait_for()

    phone.locator("[data-testid=session]").get_by_role("link", name="签到").click()
    phone.wait_for_url(re.compile(r".*/activities/session/\d+/$"))
    phone.get_by_role("button", name="打开名单").click()
    class_list = phone.locator("[data-testid=class-list]")
    class_list.wait_for()
    chips = class_list.locator("label.chip")
    assert chips.count() >= 3
    for i in range(3):
        chips.nth(i).click()  # a tap each
    assert class_list.locator("input[name=present]:checked").count() == 3
    class_list.get_by_role("button", name="保存签到").click()

    phone.get_by_text("签到已保存：新增 3 人，划掉 0 人。").wait_for()
    assert phone.locator("[data-testid=person-times]").inner_text() == "3"
    assert phone.locator("[data-testid=attendee]").count() == 3
    # Nothing on the page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
