"""Every model's ``get_FOO_display`` gives what Django's own gives, in either language, from
a table built once per language (issue 17)."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.test import SimpleTestCase
from django.utils import translation

from shouwang.children.models import Child, ChildStatus
from shouwang.core.choices import _display


def fields_with_choices() -> list[tuple[type[models.Model], models.Field]]:
    return [
        (model, field)
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.get_fields()
        if isinstance(field, models.Field) and field.choices
    ]


class DisplayTests(SimpleTestCase):
    def test_every_display_is_djangos_in_both_languages_and_for_a_value_without_a_choice(self):
        checked = 0
        for model, field in fields_with_choices():
            method = getattr(model, f"get_{field.name}_display")
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    values = [value for value, _label in field.flatchoices] + ["不是选项", None]
                    for value in values:
                        row = model(**{field.attname: value})
                        expected = models.Model._get_FIELD_display(row, field)
                        self.assertEqual(method(row), expected, (model, field.name, value))
                        checked += 1
        self.assertGreater(checked, 500)

    def test_the_registers_columns_use_the_table(self):
        method = Child.__dict__["get_status_display"]
        self.assertIs(method.func, _display)
        child = Child(status=ChildStatus.ACTIVE)
        with translation.override("zh-hans"):
            self.assertEqual(child.get_status_display(), "在册")
        with translation.override("en"):
            self.assertEqual(child.get_status_display(), "In the register")
