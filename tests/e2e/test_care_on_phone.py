"""A volunteer opens "我的任务" on a phone, records a home visit and sees the duty done."""

from __future__ import annotations

import re

from tests.e2e.test_archive_on_phone import log_in

MONTHLY_VISIT = "每月家访一次"


def test_volunteer_records_a_home_visit_and_sees_it_done(live_url, phone):
    log_in(phone, live_url, "demo-volunteer")
    # The menu is a dropdown on a phone.
    phone.locator("details.menu summary").click()
    phone.locator("details.menu").get_by_role("link", name="我的任务").click()
    phone.wait_for_url(f"{live_url}/care/")

    todo = phone.locator(
        "[data-testid=task-due], [data-testid=task-overdue]", has_text=MONTHLY_VISIT
    ).filter(has=phone.get_by_role("button", name="记录", exact=True))
    todo.first.wait_for()
    card = todo.first
    child = card.locator("strong").first.inner_text()
    period = re.search(r"\d{4}年\d{2}月", card.inner_text()).group(0)
    card.get_by_role("button", name="记录", exact=True).click()

    phone.wait_for_url(re.compile(r".*/care/record/\?child=\d+.*"))
    assert phone.locator("input[name=kind][value=home_visit]").is_checked()
    phone.get_by_label("时长（分钟）").fill("40")
    phone.get_by_label("对象").select_option("guardian")
    phone.get_by_label("发现的情况").fill("孩子和奶奶在家，作业已完成")
    phone.get_by_role("button", name="保存").click()

    phone.wait_for_url(f"{live_url}/care/")
    phone.get_by_text(f"已记录：{child}的家访").wait_for()
    phone.locator("details[data-testid=done] summary").click()
    done = phone.locator("[data-testid=task-done]", has_text=MONTHLY_VISIT).filter(has_text=child)
    done.first.wait_for()  # the rows come when the section opens
    assert done.filter(has_text=period).count() == 1
    # Nothing on the page is wider than the phone.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
