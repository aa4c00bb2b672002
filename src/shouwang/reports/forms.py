from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.core.forms import DATE
from shouwang.orgs.models import Org

MAX_NEXT_STEPS = 4000


class ReportForm(forms.Form):
    """Which unit, which period, which file; the next steps as the user words them."""

    org = forms.ChoiceField(label=_("Unit"))
    term = forms.ChoiceField(label=_("Term"), required=False)
    year = forms.IntegerField(label=_("or a year"), required=False, min_value=2000, max_value=2100)
    start = forms.DateField(label=_("or from"), required=False, widget=DATE)
    end = forms.DateField(label=_("to"), required=False, widget=DATE)
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("docx", _("Word (DOCX, editable)")), ("pdf", "PDF")],
        initial="docx",
        widget=forms.RadioSelect,
    )
    next_steps = forms.CharField(
        label=_("Next steps (one sentence a line; left empty: the default sentences)"),
        required=False,
        max_length=MAX_NEXT_STEPS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(
        self,
        *args: Any,
        units: list[Org],
        terms: list[str],
        terms_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        top = units[0].depth if units else 0
        org_field: Any = self.fields["org"]
        org_field.choices = [(u.code, f"{'　' * max(u.depth - top, 0)}{u.name}") for u in units]
        if terms_url:
            # A unit chosen: its calendar's terms replace the term list (htmx: the page asked
            # again for that unit, its term field taken from the answer).
            org_field.widget.attrs |= {
                "hx-get": terms_url,
                "hx-trigger": "change",
                "hx-target": f"#{self['term'].auto_id}",
                "hx-select": f"#{self['term'].auto_id}",
                "hx-swap": "outerHTML",
            }
        term_field: Any = self.fields["term"]
        term_field.choices = [
            ("", _("The current term")),
            *((name, name) for name in terms),
        ]

    def sentences(self) -> list[str] | None:
        lines = [line.strip() for line in self.cleaned_data.get("next_steps", "").splitlines()]
        found = [line for line in lines if line]
        return found or None


class TemplateUploadForm(forms.Form):
    file = forms.FileField(label=_("Template (.docx)"))
