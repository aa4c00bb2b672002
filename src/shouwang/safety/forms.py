from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.core.forms import DATETIME

from .chains import AUDIENCES
from .models import HowTold, IncidentKind


class PickChildForm(forms.Form):
    q = forms.CharField(label=_("Child's name or pinyin initials"), max_length=20, required=False)


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=IncidentKind.choices)
    occurred_at = forms.DateTimeField(label=_("When it happened"), widget=DATETIME)
    place = forms.CharField(label=_("Where"), max_length=100)
    description = forms.CharField(label=_("What happened, in words"), widget=forms.Textarea)
    mandatory_report = forms.BooleanField(
        label=_("Suspected abuse or neglect: a mandatory report to the police (强制报告)"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class TickForm(forms.Form):
    told_whom = forms.CharField(label=_("Who was told"), max_length=100)
    how = forms.ChoiceField(label=_("How"), choices=HowTold.choices)
    at = forms.DateTimeField(label=_("Told at"), widget=DATETIME)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class PoliceForm(forms.Form):
    at = forms.DateTimeField(label=_("Reported to the police at"), widget=DATETIME)
    receipt = forms.CharField(label=_("Police receipt"), max_length=100)


class CloseForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea)


class ChainForm(forms.Form):
    """Minutes for each step of the region's chain; leave a step empty to leave it out."""

    def __init__(self, *args: Any, current: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in AUDIENCES.items():
            self.fields[key] = forms.IntegerField(
                label=label, min_value=1, max_value=1440, required=False, initial=current.get(key)
            )

    def steps(self) -> list[dict[str, Any]]:
        chosen = [(k, v) for k, v in self.cleaned_data.items() if v]
        return [{"key": k, "minutes": v} for k, v in sorted(chosen, key=lambda kv: kv[1])]
