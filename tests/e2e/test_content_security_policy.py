"""In a real browser, the Content-Security-Policy refuses nothing Shouwang itself does: the
dashboard's ECharts charts (their tooltips too) and the parts htmx fetches and swaps in."""

from __future__ import annotations

from shouwang.core.validators import id_check_digit
from tests.e2e.test_archive_on_phone import log_in

# Installed before any page script (through the browser's debugging protocol, which the
# policy does not govern): every refusal the page meets is kept for the test to read.
LISTEN = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " +
                       (e.sourceFile || "") + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


def refusals(page) -> list[str]:  # type: ignore[no-untyped-def]
    said = [text for text in page.console_errors if "Content Security Policy" in text]
    return said + list(page.evaluate("window.__refused || []"))


def test_the_dashboard_and_htmx_pages_meet_no_refusal(live_url, phone):
    phone.add_init_script(LISTEN)
    every: list[str] = []
    phone.on("console", lambda m: "Content Security Policy" in m.text and every.append(m.text))

    log_in(phone, live_url, "demo-school")
    response = phone.goto(f"{live_url}/stats/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Two parts arrive by htmx after the page; the charts are drawn by ECharts.
    phone.locator("[data-testid=compliance-summary] [data-testid=total-overdue]").wait_for()
    phone.locator("[data-testid=trend] table").wait_for()
    phone.wait_for_function(
        "() => window.echarts && document.querySelector('[data-chart][data-drawn]')"
    )
    phone.wait_for_load_state("networkidle")
    chart = phone.locator("[data-chart][data-drawn]").first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box is not None and box["height"] > 100
    # A tooltip: ECharts writes it as markup with style attributes.
    phone.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.mouse.move(box["x"] + box["width"] / 3, box["y"] + box["height"] / 2 + 10)
    phone.wait_for_timeout(300)
    found = refusals(phone)

    # The archive form checks an ID number as it is typed (htmx posts it, swaps the answer in).
    phone.goto(f"{live_url}/children/new/")
    first17 = "99010120190506042"
    wrong = first17 + ("0" if id_check_digit(first17) != "0" else "1")
    phone.locator("#id_id_number").fill(wrong)
    phone.locator("#id_id_number").blur()
    phone.get_by_text("校验码错误").wait_for()
    found += refusals(phone)

    assert found == [], found
    assert every == [], every
    assert phone.console_errors == []
