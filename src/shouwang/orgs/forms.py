"""The unit picker every app's forms share: a class is offered with its school's name whenever
the list holds the classes of more than one school (issue 19: "一年级（1）班" seven times in the
add-user picker told nobody which school)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from shouwang.core.forms import QuickModelChoiceField

from .models import Org


class UnitChoiceField(QuickModelChoiceField):
    """A choice of one unit, named by :meth:`Org.labels_for` (one query for all the schools)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._labels: dict[int, str] | None = None

    def _set_queryset(self, queryset: QuerySet[Org] | None) -> None:
        super()._set_queryset(queryset)  # type: ignore[misc]
        self._labels = None  # labels belong to one list of units (a form's copy sets its own)

    queryset = property(QuickModelChoiceField._get_queryset, _set_queryset)  # type: ignore[attr-defined]

    def label_from_instance(self, obj: Org) -> str:
        if self._labels is None or obj.pk not in self._labels:
            assert self.queryset is not None
            self._labels = Org.labels_for(self.queryset, only_if_several=True)
        return self._labels.get(obj.pk, obj.name)
