from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from shouwang.audit.masking import masked_changes
from shouwang.core.views import show_error
from shouwang.orgs.models import Org

from . import services, twofactor
from .access import acting_user, require_perm
from .forms import AuditFilter, CodeForm, ProfileForm, RoleForm, UserCreateForm
from .models import RoleAssignment
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
    (30), then this gives a new one. Wrong passwords lock it as they lock the login page. An
    account with two-step verification (or whose role requires it) sends its code as ``otp``."""

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
        user = serializer.validated_data["user"]
        if twofactor.needs_code_for_token(user):
            self.check_second_factor(user, str(serializer.validated_data.get("otp") or ""))
        token = services.issue_token(user=user)
        return Response({"token": token.key})

    @staticmethod
    def check_second_factor(user: Any, code: str) -> None:
        """Whoever the login page asks for a code gives one here too (``otp``): the password
        alone must not open the API where it does not open the pages."""
        if not twofactor.is_enrolled(user):
            raise PermissionDenied(
                _("Your account needs two-step verification: log in on the web to set it up.")
            )
        if not code:
            raise DRFValidationError(
                {"otp": [_("Your account uses two-step verification: send its code as otp.")]}
            )
        outcome = twofactor.verify(user=user, token=code)
        if outcome.wait_seconds:
            raise DRFValidationError(
                {
                    "otp": [
                        _("Too many wrong codes: wait %(s)s seconds, then try again.")
                        % {"s": outcome.wait_seconds}
                    ]
                }
            )
        if outcome.device is None:
            raise DRFValidationError({"otp": [_("This code is wrong or was already used.")]})


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
            elif action == "reset_two_factor":
                twofactor.reset(user=person, by=actor)
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
        {
            "person": person,
            "profile": profile,
            "role_form": role_form,
            "two_factor": twofactor.is_enrolled(person),
        },
    )


def _saved(request: HttpRequest, person: Any) -> HttpResponse:
    messages.success(request, _("Saved."))
    return redirect("accounts:user_detail", pk=person.pk)


def audit_log(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "accounts.view_audit")
    entries = AuditFilter(request.GET or None, queryset=audit_entries_visible_to(request.user))
    page = Paginator(entries.qs.select_related("actor"), 50).get_page(request.GET.get("page"))
    units = _units_of({e.actor_id for e in page if e.actor_id is not None})
    for entry in page:
        entry.shown_changes = masked_changes(entry.changes)
        # The person, not the login: full name and unit (the name kept in the log if the user
        # row is gone).
        entry.person = entry.actor.display_name if entry.actor is not None else entry.actor_name
        entry.unit = units.get(entry.actor_id, "")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"filter": entries, "page": page, "query": query.urlencode()},
    )


def _units_of(user_ids: set[int]) -> dict[int, str]:
    """Each user's units (a class with its school), in one query for them all."""
    assignments = list(
        RoleAssignment.objects.filter(user_id__in=user_ids, is_active=True)
        .select_related("org")
        .order_by("pk")
    )
    labels = Org.labels_for(a.org for a in assignments)
    units: dict[int, list[str]] = {}
    for a in assignments:
        units.setdefault(a.user_id, []).append(labels[a.org.pk])
    return {user: "、".join(dict.fromkeys(names)) for user, names in units.items()}


# ---- 两步验证: the second step after the password (accounts/twofactor.py) ---------------------


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The code after the password, for everyone with a device; nothing else opens before it
    (the login wall). ``MAX_FAILURES`` wrong codes end the login."""
    user = acting_user(request)
    step = twofactor.pending_step(request)
    if step is None:
        return redirect(_next_url(request))
    if step == twofactor.Step.ENROL:
        return redirect("accounts:two_factor_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = twofactor.verify(user=user, token=form.cleaned_data["code"])
        if outcome.device is not None:
            request.session.cycle_key()  # a new key for the now fully logged-in session
            otp_login(request, outcome.device)
            request.session.pop(twofactor.FAILURES_KEY, None)
            if outcome.method == twofactor.Method.RECOVERY_CODE:
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(n)s are left. Make new ones on your "
                        "two-step verification page if few are left."
                    )
                    % {"n": outcome.codes_left},
                )
            return redirect(_next_url(request))
        if outcome.wait_seconds:
            form.add_error(
                "code",
                _("Too many wrong codes: wait %(s)s seconds, then try again.")
                % {"s": outcome.wait_seconds},
            )
        elif twofactor.count_failure(request) >= twofactor.MAX_FAILURES:
            logout(request)
            messages.error(request, _("Too many wrong codes. Log in again."))
            return redirect(settings.LOGIN_URL)
        else:
            form.add_error("code", _("This code is wrong or was already used."))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": request.GET.get("next", "")},
    )


def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """The app's QR code and its secret as text; the first code confirms it, then the
    recovery codes are shown once."""
    user = acting_user(request)
    if twofactor.totp_device(user) is not None:
        return redirect("accounts:two_factor")
    device = twofactor.enrolment_device(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_enrolment(
            user=user, device=device, token=form.cleaned_data["code"]
        )
        if codes is not None:
            request.session.cycle_key()
            device.confirmed = True
            otp_login(request, device)
            request.session[twofactor.CODES_KEY] = codes
            return redirect("accounts:two_factor_codes")
        form.add_error(
            "code", _("This code does not match: check the phone's time and the newest code.")
        )
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr": twofactor.qr_svg(device),
            "secret": twofactor.secret_of(device),
            "issuer": twofactor.issuer(),
            "required": twofactor.is_required(user),
        },
    )


def two_factor_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown this once (taken out of the session as they are shown)."""
    codes = request.session.pop(twofactor.CODES_KEY, None)
    if not codes:
        return redirect("accounts:two_factor")
    return render(request, "accounts/two_factor_codes.html", {"codes": codes})


def two_factor(request: HttpRequest) -> HttpResponse:
    """A person's own 两步验证 page: on or off, required or not, recovery codes left; turning
    it off and new recovery codes ask for a session verified with the device."""
    user = acting_user(request)
    verified = request.user.is_verified()  # type: ignore[union-attr]
    if request.method == "POST":
        action = request.POST.get("action")
        if not verified:
            messages.error(request, _("Log in again with your code first."))
        elif action == "remove":
            twofactor.remove(user=user)
            twofactor.note_login(request, user)  # a required role sets up the new phone now
            messages.success(request, _("Two-step verification was turned off."))
        elif action == "renew":
            request.session[twofactor.CODES_KEY] = twofactor.renew_recovery_codes(user=user)
            return redirect("accounts:two_factor_codes")
        return redirect("accounts:two_factor")
    device = twofactor.totp_device(user)
    return render(
        request,
        "accounts/two_factor.html",
        {
            "device": device,
            "verified": verified,
            "required": twofactor.is_required(user),
            "codes_left": twofactor.recovery_codes_left(user) if device else 0,
        },
    )
