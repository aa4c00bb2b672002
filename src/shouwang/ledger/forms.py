from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.core.sheets import encodings
from shouwang.core.sheets.limits import LIMITS, SHEET_SUFFIXES
from shouwang.orgs.forms import UnitChoiceField
from shouwang.orgs.models import Org

from .columns import COLUMNS

MAX_UPLOAD = LIMITS.max_bytes
SUFFIXES = SHEET_SUFFIXES


class UploadForm(forms.Form):
    org = UnitChoiceField(label=_("Unit"), queryset=Org.objects.none(), to_field_name="code")
    file = forms.FileField(
        label=_("Ledger file (.xlsx, .xls or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".xls", ".csv")):
            raise forms.ValidationError(_("Only .xlsx, .xls and .csv files can be imported."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


class EncodingForm(forms.Form):
    """The encoding of a CSV the reader could not be sure of: the user says."""

    encoding = forms.ChoiceField(label=_("The file was saved in"))

    def __init__(self, *args: Any, candidates: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["encoding"].choices = encodings.choices(tuple(candidates))  # type: ignore[attr-defined]


class TeachForm(forms.Form):
    header = forms.CharField(widget=forms.HiddenInput)
    column = forms.ChoiceField(label=_("means"), choices=[(c.key, c.header) for c in COLUMNS])
