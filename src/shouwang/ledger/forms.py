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


class LayoutForm(forms.Form):
    """A region's ledger layout: for each of the ledger's columns whether it is kept, its place
    and its header; the title rows; or back to the standard layout."""

    title = forms.CharField(
        label=_("Title"),
        max_length=100,
        required=False,
        help_text=_("For example 某某县农村留守儿童信息台账; empty: the unit's name and the date."),
    )
    unit_and_date = forms.BooleanField(
        label=_("A row naming the unit and the date (填报单位, 填报日期)"), required=False
    )
    standard = forms.BooleanField(label=_("Use the standard layout"), required=False)
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, columns: list[tuple[str, str]], **kwargs: Any) -> None:
        """``columns``: the layout now in use (key, header), in its order."""
        super().__init__(*args, **kwargs)
        place = {key: n for n, (key, _h) in enumerate(columns, start=1)}
        header = dict(columns)
        after = len(columns)  # the columns left out come after the kept ones
        for i, column in enumerate(COLUMNS):
            if column.key not in place:
                after += 1
            self.fields[f"use_{i}"] = forms.BooleanField(
                label=column.header, required=False, initial=column.key in place
            )
            self.fields[f"order_{i}"] = forms.IntegerField(
                label=_("Order"),
                min_value=1,
                max_value=len(COLUMNS),
                required=False,
                initial=place.get(column.key, after),
            )
            self.fields[f"header_{i}"] = forms.CharField(
                label=_("Header"),
                max_length=30,
                required=False,
                initial=header.get(column.key, column.header),
            )

    def rows(self) -> list[tuple[Any, Any, Any]]:
        """The bound fields of each column, for the template's table."""
        return [
            (self[f"use_{i}"], self[f"order_{i}"], self[f"header_{i}"]) for i in range(len(COLUMNS))
        ]

    def layout_columns(self) -> list[tuple[str, str]]:
        """The kept columns (key, header), in the order given (ties: the standard order)."""
        data = self.cleaned_data
        kept = [
            (data.get(f"order_{i}") or len(COLUMNS) + i, i, c.key, data.get(f"header_{i}") or "")
            for i, c in enumerate(COLUMNS)
            if data.get(f"use_{i}")
        ]
        return [(key, header) for _o, _i, key, header in sorted(kept)]
