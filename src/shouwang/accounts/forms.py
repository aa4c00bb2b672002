from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.core.forms import DATE
from shouwang.orgs.forms import UnitChoiceField
from shouwang.orgs.models import Org

from .models import Role, User
from .selectors import orgs_to_place_users_at


class UserCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[A-Za-z0-9_.@+-]{3,150}$",
        error_messages={"invalid": _("3–150 letters, digits or . @ + - _")},
    )
    full_name = forms.CharField(label=_("Full name"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    org = UnitChoiceField(
        label=_("Organisation"), queryset=Org.objects.none(), to_field_name="code"
    )
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs_to_place_users_at(actor)  # type: ignore[attr-defined]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username=username).exists():
            raise ValidationError(_("This username is taken."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            probe = User(username=data.get("username", ""), full_name=data.get("full_name", ""))
            try:
                validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    org = UnitChoiceField(
        label=_("Organisation"), queryset=Org.objects.none(), to_field_name="code"
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs_to_place_users_at(actor)  # type: ignore[attr-defined]


class AuditFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditAction.choices)
    actor_name = django_filters.CharFilter(label=_("Who"), lookup_expr="icontains")
    object_repr = django_filters.CharFilter(label=_("Object"), lookup_expr="icontains")
    ip = django_filters.CharFilter(label=_("From address"), lookup_expr="startswith")
    since = django_filters.DateFilter(
        label=_("From"),
        field_name="at",
        lookup_expr="date__gte",
        widget=DATE,
    )
    until = django_filters.DateFilter(
        label=_("To"),
        field_name="at",
        lookup_expr="date__lte",
        widget=DATE,
    )

    class Meta:
        model = AuditEntry
        fields = ["action", "actor_name", "object_repr", "ip", "since", "until"]


class CodeForm(forms.Form):
    """A code at the second step: six digits from the app, or a recovery code."""

    code = forms.CharField(
        label=_("Verification code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "autofocus": True,
                "data-testid": "otp-code",
            }
        ),
    )
