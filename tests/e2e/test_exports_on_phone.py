"""A school's administrator asks for the school's ledger on a phone and finds it on 导出."""

from __future__ import annotations

import re

from tests.e2e.test_archive_on_phone import log_in


def test_school_admin_exports_the_ledger_on_a_phone(live_url, phone):
    log_in(phone, live_url, "demo-school")
    phone.goto(f"{live_url}/orgs/")
    unit = phone.locator("main a[href^='/orgs/']").first
    unit.click()
    phone.wait_for_url(re.compile(r".*/orgs/[^/]+/$"))
    phone.locator("[data-testid=export-ledger]").click()
    phone.get_by_role("button", name=re.compile("打码")).first.click()
    phone.wait_for_url(f"{live_url}/ledger/exports/")
    job = phone.locator("[data-testid=export-job]").first
    job.wait_for()
    phone.locator("[data-testid=export-download]").first.wait_for(timeout=60_000)
    assert "TZ" in job.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
