"""The register's filter drop-downs, written in one pass (QuickSelect), are what Django's
Select wrote for them, whatever the school admin chose (issue 17)."""

from __future__ import annotations

from django import forms
from django.test import SimpleTestCase
from django.utils import translation

from shouwang.children.forms import RegisterFilterForm
from shouwang.core.forms import QuickSelect
from shouwang.orgs.models import Org

DROP_DOWNS = [
    "left_behind_type",
    "guardian_class",
    "risk_grade",
    "heart_level",
    "boarding",
    "status",
]


class RegisterFilterWidgetTests(SimpleTestCase):
    def test_each_drop_down_is_djangos_select_for_what_was_chosen(self):
        chosen = [
            None,
            {},
            {"left_behind_type": "both_away", "heart_level": "2", "boarding": "true"},
            {"boarding": "false", "status": "all", "risk_grade": "nonsense"},
            {"guardian_class": "<b>", "heart_level": "9", "status": "moved"},
        ]
        for language in ("zh-hans", "en"):
            for data in chosen:
                with translation.override(language):
                    form = RegisterFilterForm(data, orgs=Org.objects.none())
                    for name in DROP_DOWNS:
                        widget = form.fields[name].widget
                        self.assertIsInstance(widget, QuickSelect)
                        quick = str(form[name])
                        form.fields[name].widget = forms.Select(
                            choices=widget.choices, attrs=widget.attrs
                        )
                        self.assertHTMLEqual(quick, str(form[name]), (language, data, name))
                        self.assertIn("<option", quick)
