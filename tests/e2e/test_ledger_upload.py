"""A school clerk uploads a ledger with mistakes, downloads the report, fixes it, uploads again."""

from __future__ import annotations

import openpyxl

from tests.ledger.files import Ledger, child_row

from .test_archive_on_phone import log_in


def test_clerk_fixes_a_ledger_from_the_error_report(live_url, phone, tmp_path):
    rows = [
        child_row(n, school="青石镇中心小学", klass="一年级（1）班", grade="一年级")
        for n in range(300, 304)
    ]
    rows[2]["监护人电话"] = "12345"
    bad = Ledger(rows, title_rows=["青石镇中心小学留守儿童花名册"]).write_xlsx(
        tmp_path / "花名册.xlsx"
    )

    log_in(phone, live_url, "demo-school")
    phone.goto(f"{live_url}/ledger/import/")
    phone.locator("#id_org").select_option("9900000001")
    phone.locator("#id_file").set_input_files(str(bad))
    phone.get_by_role("button", name="读取文件").click()
    phone.get_by_test_id("ledger-errors").wait_for()
    assert "监护人电话" in phone.get_by_test_id("ledger-errors").inner_text()

    with phone.expect_download() as download:
        phone.get_by_test_id("error-report").click()
    report = tmp_path / "report.xlsx"
    download.value.save_as(report)
    sheet = openpyxl.load_workbook(report).active
    wrong = [row for row in sheet.iter_rows(values_only=True) if row[-1]]
    assert len(wrong) == 2  # the header's own "错误说明" and the one bad row
    assert wrong[1][0] == rows[2]["姓名"]

    rows[2]["监护人电话"] = "13912345678"
    fixed = Ledger(rows, title_rows=["青石镇中心小学留守儿童花名册"]).write_xlsx(
        tmp_path / "花名册2.xlsx"
    )
    phone.goto(f"{live_url}/ledger/import/")
    phone.locator("#id_org").select_option("9900000001")
    phone.locator("#id_file").set_input_files(str(fixed))
    phone.get_by_role("button", name="读取文件").click()
    ready = phone.get_by_test_id("ledger-ready")
    ready.wait_for()
    assert "新增 4" in ready.inner_text()
    phone.get_by_role("button", name="全部保存").click()
    # The new children come with their next steps (pair them, assess them).
    phone.wait_for_url("**/ledger/import/done/")
    assert rows[2]["姓名"] in phone.get_by_test_id("new-children").inner_text()
    assert phone.get_by_test_id("pair-new").is_visible()
    phone.goto(f"{live_url}/children/?q={rows[2]['姓名']}")
    assert rows[2]["姓名"] in phone.content()
    assert phone.console_errors == []
