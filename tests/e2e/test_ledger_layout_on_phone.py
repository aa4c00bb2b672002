"""A county officer sets the county's ledger layout on a phone (issue 22): from the county's
ledger export page, a title of the county's own, saved; the export page then names it."""

from __future__ import annotations

import re

from tests.e2e.test_archive_on_phone import log_in

TITLE = "手机端测试县农村留守儿童信息台账"


def test_county_officer_saves_the_ledger_layout_on_a_phone(live_url, phone):
    log_in(phone, live_url, "demo-county")
    phone.goto(f"{live_url}/orgs/")
    phone.locator("main a[href^='/orgs/']").first.click()
    phone.wait_for_url(re.compile(r".*/orgs/[^/]+/$"))
    phone.locator("[data-testid=export-ledger]").click()
    phone.locator("[data-testid=layout-link]").click()
    phone.wait_for_url(re.compile(r".*/ledger/layout/[^/]+/$"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_label("标题").fill(TITLE)
    phone.get_by_role("button", name="保存格式").click()
    phone.get_by_text("台账格式已保存").wait_for()
    assert phone.locator("[data-testid=layout-in-use]").inner_text().startswith("当前使用：本地区")
    phone.locator("a", has_text="导出台账").first.click()
    phone.get_by_text(re.compile("的台账格式导出")).wait_for()
    assert phone.console_errors == []
