from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shouwang.core.forms import DATE, QuickModelChoiceField
from shouwang.orgs.models import ALLOWED_PARENTS, HolidaySeason, Org, OrgKind, Stage


class AddOrgForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"))
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        required=False,
        help_text=_(
            "Regions: the 12-digit statistical division code. Others: left empty, one is made."
        ),
    )
    stage = forms.ChoiceField(
        label=_("Stage (grades only)"), choices=[("", "—"), *Stage.choices], required=False
    )

    def __init__(self, *args: Any, parent: Org, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (value, label)
            for value, label in OrgKind.choices
            if parent.kind in ALLOWED_PARENTS[value]
        ]


class EnrolmentForm(forms.Form):
    grade = QuickModelChoiceField(
        label=_("Grade"), queryset=Org.objects.none(), required=False, empty_label=_("Whole school")
    )
    on = forms.DateField(label=_("As of"), widget=DATE)
    male = forms.IntegerField(label=_("Boys"), min_value=0, max_value=100000)
    female = forms.IntegerField(label=_("Girls"), min_value=0, max_value=100000)

    def __init__(self, *args: Any, school: Org, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grade"].queryset = Org.objects.filter(  # type: ignore[attr-defined]
            path__startswith=school.path, kind=OrgKind.GRADE
        ).order_by("path")


class TermForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    start = forms.DateField(label=_("Term start"), widget=DATE)
    midterm = forms.DateField(label=_("Mid-term"), widget=DATE)
    end = forms.DateField(label=_("Term end"), widget=DATE)


class HolidayForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    season = forms.ChoiceField(
        label=_("Kind"), choices=HolidaySeason.choices, initial=HolidaySeason.OTHER
    )
    start = forms.DateField(label=_("First day"), widget=DATE)
    end = forms.DateField(label=_("Last day"), widget=DATE)
