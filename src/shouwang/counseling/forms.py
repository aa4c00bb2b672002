from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.core.forms import DATE

from .models import SessionKind


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    on = forms.DateField(label=_("Date"), widget=DATE)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=600, required=False)
    topic = forms.CharField(label=_("Topic"), max_length=100)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea)


SCAN_TYPES = (".jpg", ".jpeg", ".png", ".pdf")
MAX_SCAN = 10 * 1024 * 1024


class LetterForm(forms.Form):
    opened_on = forms.DateField(label=_("Box opened on"), widget=DATE)
    text = forms.CharField(label=_("Letter"), widget=forms.Textarea, required=False)
    scan = forms.FileField(
        label=_("Or a scan or photo of it (.jpg, .png or .pdf)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,.pdf"}),
    )

    def clean_scan(self) -> Any:
        scan = self.cleaned_data.get("scan")
        if scan:
            if not scan.name.lower().endswith(SCAN_TYPES):
                raise forms.ValidationError(_("Only .jpg, .png and .pdf files can be attached."))
            if scan.size > MAX_SCAN:
                raise forms.ValidationError(_("The file is larger than 10 MB."))
        return scan


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), widget=forms.Textarea)


class PlanForm(forms.Form):
    problem = forms.CharField(label=_("The problem"), widget=forms.Textarea)
    measures = forms.CharField(label=_("Measures"), widget=forms.Textarea)
    review_on = forms.DateField(label=_("Review by"), widget=DATE)


class PlanReviewForm(forms.Form):
    progress = forms.CharField(label=_("Progress"), widget=forms.Textarea)
    next_review_on = forms.DateField(label=_("Next review by"), widget=DATE)
