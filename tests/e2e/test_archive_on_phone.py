"""A class teacher adds a child on a phone and prints the class's contact cards."""

from __future__ import annotations

import io
import re
from datetime import date

from pypdf import PdfReader

from shouwang.core.validators import id_check_digit
from shouwang.demo.services import DEMO_PASSWORD


def log_in(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")


def test_teacher_adds_a_child_and_prints_a_contact_card(live_url, phone):
    log_in(phone, live_url, "demo-teacher")
    phone.goto(f"{live_url}/children/new/")
    first17 = "990101" + "20190506" + "042"
    id_number = first17 + id_check_digit(first17)

    phone.locator("#id_name").fill("测试小芳")
    phone.locator("#id_gender").select_option("female")
    phone.locator("#id_birth_date").fill(date(2019, 5, 6).isoformat())
    # Validation as you type: a wrong check digit is reported before saving.
    wrong = first17 + ("0" if id_number[-1] != "0" else "1")
    phone.locator("#id_id_number").fill(wrong)
    phone.locator("#id_id_number").blur()
    phone.get_by_text("校验码错误").wait_for()
    phone.locator("#id_id_number").fill(id_number)
    phone.locator("#id_id_number").blur()
    phone.get_by_text("校验码错误").wait_for(state="detached")

    phone.locator("#id_school_class").select_option(index=1)
    phone.locator("#id_address").fill("演示村2组")
    phone.locator("#id_father-name").fill("测试父")
    phone.locator("#id_father-status").select_option("migrant")
    phone.locator("#id_father-phone").fill("138 0013 8000")
    phone.locator("#id_mother-name").fill("测试母")
    phone.locator("#id_mother-status").select_option("migrant")
    phone.locator("#id_guardian-name").fill("测试奶奶")
    phone.locator("#id_guardian-relation").select_option("grandparent")
    phone.locator("#id_guardian-age").fill("67")
    phone.locator("#id_guardian-phone").fill("13900139000")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("button", name="保存").click()

    phone.wait_for_url(re.compile(r".*/children/\d+/$"))
    assert phone.get_by_role("heading", level=1).inner_text() == "测试小芳"
    assert "父母双方外出" in phone.content()
    assert id_number not in phone.content()  # masked until shown

    response = phone.request.get(f"{live_url}/children/cards.pdf")
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "测试小芳" in text
    assert "13800138000" in text  # a contact card is for calling: phones in full
    assert phone.console_errors == []
