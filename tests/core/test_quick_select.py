"""The quick drop-down writes what Django's Select writes, in a fraction of the time."""

from __future__ import annotations

from django import forms
from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from shouwang.core.forms import QuickSelect

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
choice = st.tuples(st.one_of(st.none(), text, st.integers()), text)
choices = st.lists(
    st.one_of(choice, st.tuples(text, st.lists(choice, min_size=1, max_size=4))),
    max_size=8,
)


class QuickSelectTests(SimpleTestCase):
    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(choices=choices, value=st.one_of(st.none(), text, st.integers()), required=st.booleans())
    def test_it_writes_the_same_options_and_selection_as_djangos_select(
        self, choices, value, required
    ):
        attrs = {"id": "id_unit", "required": required, "aria-label": '单位 "甲" <b>'}
        expected = forms.Select(choices=choices).render("unit", value, attrs)
        self.assertHTMLEqual(QuickSelect(choices=choices).render("unit", value, attrs), expected)

    def test_a_label_cannot_break_out_of_its_option(self):
        html = QuickSelect(choices=[("1", "</option><script>x</script>")]).render("unit", "1")
        assert "<script>" not in html
        assert "&lt;script&gt;" in html

    def test_a_model_choice_field_selects_the_chosen_unit(self):
        field = forms.ChoiceField(choices=[("a", "甲"), ("b", "乙")], widget=QuickSelect)
        html = field.widget.render("unit", "b")
        self.assertInHTML('<option value="b" selected>乙</option>', html)
