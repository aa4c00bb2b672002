from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.orgs.forms import UnitChoiceField
from shouwang.orgs.models import Org

from .models import ReasonKind, ReceiverKind


class ReferForm(forms.Form):
    receiver_kind = forms.ChoiceField(label=_("Refer to"), choices=ReceiverKind.choices)
    to_unit = UnitChoiceField(
        label=_("Receiving unit"),
        queryset=Org.objects.none(),
        help_text=_(
            "For the police or an appointed guardian: the township or county that answers for them."
        ),
    )
    receiver_name = forms.CharField(
        label=_("Police station or guardian's name"), max_length=100, required=False
    )
    reason_kind = forms.ChoiceField(label=_("Why"), choices=ReasonKind.choices)
    case_text = forms.CharField(label=_("The case"), widget=forms.Textarea)

    def __init__(self, *args: Any, receivers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = receivers  # type: ignore[attr-defined]


class AcceptForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("What was done"), widget=forms.Textarea)


class CloseForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea)
    version = forms.CharField(widget=forms.HiddenInput)


class DaysForm(forms.Form):
    days = forms.IntegerField(label=_("Days to accept a referral"), min_value=1, max_value=60)
