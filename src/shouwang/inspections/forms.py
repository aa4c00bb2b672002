from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.models import User
from shouwang.core.forms import DATE, QuickModelChoiceField
from shouwang.orgs.forms import UnitChoiceField
from shouwang.orgs.models import Org

from .models import InspectionKind, RectificationState
from .services import MAX_PHOTOS

# Evidence photos: a phone's JPEG or PNG, at most 5 MB each (as an activity's photos).
PHOTO_TYPES = (".jpg", ".jpeg", ".png")
MAX_PHOTO = 5 * 1024 * 1024
# The request's body: every photo of an answer and the text.
MAX_BODY = MAX_PHOTOS * MAX_PHOTO + 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one field (Django's documented recipe), each checked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png", "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        cleaned = [single(f, initial) for f in files if f]
        if len(cleaned) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("At most %(n)s photos with one answer.") % {"n": MAX_PHOTOS}
            )
        for image in cleaned:
            if not image.name.lower().endswith(PHOTO_TYPES):
                raise forms.ValidationError(_("Only .jpg and .png photos can be attached."))
            if image.size > MAX_PHOTO:
                raise forms.ValidationError(_("The photo is larger than 5 MB."))
        return cleaned


class InspectionForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit inspected"), queryset=Org.objects.none())
    on = forms.DateField(label=_("Date"), widget=DATE)
    kind = forms.ChoiceField(label=_("Kind"), choices=InspectionKind.choices)
    inspectors = forms.CharField(
        label=_("Inspectors"), max_length=200, help_text=_("Names, separated by 、")
    )
    summary_text = forms.CharField(label=_("Summary"), widget=forms.Textarea, required=False)
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, units: QuerySet[Org] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is None:  # editing: the unit stays
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
            del self.fields["version"]


class RectificationForm(forms.Form):
    finding_text = forms.CharField(label=_("Finding"), widget=forms.Textarea)
    responsible_user = QuickModelChoiceField(
        label=_("Responsible person"), queryset=User.objects.none(), required=False
    )
    responsible_name = forms.CharField(
        label=_("Or their name"),
        max_length=50,
        required=False,
        help_text=_("When the person has no login."),
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DATE)
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, people: QuerySet[User], editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["responsible_user"]
        field.queryset = people  # type: ignore[attr-defined]
        field.label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]
        if not editing:
            del self.fields["version"]


class AnswerForm(forms.Form):
    evidence_text = forms.CharField(label=_("What was done"), widget=forms.Textarea)
    photos = PhotosField(
        label=_("Photos (.jpg or .png, at most 5 MB each, up to 5)"), required=False
    )
    version = forms.CharField(widget=forms.HiddenInput)


class CloseForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.CharField(widget=forms.HiddenInput)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is returned"), widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.CharField(widget=forms.HiddenInput)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why it is voided"), max_length=200)


class FilterForm(forms.Form):
    unit = UnitChoiceField(
        label=_("Unit"), queryset=Org.objects.none(), required=False, empty_label=_("Any")
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("Any")), *RectificationState.choices],
        required=False,
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, units: QuerySet[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
