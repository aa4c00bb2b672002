from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.core.forms import QuickModelChoiceField
from shouwang.orgs.models import Org

from .columns import COLUMNS

MAX_UPLOAD = 50 * 1024 * 1024


class UploadForm(forms.Form):
    org = QuickModelChoiceField(label=_("Unit"), queryset=Org.objects.none(), to_field_name="code")
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


class TeachForm(forms.Form):
    header = forms.CharField(widget=forms.HiddenInput)
    column = forms.ChoiceField(label=_("means"), choices=[(c.key, c.header) for c in COLUMNS])
