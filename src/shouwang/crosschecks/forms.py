from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.core.sheets import encodings
from shouwang.core.sheets.limits import LIMITS, SHEET_SUFFIXES
from shouwang.orgs.forms import UnitChoiceField
from shouwang.orgs.models import Org

from .models import ListKind

MAX_UPLOAD = LIMITS.max_bytes
SUFFIXES = SHEET_SUFFIXES


class UploadForm(forms.Form):
    org = UnitChoiceField(label=_("Unit"), queryset=Org.objects.none(), to_field_name="code")
    list_kind = forms.ChoiceField(label=_("Which list"), choices=ListKind.choices)
    file = forms.FileField(
        label=_("The list (.xlsx, .xls or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    # Shown only when the reader cannot tell a CSV's encoding for certain (ask_encoding).
    encoding = forms.ChoiceField(
        label=_("A CSV file's encoding (only when asked)"),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["encoding"].choices = [("", "—"), *encodings.choices(())]  # type: ignore[attr-defined]

    def ask_encoding(self, candidates: tuple[str, ...]) -> None:
        """The file's encoding is not certain: the user chooses and uploads it again."""
        field = self.fields["encoding"]
        field.choices = encodings.choices(candidates)  # type: ignore[attr-defined]
        field.widget = forms.Select(choices=field.choices)  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(SUFFIXES):
            raise forms.ValidationError(_("Only .xlsx, .xls and .csv files can be imported."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


class ClearForm(forms.Form):
    reason = forms.CharField(label=_("Why is the flag cleared?"), max_length=200)
