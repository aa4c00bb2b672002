"""忘记密码 (a forgotten password): a manager resets it, the person chooses a new one.

Who may reset whose: a system administrator anyone's; a manager of units (a school's leaders,
a region's officers: the policy table's ``units``/``change``) the password of a person whose
every role sits in units they manage and who holds no role that entry names (a teacher, a
counselor, a volunteer of the school); a manager's own is reset by the system administrator.
Anyone else: 404.

Why a temporary password rather than a one-time link: a village teacher often has no e-mail,
and a link in a text message would open a page outside the login wall to whoever holds the
phone or the message. The manager reads a temporary password to the person (by phone, in
person); it is shown once, kept only as a hash, and opens one login: that login reaches
nothing but choosing a new password (``PasswordChangeRequiredMiddleware``, the shape of the
two-step verification's hold in ``twofactor``), and the temporary password stops working at
its first page. The reset ends the person's sessions and API token, clears their failed-login
lock, and is on the audit log (never the password).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from axes.utils import reset as axes_reset
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction

from . import services, twofactor
from .access import acting_user
from .models import RevokeReason, RoleAssignment, User
from .policy import Action, Area, roles_in
from .scope import scope_of

# Letters and digits that cannot be mistaken for one another when read aloud or copied from a
# screen (no 0/O, 1/l/I); 12 of them: about 70 bits.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
LENGTH = 12

# Open to a login that must still choose its password, besides that page.
OPEN_WHILE_HELD = ("/accounts/logout/", "/static/", "/favicon.ico", "/healthz")


# ---- reads -----------------------------------------------------------------------------------


def users_resettable_by(user: Any) -> QuerySet[User]:
    """The active people whose password ``user`` may reset (see the module's docstring)."""
    scope = scope_of(user)
    people = User.objects.filter(is_active=True).exclude(pk=_own_id(user))
    units = scope.unit_paths(Area.UNITS, Action.CHANGE)
    if units is None:
        return people.order_by("username")
    if not units:
        return User.objects.none()
    inside = scope.units_q(Area.UNITS, Action.CHANGE, "org__path")
    held = RoleAssignment.objects.filter(is_active=True)
    # A role elsewhere, or one that manages units itself: someone above resets that password.
    beyond = held.filter(~inside | Q(role__in=roles_in(Area.UNITS, Action.CHANGE)))
    return (
        people.filter(pk__in=held.filter(inside).values("user_id"))
        .exclude(pk__in=beyond.values("user_id"))
        .order_by("username")
    )


def _own_id(user: Any) -> int:
    """One's own password is changed on one's own page, never reset here."""
    return int(getattr(user, "pk", None) or 0)


# ---- writes ----------------------------------------------------------------------------------


def temporary_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


@transaction.atomic
def reset_password(*, user: User, by: User) -> str:
    """A new temporary password for ``user`` (returned, to be shown once); they must choose
    their own at their next login. Their sessions and API token end; audited."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    services.revoke_access(
        user=user, by=by, reason=RevokeReason.PASSWORD_CHANGED, end_sessions=True
    )
    axes_reset(username=user.get_username())  # a forgotten password is often a locked one
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=user,
        changes={"password": "reset", "must_change_password": [False, True]},
    )
    return password


@transaction.atomic
def choose_password(*, form: SetPasswordForm[User]) -> User:
    user = form.save(commit=False)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    services.record_password_change(user=user)
    return user


# ---- pages -----------------------------------------------------------------------------------


class FindForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name or login"), max_length=50, required=False)


def reset_list(request: HttpRequest) -> HttpResponse:
    """The people whose password one may reset, searched by name or login."""
    scope = scope_of(request.user)
    if not scope.manages_units:
        raise Http404
    people = users_resettable_by(request.user)
    form = FindForm(request.GET or None)
    if form.is_valid() and (q := form.cleaned_data["q"].strip()):
        people = people.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    return render(request, "accounts/reset_list.html", {"form": form, "people": people[:50]})


@never_cache
def reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then reset: the temporary password is on this one answer, never again."""
    person = get_object_or_404(users_resettable_by(request.user), pk=pk)
    if request.method == "POST":
        password = reset_password(user=person, by=acting_user(request))
        return render(request, "accounts/reset_done.html", {"person": person, "password": password})
    return render(request, "accounts/reset_confirm.html", {"person": person})


@never_cache
def password_required(request: HttpRequest) -> HttpResponse:
    """Choosing one's own password after a reset (the login used the temporary one)."""
    user = acting_user(request)
    if not user.must_change_password:
        return redirect("web:home")
    form: SetPasswordForm[User] = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        choose_password(form=form)
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed."))
        return redirect("web:home")
    return render(request, "accounts/reset_change.html", {"form": form})


# ---- the hold --------------------------------------------------------------------------------


class PasswordChangeRequiredMiddleware:
    """A login after a reset reaches nothing but choosing a new password (and logging out).

    At its first request the temporary password stops working (one login), the session kept;
    the API's token is refused to a person who has not chosen theirs yet."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            token = request.path == reverse("api:token") and request.method == "POST"
            if token and _held(request):
                return JsonResponse(
                    {"detail": _("Choose a new password on the login page first.")}, status=403
                )
            return self.get_response(request)
        if not getattr(user, "must_change_password", False):
            return self.get_response(request)
        if twofactor.pending_step(request) is not None:
            # The login is not whole yet: its second step comes first (the login wall sends
            # there); the temporary password is spent once the person is fully in.
            return self.get_response(request)
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
            update_session_auth_hash(request, user)
        url = reverse("accounts:password_required")
        if request.path == url or request.path.startswith(OPEN_WHILE_HELD):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Choose a new password on the login page first.")}, status=403
            )
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = url
            return response
        return redirect_to_login(request.get_full_path(), url)


def _held(request: HttpRequest) -> bool:
    """Whether a token request names a person who must still choose their password."""
    username = request.POST.get("username", "")
    if not username and request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return False
        username = body.get("username", "") if isinstance(body, dict) else ""
    return (
        bool(username)
        and User.objects.filter(username=username, must_change_password=True).exists()
    )
