from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shouwang.core.forms import DATE, QuickModelChoiceField

from .models import (
    ApprovalLevel,
    EligibleGender,
    EligibleStage,
    FundKind,
    Kind,
    PeriodUnit,
)

# A receipt, scanned or photographed: as a consent form's scan (children).
RECEIPT_TYPES = (".jpg", ".jpeg", ".png", ".pdf")
MAX_RECEIPT = 10 * 1024 * 1024
HEART_LEVELS = [("", _("Any heart level")), *[(str(n), f"{n} ♥") for n in range(1, 5)]]


class ProgrammeForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and underscores; the key of the statistics. Never changes."),
    )
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), max_digits=10, decimal_places=2, min_value=0, required=False
    )
    period = forms.ChoiceField(label=_("Paid"), choices=PeriodUnit.choices)
    stage = forms.ChoiceField(label=_("Stage"), choices=EligibleStage.choices, required=False)
    gender = forms.ChoiceField(label=_("For"), choices=EligibleGender.choices, required=False)
    approval = forms.ChoiceField(
        label=_("Approved by"), choices=ApprovalLevel.choices, required=False
    )
    sponsor = forms.CharField(label=_("Sponsor"), max_length=100, required=False)


class ChildrenField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class ApplyForm(forms.Form):
    programme = QuickModelChoiceField(label=_("Programme"), queryset=None)
    children = ChildrenField(label=_("Children"), queryset=None)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, programmes: QuerySet, children: QuerySet, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]
        self.fields["children"].queryset = children  # type: ignore[attr-defined]


class DecideForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Return"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason (when returned)"), max_length=200, required=False)


class PaymentFields(forms.Form):
    programme = QuickModelChoiceField(label=_("Programme"), queryset=None)
    paid_on = forms.DateField(label=_("Date"), widget=DATE)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Leave empty for the programme's amount."),
    )
    item = forms.CharField(label=_("Goods (for goods)"), max_length=60, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)
    fund = QuickModelChoiceField(label=_("Paid from fund"), queryset=None, required=False)
    signed = forms.BooleanField(label=_("The recipient signed"), required=False)
    overdraw_reason = forms.CharField(
        label=_("Reason to overdraw the fund (only if needed)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, programmes: QuerySet, funds: QuerySet, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]
        self.fields["fund"].queryset = funds  # type: ignore[attr-defined]


class PaymentForm(PaymentFields):
    child = QuickModelChoiceField(label=_("Child"), queryset=None)
    receipt = forms.FileField(
        label=_("Or the receipt, scanned or photographed (.jpg, .png or .pdf)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,.pdf"}),
    )
    field_order = ["child", "programme", "paid_on", "amount"]

    def __init__(self, *args: Any, children: QuerySet, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children  # type: ignore[attr-defined]

    def clean_receipt(self) -> Any:
        receipt = self.cleaned_data.get("receipt")
        if receipt:
            if not receipt.name.lower().endswith(RECEIPT_TYPES):
                raise forms.ValidationError(_("Only .jpg, .png and .pdf files can be attached."))
            if receipt.size > MAX_RECEIPT:
                raise forms.ValidationError(_("The file is larger than 10 MB."))
        return receipt


class BatchForm(PaymentFields):
    """A list paid at once: every child of a unit at a heart level, or the children ticked."""

    unit = QuickModelChoiceField(
        label=_("Unit (township, school or village)"), queryset=None, required=False
    )
    heart_level = forms.ChoiceField(label=_("Heart level"), choices=HEART_LEVELS, required=False)
    children = ChildrenField(label=_("Or these children"), queryset=None, required=False)
    confirm = forms.BooleanField(widget=forms.HiddenInput, required=False)
    field_order = ["programme", "unit", "heart_level", "children", "paid_on"]

    def __init__(self, *args: Any, units: QuerySet, children: QuerySet, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["children"].queryset = children  # type: ignore[attr-defined]
        self.fields["signed"].initial = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("unit") and not data.get("children"):
            raise forms.ValidationError(_("Choose a unit, or tick the children."))
        return data


class VoidForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Why is it voided?"), max_length=200)


class FundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=FundKind.choices)


class DonationForm(forms.Form):
    donor = forms.CharField(label=_("Donor"), max_length=100)
    on = forms.DateField(label=_("Date"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    item = forms.CharField(label=_("Goods"), max_length=60, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)


class SpendingForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    item = forms.CharField(label=_("Goods"), max_length=60, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)
    overdraw_reason = forms.CharField(
        label=_("Reason to overdraw the fund (only if needed)"), max_length=200, required=False
    )


class WishForm(forms.Form):
    child = QuickModelChoiceField(label=_("Child"), queryset=None)
    wish = forms.CharField(label=_("Wish"), max_length=100)

    def __init__(self, *args: Any, children: QuerySet, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children  # type: ignore[attr-defined]


class MatchForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    donor = forms.CharField(label=_("Donor"), max_length=100)


class FulfilForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    on = forms.DateField(label=_("Fulfilled on"), widget=DATE)
