from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.orgs.models import Term

from .models import Point
from .presets import PRESETS


class PointForm(forms.ModelForm):
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Point
        fields = ["label", "weight", "pass_at", "full_at", "veto", "is_active"]


class PresetForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Preset"), choices=[(code, p["name"]) for code, p in PRESETS.items()]
    )


class ComputeForm(forms.Form):
    term = forms.ModelChoiceField(label=_("Term"), queryset=Term.objects.none())
    freeze = forms.BooleanField(
        label=_("Freeze the scores (a closed term only; they never change afterwards)"),
        required=False,
    )

    def __init__(self, *args: Any, terms: list[Term], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["term"]
        field.queryset = Term.objects.filter(pk__in=[t.pk for t in terms]).order_by(  # type: ignore[attr-defined]
            "-start"
        )
        if terms and not self.is_bound:
            field.initial = terms[0].pk


class FreezeForm(forms.Form):
    version = forms.CharField(required=False, widget=forms.HiddenInput)
