from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shouwang.core.forms import DATE
from shouwang.orgs.models import Org


class OpenRoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    due = forms.DateField(label=_("Schools and villages report by"), widget=DATE)
    due_upward = forms.DateField(label=_("Townships report upward by"), widget=DATE, required=False)
    units = forms.ModelMultipleChoiceField(
        label=_("Units that report (none chosen: every school and village)"),
        queryset=Org.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, units: QuerySet[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units  # type: ignore[attr-defined]


class SubmitForm(forms.Form):
    version = forms.CharField(required=False, widget=forms.HiddenInput)


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What is to be corrected"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.CharField(required=False, widget=forms.HiddenInput)
