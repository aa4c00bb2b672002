from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shouwang.children.models import Parent
from shouwang.core.forms import DATETIME, TIME, QuickModelChoiceField

from .models import ContactRoom, RoomKind

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    kind = forms.ChoiceField(label=_("Kind"), choices=RoomKind.choices)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Open on"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start = forms.TimeField(label=_("Opens at"), widget=TIME)
    end = forms.TimeField(label=_("Closes at"), widget=TIME)

    def slots(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {"weekday": day, "start": f"{data['start']:%H:%M}", "end": f"{data['end']:%H:%M}"}
            for day in data["weekdays"]
        ]


class BookingForm(forms.Form):
    room = QuickModelChoiceField(label=_("Room"), queryset=ContactRoom.objects.none())
    starts_at = forms.DateTimeField(label=_("At"), widget=DATETIME)

    def __init__(self, *args: Any, rooms: QuerySet[ContactRoom], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms  # type: ignore[attr-defined]


class CallForm(forms.Form):
    parent = QuickModelChoiceField(label=_("Parent"), queryset=Parent.objects.none())
    at = forms.DateTimeField(label=_("Time of the call"), widget=DATETIME)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=240, required=False)
    reached = forms.BooleanField(label=_("The parent was reached"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, parents: QuerySet[Parent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]


class SilenceForm(forms.Form):
    days = forms.IntegerField(
        label=_("Days without talking to a parent away before the class teacher gets a task"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
