"""A county officer opens the dashboard, taps a chart bar and lands on the children it counts."""

from __future__ import annotations

import re

from tests.e2e.test_archive_on_phone import log_in

# Where the tallest bar of a chart is drawn, in the chart's own pixels, and what it says.
BAR = """(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const option = chart.getOption();
  const values = option.series[0].data;
  const i = values.indexOf(Math.max(...values));
  const [x, y] = chart.convertToPixel({xAxisIndex: 0, yAxisIndex: 0}, [values[i] / 2, i]);
  return {x: x, y: y, label: option.yAxis[0].data[i], value: values[i]};
}"""


def test_county_officer_taps_a_chart_bar_and_sees_the_children_behind_it(live_url, phone):
    log_in(phone, live_url, "demo-county")
    phone.get_by_test_id("place-figures").get_by_role("link").first.click()
    phone.wait_for_url(re.compile(r".*/stats/\?org=\d+"))
    assert "认定" in phone.get_by_test_id("figures-basis").inner_text()
    # This term's duty compliance arrives after the page, from the compliance page itself.
    phone.locator("[data-testid=compliance-summary] [data-testid=total-overdue]").wait_for()
    phone.locator("[data-testid=trend] table").wait_for()
    phone.wait_for_load_state("networkidle")  # nothing more arrives to move the charts

    chart = phone.locator("#chart-by_type")
    chart.scroll_into_view_if_needed()
    phone.wait_for_function(
        "() => window.echarts && echarts.getInstanceByDom(document.getElementById('chart-by_type'))"
    )
    bar = phone.evaluate(BAR, "chart-by_type")
    box = chart.bounding_box()
    phone.mouse.click(box["x"] + bar["x"], box["y"] + bar["y"])

    phone.wait_for_url(re.compile(r".*/stats/children/\?.*dimension=by_type.*"))
    assert bar["label"] in phone.locator("h1").inner_text()
    assert str(bar["value"]) in phone.get_by_test_id("behind-count").inner_text()
    assert phone.get_by_test_id("behind-row").count() == min(bar["value"], 50)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
