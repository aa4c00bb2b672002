from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.models import User
from shouwang.core.forms import DATE, TIME, QuickModelChoiceField

from .models import (
    ADULT_KINDS,
    ActivityKind,
    ActivityStatus,
    RecipientKind,
    TraineeKind,
    TrainingKind,
)

# Photos of an activity: a phone's JPEG or PNG, at most 5 MB each (as consent scans, smaller).
PHOTO_TYPES = (".jpg", ".jpeg", ".png")
MAX_PHOTO = 5 * 1024 * 1024


class LoginsField(forms.CharField):
    """People by their logins, separated by spaces or commas: those the form's ``people``
    holds (the people working in the county), each once."""

    people: QuerySet[User] = User.objects.none()

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return " ".join(
                u if isinstance(u, str) else u.get_username()
                for u in (
                    User.objects.filter(pk__in=value)
                    if value and isinstance(value[0], int)
                    else value
                )
            )
        return value

    def clean(self, value: Any) -> list[User]:
        text = super().clean(value) or ""
        names = list(dict.fromkeys(text.replace(",", " ").replace("，", " ").split()))
        found = {u.get_username(): u for u in self.people.filter(username__in=names)}
        unknown = [n for n in names if n not in found]
        if unknown:
            raise forms.ValidationError(
                _("No one working in your county has the login %(logins)s.")
                % {"logins": "、".join(unknown)}
            )
        return [found[n] for n in names]


class ActivityForm(forms.Form):
    version = forms.CharField(required=False, widget=forms.HiddenInput)
    unit = QuickModelChoiceField(label=_("Unit"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=100)
    starts_on = forms.DateField(label=_("Date"), widget=DATE)
    starts_at = forms.TimeField(label=_("From"), widget=TIME, required=False)
    ends_at = forms.TimeField(label=_("To"), widget=TIME, required=False)
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    in_charge = LoginsField(
        label=_("In charge (logins)"), help_text=_("Separate logins with spaces.")
    )
    volunteers = LoginsField(label=_("Volunteers (logins)"), required=False)
    budget = forms.DecimalField(
        label=_("Budget (yuan)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    materials = forms.CharField(
        label=_("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    status = forms.ChoiceField(label=_("Status"), choices=ActivityStatus.choices)
    cancel_reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    outcome = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Any] | None,
        people: QuerySet[User],
        money: bool,
        editing: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["in_charge"].people = people  # type: ignore[attr-defined]
        self.fields["volunteers"].people = people  # type: ignore[attr-defined]
        if not money:  # the budget is money: not shown to those who see none
            del self.fields["budget"]
        if editing:
            for name in ("starts_at", "ends_at"):
                del self.fields[name]
        else:
            for name in ("status", "cancel_reason", "outcome", "version"):
                del self.fields[name]


class SessionForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)
    starts_at = forms.TimeField(label=_("From"), widget=TIME, required=False)
    ends_at = forms.TimeField(label=_("To"), widget=TIME, required=False)
    place = forms.CharField(label=_("Place"), max_length=100, required=False)


class AdultsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Who"), choices=ADULT_KINDS)
    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        required=False,
        help_text=_("Leave empty for a group nobody names, and give their number."),
    )
    count = forms.IntegerField(
        label=_("Number of people"),
        min_value=1,
        max_value=9999,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=_("Photo (.jpg or .png, at most 5 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=100, required=False)

    def clean_image(self) -> Any:
        image = self.cleaned_data["image"]
        if not image.name.lower().endswith(PHOTO_TYPES):
            raise forms.ValidationError(_("Only .jpg and .png photos can be attached."))
        if image.size > MAX_PHOTO:
            raise forms.ValidationError(_("The photo is larger than 5 MB."))
        return image


class GroupForm(forms.Form):
    unit = QuickModelChoiceField(label=_("Unit"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=50)
    leader = forms.CharField(label=_("Leader"), max_length=50, required=False)
    started_on = forms.DateField(label=_("Since"), widget=DATE)

    def __init__(self, *args: Any, units: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class JoinForm(forms.Form):
    child = QuickModelChoiceField(label=_("Child"), queryset=None)
    on = forms.DateField(label=_("Joined on"), widget=DATE)

    def __init__(self, *args: Any, children: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children  # type: ignore[attr-defined]


class TrainingForm(forms.Form):
    unit = QuickModelChoiceField(label=_("Unit"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=TrainingKind.choices)
    title = forms.CharField(label=_("Topic"), max_length=100)
    on = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    trainer = forms.CharField(label=_("Speaker"), max_length=50, required=False)

    def __init__(self, *args: Any, units: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class TraineesForm(forms.Form):
    """Guardians ticked by their child (from the archive), or people by name, one a line."""

    children: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Guardians of"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(label=_("Others: who"), choices=TraineeKind.choices, required=False)
    names = forms.CharField(
        label=_("Others: names, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, children: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = children  # type: ignore[attr-defined]
        self.fields["children"].label_from_instance = (  # type: ignore[attr-defined]
            lambda c: f"{c.guardian.name or c.guardian.get_relation_display()}（{c.name}）"
        )


class CommendationForm(forms.Form):
    unit = QuickModelChoiceField(label=_("Unit"), queryset=None)
    on = forms.DateField(label=_("Date"), widget=DATE)
    occasion = forms.CharField(label=_("Occasion"), max_length=100)
    honour = forms.CharField(label=_("Honour"), max_length=100)
    recipient_kind = forms.ChoiceField(label=_("Who"), choices=RecipientKind.choices)
    children: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Children"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    recipient = forms.CharField(label=_("Name (a person or unit)"), max_length=100, required=False)

    def __init__(
        self, *args: Any, units: QuerySet[Any], children: QuerySet[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["children"].queryset = children  # type: ignore[attr-defined]
