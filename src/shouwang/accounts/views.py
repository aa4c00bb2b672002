from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from . import services
from .access import require_perm
from .forms import AuditFilter, UserCreateForm
from .selectors import audit_entries_visible_to, users_visible_to


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("web:home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.record_password_change(user=self.request.user)  # type: ignore[arg-type]
        messages.success(self.request, _("Your password was changed."))
        return response


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
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("User %(name)s was added.") % {"name": user.username})
            return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form})


def audit_log(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "accounts.view_audit")
    entries = AuditFilter(request.GET or None, queryset=audit_entries_visible_to(request.user))
    page = Paginator(entries.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"filter": entries, "page": page, "query": query.urlencode()},
    )
