"""``get_FOO_display()`` without translating every choice on every call (issue 17).

Django's own builds ``dict(make_hashable(field.flatchoices))`` on each call: hashing a lazy
label translates it, so one ``{{ child.get_status_display }}`` ran gettext for every status
there is, and a register page of 50 rows made some 1,100 gettext calls for four columns.
:func:`install` gives every model's Django-made ``get_FOO_display`` a table of the field's
labels per language, built once: the same value, the same label (a value without a choice is
returned as it is), in the language active at the call.
"""

from __future__ import annotations

from functools import partialmethod
from typing import Any

from django.apps import apps
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

# Django's own, which its fields put in place for each field with choices.
_DJANGOS = vars(models.Model)["_get_FIELD_display"]
# (field, language) -> {value: label}
_labels: dict[tuple[int, str | None], dict[Any, Any]] = {}


def labels_of(field: models.Field[Any, Any]) -> dict[Any, Any]:
    """The field's choices as ``{value: label}`` in the active language."""
    key = (id(field), get_language())
    table = _labels.get(key)
    if table is None:
        table = {
            value: force_str(label, strings_only=True)
            for value, label in make_hashable(field.flatchoices)
        }
        _labels[key] = table
    return table


def _display(self: models.Model, field: models.Field[Any, Any]) -> Any:
    value = getattr(self, field.attname)
    return labels_of(field).get(make_hashable(value), value)


def install() -> None:
    """Put :func:`_display` in place of Django's ``get_FOO_display`` on every model whose
    field has fixed choices (choices given by a callable may change: those stay Django's)."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if not isinstance(field, models.Field) or not field.choices:
                continue
            if not isinstance(field.choices, list | tuple):
                continue
            name = f"get_{field.name}_display"
            method = model.__dict__.get(name)
            if (
                isinstance(method, partialmethod)
                and method.func is _DJANGOS
                and method.keywords.get("field") is field
            ):
                setattr(model, name, partialmethod(_display, field=field))


@receiver(setting_changed)
def _forget(*, setting: str, **_: Any) -> None:
    if setting in ("LANGUAGE_CODE", "LANGUAGES", "LOCALE_PATHS", "INSTALLED_APPS"):
        _labels.clear()
