"""The quick radio buttons write, button by button, exactly what Django's RadioSelect writes
(issue 17)."""

from __future__ import annotations

from django import forms
from django.test import SimpleTestCase
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from shouwang.core.forms import QuickRadioSelect

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
choices = st.lists(
    st.tuples(st.one_of(text, st.integers()), st.one_of(text, text.map(mark_safe))),
    min_size=1,
    max_size=6,
    unique_by=lambda c: str(c[0]),
)


def buttons(widget: forms.Widget, choices, value, required: bool, auto_id: str | bool):
    class Form(forms.Form):
        kind = forms.ChoiceField(choices=choices, widget=widget, required=required)

    form = Form({"kind": value} if value is not None else None, auto_id=auto_id)
    return [(radio.tag(), str(radio), radio.choice_label) for radio in form["kind"]]


class QuickRadioTests(SimpleTestCase):
    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(
        choices=choices,
        value=st.one_of(st.none(), text),
        required=st.booleans(),
        auto_id=st.sampled_from(["id_%s", False, 'x"<%s>']),
    )
    def test_each_button_is_djangos_byte_for_byte(self, choices, value, required, auto_id):
        if value is None and choices and required:
            value = str(choices[0][0])  # a chosen one, now and then
        expected = buttons(forms.RadioSelect, choices, value, required, auto_id)
        self.assertEqual(buttons(QuickRadioSelect, choices, value, required, auto_id), expected)

    def test_the_whole_group_is_still_djangos(self):
        class Form(forms.Form):
            kind = forms.ChoiceField(choices=[("a", "甲"), ("b", "乙")], widget=QuickRadioSelect)

        class Plain(forms.Form):
            kind = forms.ChoiceField(choices=[("a", "甲"), ("b", "乙")], widget=forms.RadioSelect)

        self.assertEqual(str(Form({"kind": "b"})["kind"]), str(Plain({"kind": "b"})["kind"]))
