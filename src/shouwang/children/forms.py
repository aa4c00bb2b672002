from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from shouwang.core import validators
from shouwang.core.forms import DATE, QuickModelChoiceField, QuickSelect
from shouwang.orgs.forms import UnitChoiceField
from shouwang.orgs.models import Org, OrgKind

from .models import (
    AssessmentKind,
    Child,
    ChildStatus,
    ConsentScope,
    DefinitionProfile,
    DifficultyKind,
    Guardian,
    GuardianAssessment,
    GuardianClass,
    GuardianRelation,
    Parent,
    RiskGrade,
)
from .profiles import explain
from .types import LeftBehindType


class ChildForm(forms.ModelForm):
    school_class = UnitChoiceField(label=_("Class"), queryset=Org.objects.none(), required=False)
    # A child in no school (a preschooler at home, a dropout) is registered at the home village
    # (domain.md §2); offered on the add page to those who keep a village's children.
    unit_village = QuickModelChoiceField(
        label=_("Or, for a child in no school: the village"),
        queryset=Org.objects.none(),
        required=False,
        help_text=_(
            "Preschoolers at home and children who dropped out, registered at the village."
        ),
    )
    home_village = QuickModelChoiceField(
        label=_("Home village"), queryset=Org.objects.none(), required=False
    )
    difficulties = forms.MultipleChoiceField(
        label=_("Difficulties"),
        choices=DifficultyKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # The archive as it was when the page opened (core.concurrency): a save over a change made
    # meanwhile is refused.
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Child
        fields = Child.ARCHIVE_FIELDS
        widgets = {
            "birth_date": DATE,
            "collected_on": DATE,
            "verified_on": DATE,
            "id_number": forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off"}),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "personality": forms.Textarea(attrs={"rows": 2}),
            "hobbies": forms.Textarea(attrs={"rows": 2}),
            "health": forms.Textarea(attrs={"rows": 2}),
            "study": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(
        self, *args: Any, classes: Any, villages: Any, units: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.__init_gender_birth()
        if self.instance.school_class_id:
            # The child's own class stays, for an editor who keeps none of the school's classes
            # (a village's child director edits the children who live there).
            classes = classes | Org.objects.filter(pk=self.instance.school_class_id)
        self.fields["school_class"].queryset = classes  # type: ignore[attr-defined]
        self.fields["home_village"].queryset = villages  # type: ignore[attr-defined]
        self.__init_unit(units)
        if not self.instance.pk and not self.is_bound:
            self.__preselect_only_choices()
        if self.instance.pk:
            self.initial["difficulties"] = [
                f.kind for f in self.instance.difficulties.filter(ended_on__isnull=True)
            ]

    def __init_unit(self, units: Any) -> None:
        """The unit is a class, or (adding a child in no school) a village. An archive keeps its
        kind of unit here: going to school, or leaving it for the village, is a transfer."""
        at_village = self.instance.pk and self.instance.school.kind == OrgKind.VILLAGE
        if at_village:
            del self.fields["school_class"]
        if self.instance.pk or units is None or not units.exists():
            del self.fields["unit_village"]
            return
        self.fields["unit_village"].queryset = units  # type: ignore[attr-defined]
        # Right after the class, its alternative.
        names = list(self.fields)
        self.order_fields([*names[: names.index("school_class") + 1], "unit_village"])

    def __preselect_only_choices(self) -> None:
        """A teacher with one class, a child director with one village: that is the answer,
        chosen already (issue 19: the unit is preselected when the user has one)."""
        for name in ("school_class", "home_village"):
            field = self.fields.get(name)
            if field is None:
                continue
            only = list(field.queryset.values_list("pk", flat=True)[:2])  # type: ignore[attr-defined]
            if len(only) == 1:
                self.initial.setdefault(name, only[0])

    def clean_verified_on(self) -> Any:
        return _not_in_future(self.cleaned_data.get("verified_on"))

    def clean_collected_on(self) -> Any:
        return _not_in_future(self.cleaned_data.get("collected_on"))

    def __init_gender_birth(self) -> None:
        # Typed once: a valid ID number gives the birth date and gender (GB 11643).
        self.fields["gender"].required = False
        self.fields["birth_date"].required = False
        self.fields["gender"].help_text = _("Left empty: taken from the ID number.")
        self.fields["birth_date"].help_text = _("Left empty: taken from the ID number.")

    def clean_id_number(self) -> str:
        return validators.normalise_id_number(self.cleaned_data["id_number"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = data.get("id_number")
        if number and not (data.get("gender") and data.get("birth_date")):
            try:
                info = validators.parse_id_number(number)
            except ValidationError:
                pass  # reported at the ID number field by the model's own rule
            else:
                data["gender"] = data.get("gender") or info.gender
                data["birth_date"] = data.get("birth_date") or info.birth_date
        for field in ("gender", "birth_date"):
            if not data.get(field) and field not in self.errors:
                self.add_error(field, _("This field is required."))
        self.__clean_unit(data)
        return data

    def __clean_unit(self, data: dict[str, Any]) -> None:
        if "school_class" not in self.fields or "school_class" in self.errors:
            return  # a village's archive, whose unit stays as it is
        village = data.get("unit_village")
        if village is not None and data.get("school_class") is not None:
            self.add_error("unit_village", _("Choose a class or a village, not both."))
        elif village is not None:
            # Registered at the village: a child who lives there.
            data["home_village"] = data.get("home_village") or village
        elif data.get("school_class") is None and "unit_village" not in self.errors:
            self.add_error("school_class", _("This field is required."))

    def _post_clean(self) -> None:
        # The unit follows from the class (its school) or is the village, before the model's
        # own rules run.
        school_class = self.cleaned_data.get("school_class")
        village = self.cleaned_data.get("unit_village")
        if school_class is not None:
            self.instance.school = Org.objects.get(path=school_class.path[: -2 * Org.steplen])
        elif village is not None:
            self.instance.school = village
        super()._post_clean()  # type: ignore[misc]


class ParentForm(forms.ModelForm):
    class Meta:
        model = Parent
        fields = ["name", "phone", "status", "work_place", "employer", "away_since", "visits_home"]
        widgets = {"away_since": DATE, "phone": forms.TextInput(attrs={"inputmode": "tel"})}


class GuardianForm(forms.ModelForm):
    class Meta:
        model = Guardian
        fields = [
            "name",
            "relation",
            "age",
            "phone",
            "health",
            "literacy",
            "address",
            "responsibility_letter_signed_on",
        ]
        widgets = {
            "responsibility_letter_signed_on": DATE,
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }


class RegisterFilterForm(forms.Form):
    """The register's filters: every drop-down written in one pass (QuickSelect), not a
    template per option (issue 17)."""

    q = forms.CharField(label=_("Name, initials or ID number"), required=False)
    school_class = UnitChoiceField(
        label=_("Class"), queryset=Org.objects.none(), required=False, to_field_name="code"
    )
    grade = UnitChoiceField(
        label=_("Grade"), queryset=Org.objects.none(), required=False, to_field_name="code"
    )
    home_village = QuickModelChoiceField(
        label=_("Home village"), queryset=Org.objects.none(), required=False, to_field_name="code"
    )
    left_behind_type = forms.ChoiceField(
        label=_("Left-behind type"),
        choices=[("", "—"), *LeftBehindType.choices],
        required=False,
        widget=QuickSelect,
    )
    guardian_class = forms.ChoiceField(
        label=_("Guardian class"),
        choices=[("", "—"), *GuardianClass.choices],
        required=False,
        widget=QuickSelect,
    )
    risk_grade = forms.ChoiceField(
        label=_("Risk grade"),
        choices=[("", "—"), *RiskGrade.choices],
        required=False,
        widget=QuickSelect,
    )
    heart_level = forms.TypedChoiceField(
        label=_("Heart level"),
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *[(n, f"{n}♥") for n in range(1, 5)]],
        required=False,
        widget=QuickSelect,
    )
    boarding = forms.NullBooleanField(
        label=_("Boarding"),
        widget=QuickSelect(choices=[("", "—"), ("true", _("Boarding")), ("false", _("Day pupil"))]),
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("In the register")), ("all", _("All")), *ChildStatus.choices[1:]],
        required=False,
        widget=QuickSelect,
    )
    incomplete = forms.BooleanField(label=_("Archive incomplete"), required=False)
    without_consent = forms.BooleanField(label=_("Without the guardian's consent"), required=False)
    profile = QuickModelChoiceField(
        label=_("Definition profile"),
        queryset=DefinitionProfile.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("The region's own"),
    )

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = orgs.filter(kind=OrgKind.SCHOOL_CLASS)  # type: ignore[attr-defined]
        self.fields["grade"].queryset = orgs.filter(kind=OrgKind.GRADE)  # type: ignore[attr-defined]
        self.fields["home_village"].queryset = orgs.filter(kind=OrgKind.VILLAGE)  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (s, label)
            for s, label in ChildStatus.choices
            if s not in (ChildStatus.TRANSFERRED, ChildStatus.MERGED)
        ],
    )
    on = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class TransferForm(forms.Form):
    to_school = QuickModelChoiceField(
        label=_("To school"),
        queryset=Org.objects.filter(kind=OrgKind.SCHOOL),
        to_field_name="code",
        widget=forms.TextInput(attrs={"placeholder": _("the school's code")}),
    )
    on = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class HeartLevelForm(forms.Form):
    """Five ratings, 0 (fine) to 3 (serious), as in seed 002's 心级 survey."""

    on = forms.DateField(label=_("Assessed on"), widget=DATE)

    def __init__(self, *args: Any, dimensions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scale = [
            (0, _("0 fine")),
            (1, _("1 some concern")),
            (2, _("2 concern")),
            (3, _("3 serious")),
        ]
        for dimension in dimensions:
            self.fields[f"rating_{dimension}"] = forms.TypedChoiceField(
                label=dimension, choices=scale, coerce=int
            )
        self.dimensions = dimensions

    def ratings(self) -> dict[str, int]:
        return {d: self.cleaned_data[f"rating_{d}"] for d in self.dimensions}


class AssessmentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Classification"),
        choices=[
            (AssessmentKind.RISK_GRADE, _("Risk grade")),
            (AssessmentKind.GUARDIAN_ASSESSMENT, _("Guardian assessment")),
        ],
    )
    value = forms.ChoiceField(
        label=_("Result"),
        choices=[*RiskGrade.choices, *GuardianAssessment.choices],
    )
    on = forms.DateField(label=_("Assessed on"), widget=DATE)
    reason = forms.CharField(label=_("Reasons"), max_length=300)


class ProfileChoiceForm(forms.Form):
    profile = QuickModelChoiceField(
        label=_("Definition profile"), queryset=DefinitionProfile.objects.all()
    )
    since = forms.DateField(label=_("From"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each profile in one sentence, where it is chosen (issue 19).
        self.fields["profile"].help_text = format_html_join(
            "", "<br>{}：{}", ((p.name, explain(p)) for p in DefinitionProfile.objects.all())
        )


class HandoverForm(forms.Form):
    to_teacher = QuickModelChoiceField(
        label=_("Next class teacher"),
        queryset=Org.objects.none(),
        help_text=_("A teacher of this school; add their account and role first if needed."),
    )
    on = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, teachers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_teacher"].queryset = teachers  # type: ignore[attr-defined]


# The signed consent form, scanned or photographed: as a mailbox letter's scan (counseling).
CONSENT_SCAN_TYPES = (".jpg", ".jpeg", ".png", ".pdf")
MAX_CONSENT_SCAN = 10 * 1024 * 1024


class ConsentForm(forms.Form):
    """The guardian's consent (or, ``withdraw``, its withdrawal), with the signed form."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    on = forms.DateField(label=_("Date"), widget=DATE)
    given_by = forms.CharField(label=_("Signed by"), max_length=50)
    relation = forms.ChoiceField(
        label=_("Relation to the child"),
        choices=[(k, v) for k, v in GuardianRelation.choices if k != GuardianRelation.NONE],
    )
    scopes = forms.MultipleChoiceField(
        label=_("Agreed to"),
        choices=ConsentScope.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    scan = forms.FileField(
        label=_("The signed form, scanned or photographed (.jpg, .png or .pdf)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,.pdf"}),
    )

    def __init__(self, *args: Any, withdraw: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if withdraw:
            del self.fields["scopes"]

    def clean_scan(self) -> Any:
        scan = self.cleaned_data.get("scan")
        if scan:
            if not scan.name.lower().endswith(CONSENT_SCAN_TYPES):
                raise forms.ValidationError(_("Only .jpg, .png and .pdf files can be attached."))
            if scan.size > MAX_CONSENT_SCAN:
                raise forms.ValidationError(_("The file is larger than 10 MB."))
        return scan


def _not_in_future(day: Any) -> Any:
    """A check or a collection that has not happened yet cannot be written down as done."""
    if day is not None and day > timezone.localdate():
        raise ValidationError(_("This date is in the future."))
    return day


class ReviewDecisionForm(forms.Form):
    """Confirm an archive, or return it with what to correct (审核)."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("confirm", _("Confirm")), ("return", _("Return for correction"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say what the unit should correct."))
        return data


class ReviewSettingForm(forms.Form):
    required = forms.BooleanField(
        label=_("Archives entered or changed by schools and villages need our review"),
        required=False,
    )
