"""The unit picker every app's forms share: a grade or class is offered with its school's name
whenever the list holds those of more than one school (issue 19: "一年级（1）班" seven times in
the add-user picker told nobody which school)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Length, Substr
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue

from shouwang.core.forms import QuickModelChoiceField

from .models import Org, OrgKind

INSIDE_A_SCHOOL = (OrgKind.GRADE, OrgKind.SCHOOL_CLASS)


def with_school_name(units: QuerySet[Org]) -> QuerySet[Org]:
    """Each unit with the name of the school it is in (``school_name``), in the same query."""
    school = Org.objects.filter(
        kind=OrgKind.SCHOOL, path=Substr(OuterRef("path"), 1, Length("path"))
    ).values("name")[:1]
    return units.annotate(school_name=Subquery(school))


class UnitChoiceIterator(ModelChoiceIterator):
    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        assert self.queryset is not None
        units = list(with_school_name(self.queryset))
        several = len({u.school_name for u in units if u.kind in INSIDE_A_SCHOOL}) > 1
        for unit in units:
            label = unit.name
            if several and unit.kind in INSIDE_A_SCHOOL and unit.school_name:
                label = f"{unit.school_name} {unit.name}"
            yield (ModelChoiceIteratorValue(self.field.prepare_value(unit), unit), label)


class UnitChoiceField(QuickModelChoiceField):
    """A choice of one unit, a class named with its school when several schools are offered:
    no query more than the list's own."""

    iterator = UnitChoiceIterator
