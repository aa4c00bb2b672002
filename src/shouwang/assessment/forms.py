from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.orgs.models import Term

from .measures import MEASURES
from .models import Point, Subject
from .presets import PRESETS


class PointForm(forms.ModelForm):
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Point
        fields = ["label", "weight", "pass_at", "full_at", "veto", "is_active"]


class BandsForm(forms.Form):
    """The scores the region's grades begin at (合格 / 良好 / 优秀)."""

    pass_score = forms.IntegerField(label=_("pass from"), min_value=0, max_value=100)
    good_score = forms.IntegerField(label=_("good from"), min_value=0, max_value=100)
    excellent_score = forms.IntegerField(label=_("excellent from"), min_value=0, max_value=100)
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bands = [data[k] for k in ("pass_score", "good_score", "excellent_score") if k in data]
        if len(bands) == 3 and not bands[0] <= bands[1] <= bands[2]:
            self.add_error(
                "good_score",
                _("The grades begin in order: pass, then good, then excellent, within 0 to 100."),
            )
        return data


def _measure_choices() -> list[tuple[str, str]]:
    subjects = dict(Subject.choices)
    return [
        (
            code,
            f"{m.label} ({'、'.join(str(subjects[s]) for s in Subject.values if s in m.subjects)})",
        )
        for code, m in MEASURES.items()
    ]


class NewPointForm(forms.Form):
    """A point beyond the preset's: one of the measures the engine counts, for a subject."""

    subject = forms.ChoiceField(label=_("Applies to"), choices=Subject.choices)
    measure = forms.ChoiceField(label=_("Measured by"), choices=_measure_choices)
    label = forms.CharField(label=_("label"), max_length=100)
    weight = forms.IntegerField(label=_("Points"), min_value=1, max_value=100)
    pass_at = forms.DecimalField(
        label=_("failed below"), max_digits=8, decimal_places=2, min_value=0, initial=0
    )
    full_at = forms.DecimalField(
        label=_("full points from"), max_digits=8, decimal_places=2, min_value=0.01, initial=1
    )
    veto = forms.BooleanField(
        label=_("failing it fails the whole assessment (一票否决)"), required=False
    )
    source = forms.CharField(label=_("source"), max_length=200, required=False)


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
