from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.children.models import Child
from shouwang.children.types import LeftBehindType
from shouwang.core.forms import DATE, QuickModelChoiceField, QuickRadioSelect, QuickSelect
from shouwang.orgs.models import Org

from .models import (
    WITH_WHOM_FOR_KIND,
    Assignee,
    Caregiver,
    CaregiverKind,
    NeedArea,
    Period,
    RecordKind,
    Season,
    WithWhom,
)


def child_label(child: Child) -> str:
    place = child.school_class or child.school
    return f"{child.name}（{place.name}）"


# A select of a whole county's children is useless on a phone and heavy to send.
MAX_CHOICES = 300


def limit_choices(field: forms.ModelChoiceField, shown: QuerySet[Any] | None, *keep: Any) -> None:
    """Offer ``shown`` (e.g. the user's own children) when the full list is too long; the full
    queryset still decides what is valid, so a child opened from the register can be chosen."""
    queryset = field.queryset
    assert queryset is not None
    if shown is None or queryset[: MAX_CHOICES + 1].count() <= MAX_CHOICES:
        return
    kept = [k for k in keep if k]
    offered = queryset.filter(Q(pk__in=shown.values("pk")[:MAX_CHOICES]) | Q(pk__in=kept))
    field.choices = [("", field.empty_label or "")] + [
        (obj.pk, field.label_from_instance(obj)) for obj in offered
    ]
    field.help_text = _("Only your own children are listed; open another child from the register.")


class ChildChoiceField(QuickModelChoiceField):
    def label_from_instance(self, obj: Child) -> str:
        return child_label(obj)


class ChildrenChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Child) -> str:
        return child_label(obj)


class CaregiverChoiceField(QuickModelChoiceField):
    def label_from_instance(self, obj: Caregiver) -> str:
        return f"{obj.name}（{obj.get_kind_display()} · {obj.org.name}）"


class RecordForm(forms.Form):
    """On a phone in under a minute: the child, what, when (today), how long, with whom, found."""

    child = ChildChoiceField(label=_("Child"), queryset=Child.objects.none())
    # Both written in one pass, not a template per button or option (issue 17).
    kind = forms.ChoiceField(
        label=_("What"), choices=RecordKind.choices, widget=QuickRadioSelect, initial="home_visit"
    )
    on = forms.DateField(label=_("Date"), widget=DATE)
    minutes = forms.IntegerField(
        label=_("Minutes"),
        required=False,
        min_value=1,
        max_value=600,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    with_whom = forms.ChoiceField(
        label=_("With whom"), choices=WithWhom.choices, widget=QuickSelect
    )
    findings = forms.CharField(
        label=_("What was found"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    abnormal = forms.BooleanField(
        label=_("Something is wrong (the class teacher follows up)"), required=False
    )

    def __init__(
        self,
        *args: Any,
        children: QuerySet[Child],
        shown: QuerySet[Child] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs["initial"] = {"on": timezone.localdate(), **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        field = self.fields["child"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = children.select_related("school", "school_class").order_by("name")
        limit_choices(field, shown, self.initial.get("child"))
        # With whom follows what (a call to the parents is with the parents) until the
        # caregiver chooses otherwise; the page's script keeps it so when "what" changes.
        kind = self.initial.get("kind") or self.fields["kind"].initial
        self.initial.setdefault("with_whom", WITH_WHOM_FOR_KIND.get(str(kind), WithWhom.CHILD))
        self.fields["with_whom"].widget.attrs["data-follows-kind"] = json.dumps(
            {str(k): str(v) for k, v in WITH_WHOM_FOR_KIND.items()}
        )


class CorrectRecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=RecordKind.choices)
    on = forms.DateField(label=_("Date"), widget=DATE)
    minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=1, max_value=600)
    with_whom = forms.ChoiceField(label=_("With whom"), choices=WithWhom.choices)
    findings = forms.CharField(
        label=_("What was found"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    abnormal = forms.BooleanField(label=_("Something is wrong"), required=False)
    withdrawn = forms.BooleanField(
        label=_("Withdraw this record (written by mistake; it no longer counts)"), required=False
    )
    reason = forms.CharField(label=_("Reason for the correction"), max_length=200)


class CaregiverForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=50)
    kind = forms.ChoiceField(label=_("Kind"), choices=CaregiverKind.choices)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    org = QuickModelChoiceField(label=_("Unit"), queryset=Org.objects.none())

    def __init__(self, *args: Any, orgs: QuerySet[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["org"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = orgs.exclude(kind__in=["grade", "class"])


class PairForm(forms.Form):
    """One or more children with one, two or more caregivers (一对一, 二对一, 多对一)."""

    children = ChildrenChoiceField(label=_("Children"), queryset=Child.objects.none())
    caregiver_1 = CaregiverChoiceField(label=_("Caregiver"), queryset=Caregiver.objects.none())
    role_1 = forms.ChoiceField(label=_("as"), choices=CaregiverKind.choices)
    caregiver_2 = CaregiverChoiceField(
        label=_("Second caregiver (二对一)"), queryset=Caregiver.objects.none(), required=False
    )
    role_2 = forms.ChoiceField(
        label=_("as"), choices=CaregiverKind.choices, initial=CaregiverKind.VILLAGE_CADRE
    )
    caregiver_3 = CaregiverChoiceField(
        label=_("Third caregiver (多对一)"), queryset=Caregiver.objects.none(), required=False
    )
    role_3 = forms.ChoiceField(
        label=_("as"), choices=CaregiverKind.choices, initial=CaregiverKind.VOLUNTEER
    )
    starts_on = forms.DateField(label=_("From"), widget=DATE)

    def __init__(
        self,
        *args: Any,
        children: QuerySet[Child],
        caregivers: QuerySet[Caregiver],
        shown: QuerySet[Child] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs["initial"] = {"starts_on": timezone.localdate(), **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        for name in ("children", "caregiver_1", "caregiver_2", "caregiver_3"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            if name == "children":
                field.queryset = children.select_related("school", "school_class").order_by(
                    "school_class__path", "name"
                )
            else:
                field.queryset = caregivers.filter(is_active=True).order_by("name")
        self.fields["children"].widget.attrs["size"] = 8
        children_field = self.fields["children"]
        assert isinstance(children_field, forms.ModelChoiceField)
        limit_choices(children_field, shown, *(self.initial.get("children") or []))

    def caregivers(self) -> list[tuple[Caregiver, str]]:
        data = self.cleaned_data
        chosen = []
        for i in (1, 2, 3):
            caregiver = data.get(f"caregiver_{i}")
            if caregiver is not None:
                chosen.append((caregiver, data[f"role_{i}"]))
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ids = [c.pk for c, _role in self.caregivers()]
        if len(ids) != len(set(ids)):
            raise forms.ValidationError(_("The same caregiver is chosen twice."))
        return data


class EndPairingForm(forms.Form):
    on = forms.DateField(label=_("Last day"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    handover_to = CaregiverChoiceField(
        label=_("Hand over to"), queryset=Caregiver.objects.none(), required=False
    )

    def __init__(self, *args: Any, caregivers: QuerySet[Caregiver], **kwargs: Any) -> None:
        kwargs["initial"] = {"on": timezone.localdate(), **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        field = self.fields["handover_to"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = caregivers.filter(is_active=True).order_by("name")


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)


class RuleForm(forms.Form):
    label = forms.CharField(label=_("Duty"), max_length=100)
    kinds = forms.MultipleChoiceField(
        label=_("Records that count"),
        choices=RecordKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    count = forms.IntegerField(label=_("How many"), min_value=1, max_value=31, initial=1)
    period = forms.ChoiceField(label=_("Per"), choices=Period.choices, initial="month")
    season = forms.ChoiceField(label=_("When"), choices=Season.choices)
    assignee = forms.ChoiceField(label=_("Who"), choices=Assignee.choices)
    caregiver_roles = forms.MultipleChoiceField(
        label=_("Only caregivers acting as"),
        choices=CaregiverKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    left_behind_types = forms.MultipleChoiceField(
        label=_("Only children of type"),
        choices=[c for c in LeftBehindType.choices if c[0] != LeftBehindType.NOT_LEFT_BEHIND],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_heart_level = forms.TypedChoiceField(
        label=_("Only children from heart level"),
        choices=[("", _("all children")), (2, "2♥"), (3, "3♥"), (4, "4♥")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    each_child = forms.BooleanField(
        label=_("For each child (untick: once per school, e.g. a guardians' meeting)"),
        required=False,
        initial=True,
    )


class FollowUpForm(forms.Form):
    outcome = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))


class StartPlanForm(forms.Form):
    review_on = forms.DateField(label=_("Review by"), widget=DATE)


class PlanItemForm(forms.Form):
    area = forms.ChoiceField(label=_("Need"), choices=NeedArea.choices)
    need = forms.CharField(label=_("Need found"), max_length=200)
    measure = forms.CharField(label=_("Measure"), max_length=200)
    responsible = CaregiverChoiceField(
        label=_("Responsible"), queryset=Caregiver.objects.none(), required=False
    )

    def __init__(self, *args: Any, caregivers: QuerySet[Caregiver], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["responsible"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = caregivers


class ReviewForm(forms.Form):
    progress = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    next_review_on = forms.DateField(label=_("Next review by"), widget=DATE)
