"""Long pickers search as one types (issue 19): on a phone, the school admin's child picker
of the care record form gets a filter box; typing part of a name leaves only the children
whose name holds it; nothing is chosen for the user, and what they choose stays."""

from __future__ import annotations

from tests.e2e.test_archive_on_phone import log_in


def test_typing_in_the_filter_box_narrows_the_child_picker(live_url, phone):
    log_in(phone, live_url, "demo-school")
    phone.goto(f"{live_url}/care/record/")
    picker = phone.locator("select[name=child]")
    names = [t.strip() for t in picker.locator("option").all_inner_texts() if t.strip()]
    names = [n for n in names if not n.startswith("-")]
    assert len(names) > 15, "the demo school has more children than a short list"
    box = phone.get_by_placeholder("输入名称筛选")
    box.wait_for()
    typed = names[7][:2]
    box.fill(typed)
    shown = picker.locator("option:not([hidden])")
    texts = [t for t in shown.all_inner_texts() if t.strip() and not t.startswith("-")]
    assert texts and all(typed in t for t in texts), (typed, texts)
    assert len(texts) < len(names)
    assert picker.input_value() == ""  # nothing chosen for the user
    picker.select_option(label=texts[0])
    box.fill("不会有这样的名字")
    assert picker.evaluate("s => s.options[s.selectedIndex].text") == texts[0]  # kept
    box.fill("")
    assert picker.locator("option:not([hidden])").count() >= len(names)
