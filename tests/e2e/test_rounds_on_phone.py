"""Reporting rounds on a phone: the county opens a round, a school submits, the county sees it
and returns it with a comment, the school submits again and both versions stay."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.e2e.conftest import PHONE
from tests.e2e.test_archive_on_phone import log_in

TITLE = "手机端排查测试"


def test_school_submits_county_returns_school_resubmits(live_url, browser, phone):
    county = phone
    log_in(county, live_url, "demo-county")
    county.goto(f"{live_url}/rounds/")
    county.locator("[data-testid=open-round]").first.click()
    county.get_by_label("标题").fill(TITLE)
    county.get_by_label("学校和村（社区）报送截止").fill(
        (date.today() + timedelta(days=7)).isoformat()
    )
    county.get_by_role("button", name="保存").click()
    county.get_by_text("上报已发起。").wait_for()
    county.get_by_role("link", name=TITLE).click()
    round_url = county.url

    school_context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    school = school_context.new_page()
    # The school's page records its console errors as the phone fixture's (the county's) does.
    school_errors: list[str] = []
    school.on("console", lambda m: m.type == "error" and school_errors.append(m.text))
    school.on("pageerror", lambda e: school_errors.append(str(e)))
    try:
        log_in(school, live_url, "demo-school")
        school.goto(f"{live_url}/rounds/")
        school.get_by_role("link", name=TITLE).click()
        rows = school.locator("[data-testid=unit-row]")
        assert rows.count() == 1  # the school sees its own row only
        rows.first.get_by_role("link").first.click()
        school.wait_for_url(re.compile(r".*/rounds/unit/\d+/"))
        unit_url = school.url
        school.locator("[data-testid=figures]").wait_for()
        school.locator("[data-testid=submit]").click()
        school.get_by_text("已上报：数据和台账按此刻冻结。").wait_for()
        assert school.locator("[data-testid=version]").count() == 1

        county.goto(round_url)
        row = county.locator("[data-testid=unit-row]").filter(
            has=county.locator("[data-status=submitted]")
        )
        assert row.count() == 1
        row.locator("[data-testid=return]").click()
        county.get_by_label("需要更正的内容").fill("请补充父母外出时间")
        county.get_by_role("button", name="保存").click()
        county.get_by_text("已退回：已通知该单位重新上报。").wait_for()
        assert county.locator("[data-status=returned]").count() == 1

        school.goto(unit_url)
        school.get_by_text("请补充父母外出时间").wait_for()
        school.locator("[data-testid=submit]").click()
        school.get_by_text("已上报：数据和台账按此刻冻结。").wait_for()
        assert school.locator("[data-testid=version]").count() == 2
        for page in (school, county):
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert county.console_errors == []
        assert school_errors == []
    finally:
        school_context.close()
