from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.models import User
from shouwang.children.models import Child
from shouwang.core.forms import DATE, TIME, QuickModelChoiceField
from shouwang.orgs.models import Org

from .models import HomeKind


class HomeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=HomeKind.choices)
    place = forms.CharField(label=_("Place"), max_length=200)
    facilities = forms.CharField(
        label=_("Facilities"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("e.g. reading corner, family phone, computers, beds for a nap"),
    )
    opening_hours = forms.CharField(
        label=_("Opening hours"),
        max_length=200,
        required=False,
        help_text=_("e.g. weekdays 16:00–18:00; summer holiday 8:00–17:00"),
    )


class AddUnderForm(forms.Form):
    """Where a new home goes: the school or village (or region) it belongs to."""

    under = QuickModelChoiceField(
        label=_("Belongs to"), queryset=Org.objects.none(), to_field_name="code"
    )

    def __init__(self, *args: Any, units: QuerySet[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["under"].queryset = units  # type: ignore[attr-defined]


class EditHomeForm(HomeForm):
    version = forms.CharField(required=False, widget=forms.HiddenInput)


class ShiftForm(forms.Form):
    person = QuickModelChoiceField(label=_("Person on duty"), queryset=User.objects.none())
    on = forms.DateField(label=_("Day"), widget=DATE)
    starts_at = forms.TimeField(label=_("From"), widget=TIME)
    ends_at = forms.TimeField(label=_("To"), widget=TIME)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]


class CancelShiftForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CheckInForm(forms.Form):
    pass


class AttendanceForm(forms.Form):
    on = forms.DateField(label=_("Day"), widget=DATE)
    children: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Children present"), queryset=Child.objects.none(), required=False
    )
    holiday: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Holiday care (假期托管)"), queryset=Child.objects.none(), required=False
    )

    def __init__(self, *args: Any, choosable: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = choosable  # type: ignore[attr-defined]
        self.fields["holiday"].queryset = choosable  # type: ignore[attr-defined]
