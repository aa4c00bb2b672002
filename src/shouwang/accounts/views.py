from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from shouwang.audit.masking import masked_changes
from shouwang.core.views import show_error

from . import services
from .access import acting_user, require_perm
from .forms import AuditFilter, ProfileForm, RoleForm, UserCreateForm
from .selectors import audit_entries_visible_to, users_visible_to


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("web:home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.record_password_change(user=acting_user(self.request))
        messages.success(self.request, _("Your password was changed."))
        return response


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """django-axes' answer to a locked login (AXES_LOCKOUT_CALLABLE), with the real length."""
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": _lock_minutes()},
        status=429,
    )


def _lock_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


class ObtainTokenView(ObtainAuthToken):
    """The caller's API token, for `Authorization: Token …`. It lasts SHOUWANG_TOKEN_DAYS days
    (30), then this gives a new one. Wrong passwords lock it as they lock the login page."""

    # Username and password only: a client still sending its expired token must get a new one.
    authentication_classes = ()

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                # django-axes marks the request it was given: here DRF's, which its middleware
                # never sees.
                raise PermissionDenied(
                    _("Too many failed logins. Try again in %(minutes)s minutes.")
                    % {"minutes": _lock_minutes()}
                )
            raise DRFValidationError(serializer.errors)
        token = services.issue_token(user=serializer.validated_data["user"])
        return Response({"token": token.key})


@require_POST
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    """退出所有设备: for a lost phone or a shared computer left logged in."""
    user = acting_user(request)
    services.log_out_everywhere(user=user, by=user)
    logout(request)
    messages.success(
        request, _("You were logged out on all devices, and your API token was revoked.")
    )
    return redirect(settings.LOGOUT_REDIRECT_URL)


def user_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "accounts.manage_users")
    page = Paginator(users_visible_to(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page": page})


def user_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "accounts.manage_users")
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                username=data["username"],
                password=data["password1"],
                role=data["role"],
                org=data["org"],
                full_name=data["full_name"],
                phone=data["phone"],
                by=acting_user(request),
            )
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("User %(name)s was added.") % {"name": user.username})
            return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form})


def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A sysadmin edits a person: name and phone, roles added or ended, account on or off."""
    require_perm(request.user, "accounts.manage_users")
    person = get_object_or_404(users_visible_to(request.user), pk=pk)
    actor = acting_user(request)
    profile = ProfileForm(initial={"full_name": person.full_name, "phone": person.phone})
    role_form = RoleForm(actor=actor)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "profile":
                profile = ProfileForm(request.POST)
                if profile.is_valid():
                    services.update_profile(user=person, by=actor, **profile.cleaned_data)
                    return _saved(request, person)
            elif action == "add_role":
                role_form = RoleForm(request.POST, actor=actor)
                if role_form.is_valid():
                    services.assign_role(user=person, by=actor, **role_form.cleaned_data)
                    return _saved(request, person)
            elif action == "end_role":
                assignment = get_object_or_404(
                    person.assignments.filter(is_active=True), pk=request.POST.get("assignment")
                )
                services.end_assignment(assignment=assignment, by=actor)
                return _saved(request, person)
            elif action in ("activate", "deactivate"):
                services.set_active(user=person, active=action == "activate", by=actor)
                return _saved(request, person)
        except ValidationError as exc:
            if action == "add_role":
                show_error(role_form, exc)
            elif action == "profile":
                show_error(profile, exc)
            else:
                messages.error(request, " ".join(exc.messages))
                return redirect("accounts:user_detail", pk=person.pk)
    return render(
        request,
        "accounts/user_detail.html",
        {"person": person, "profile": profile, "role_form": role_form},
    )


def _saved(request: HttpRequest, person: Any) -> HttpResponse:
    messages.success(request, _("Saved."))
    return redirect("accounts:user_detail", pk=person.pk)


def audit_log(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "accounts.view_audit")
    entries = AuditFilter(request.GET or None, queryset=audit_entries_visible_to(request.user))
    page = Paginator(entries.qs, 50).get_page(request.GET.get("page"))
    for entry in page:
        entry.shown_changes = masked_changes(entry.changes)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"filter": entries, "page": page, "query": query.urlencode()},
    )
