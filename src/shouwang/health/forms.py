from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.core.forms import DATE
from shouwang.ledger.forms import UploadForm
from shouwang.orgs.models import Org, OrgKind

from .models import Checkup
from .services import MEASURES


class CheckupForm(forms.ModelForm):
    class Meta:
        model = Checkup
        fields = ["examined_on", *MEASURES]
        widgets = {"examined_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("height_cm", "weight_kg", "vision_left", "vision_right", "chest_cm"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "0.1"})


class CorrectCheckupForm(CheckupForm):
    # The check-up as it was when the correction was opened (core.concurrency).
    version = forms.CharField(required=False, widget=forms.HiddenInput)


class SheetUploadForm(UploadForm):
    examined_on = forms.DateField(
        label=_("Examination date (for rows without one)"),
        required=False,
        widget=DATE,
    )

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, orgs=orgs, **kwargs)
        self.fields["org"].label = _("Class or school")
        self.fields["file"].label = _("Check-up sheet (.xlsx, .xls or .csv)")
        units = list(orgs)
        steplen = Org.steplen
        prefixes = {u.path[: n * steplen] for u in units for n in range(1, len(u.path) // steplen)}
        schools = dict(
            Org.objects.filter(path__in=prefixes, kind=OrgKind.SCHOOL).values_list("path", "name")
        )

        def label(unit: Org) -> str:
            school = next((n for p, n in schools.items() if unit.path.startswith(p)), "")
            return f"{school} {unit.name}".strip()

        self.fields["org"].label_from_instance = label  # type: ignore[attr-defined]
