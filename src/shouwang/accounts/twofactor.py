"""两步验证 (two-step verification): a code from an authenticator app on the phone (TOTP,
RFC 6238, through django-otp) after the password, and ten one-time recovery codes for a lost
phone (django-otp's static tokens).

Who must use it: the roles named by ``SHOUWANG_2FA_ROLES`` (a Django setting, else the
environment variable of that name): ``sysadmin,region_officer`` by default, the accounts that
reach a whole county's children (MLPS 2.0 level 3 asks two factors of administrators). Empty or
``none``: no role must, as in the test settings. Anyone else may enrol from their own 两步验证
page, and then is asked for a code at every login too.

How a login goes: the password page logs the person in as before (django-axes locks wrong
passwords); at that moment :func:`note_login` notes in the session which step is still owed
(``verify`` a code, ``enrol`` a device, or ``none``), so the login wall
(``middleware.LoginRequiredMiddleware``) sends every other page to that step without asking the
database on each request. Verifying marks the session with the device (django-otp's
``OTPMiddleware``: ``request.user.is_verified()``).

Wrong codes: ``MAX_FAILURES`` (5) in one login end that login; across logins django-otp slows
each device down (1, 2, 4, 8 … seconds after each wrong code, kept on the device until a right
one). A code is good once: django-otp keeps the time step of the last one used (``last_t``),
and a recovery code is deleted when used. Everything here is on the audit log.
"""

from __future__ import annotations

import os
from base64 import b32encode
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction

from . import services
from .models import RevokeReason, Role, User
from .policy import TWO_FACTOR

DEFAULT_ROLES = ",".join(TWO_FACTOR)
DEFAULT_ISSUER = "守望"
MAX_FAILURES = 5
RECOVERY_CODES = 10

STEP_KEY = "_shouwang_2fa_step"
FAILURES_KEY = "_shouwang_2fa_failures"
CODES_KEY = "_shouwang_2fa_new_codes"


class Step(StrEnum):
    """What a session still owes after the password."""

    NONE = "none"  # nothing: no device, and no role that asks for one
    VERIFY = "verify"  # a code from the device (or a recovery code)
    ENROL = "enrol"  # a device: the role asks for one and there is none yet


class Method(StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


# ---- configuration ---------------------------------------------------------------------------


def required_roles() -> frozenset[str]:
    """The roles that must use two-step verification; an unknown name stops the start
    (``AccountsConfig.ready``) rather than silently protecting no one."""
    value: Any = getattr(settings, "SHOUWANG_2FA_ROLES", None)
    if value is None:
        value = os.environ.get("SHOUWANG_2FA_ROLES", DEFAULT_ROLES)
    if isinstance(value, str):
        value = value.split(",")
    roles = frozenset(str(name).strip() for name in value) - {"", "none"}
    unknown = roles - set(Role.values)
    if unknown:
        raise ImproperlyConfigured(
            f"SHOUWANG_2FA_ROLES: unknown role(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(Role.values)}, or empty for none"
        )
    return roles


def issuer() -> str:
    """The name the authenticator app shows above the code."""
    return os.environ.get("SHOUWANG_2FA_ISSUER", "").strip() or DEFAULT_ISSUER


# ---- reads -----------------------------------------------------------------------------------


def is_required(user: User) -> bool:
    roles = required_roles()
    return bool(roles) and user.assignments.filter(is_active=True, role__in=roles).exists()


def totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def is_enrolled(user: User) -> bool:
    """A confirmed device of either kind: recovery codes alone still open the second step."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticDevice.objects.filter(user=user, confirmed=True).exists()
    )


def step_for(user: User) -> Step:
    if is_enrolled(user):
        return Step.VERIFY
    if is_required(user):
        return Step.ENROL
    return Step.NONE


def needs_code_for_token(user: User) -> bool:
    """The API token asks for a code of everyone the login page asks one of (or would)."""
    return step_for(user) != Step.NONE


# ---- the session -----------------------------------------------------------------------------


def note_login(request: HttpRequest, user: User) -> None:
    """At the password's success (``user_logged_in``), and after the device was removed: which
    step this login still owes."""
    request.session[STEP_KEY] = str(step_for(user))
    request.session.pop(FAILURES_KEY, None)


def pending_step(request: HttpRequest) -> Step | None:
    """The step a logged-in session still owes before any other page, or None."""
    step = request.session.get(STEP_KEY)
    if step is None:  # a session from before two-step verification: asked once, then noted
        step = request.session[STEP_KEY] = str(step_for(request.user))  # type: ignore[arg-type]
    if step == Step.NONE or request.user.is_verified():  # type: ignore[union-attr]
        return None
    return Step(step)


def count_failure(request: HttpRequest) -> int:
    """A wrong code in this login; the number so far."""
    failures = int(request.session.get(FAILURES_KEY, 0)) + 1
    request.session[FAILURES_KEY] = failures
    return failures


# ---- enrolment -------------------------------------------------------------------------------


def enrolment_device(*, user: User) -> TOTPDevice:
    """The unconfirmed device whose secret the enrolment page shows, the same one until it is
    confirmed (reloading the page does not change the QR code already scanned). Not audited:
    an unconfirmed device opens nothing (django-otp ignores it)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=False)
    return device


def _base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def secret_of(device: TOTPDevice) -> str:
    """The secret as an app's "enter a key" asks for it: base32, in groups of four."""
    text = _base32(device)
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_uri(device: TOTPDevice) -> str:
    """The ``otpauth://`` address the QR code holds (Google's Key Uri Format), with our issuer
    (django-otp's own ``config_url`` reads it from a setting this module does not own)."""
    label = f"{issuer().replace(':', '')}:{device.user.get_username()}"
    params = {
        "secret": _base32(device),
        "issuer": issuer(),
        "algorithm": "SHA1",
        "digits": device.digits,
        "period": device.step,
    }
    return f"otpauth://totp/{quote(label)}?{urlencode(params, quote_via=quote)}"


def qr_svg(device: TOTPDevice) -> SafeString:
    """The QR code as inline SVG: no image request, no script (the pages' CSP allows none)."""
    svg = segno.make(provisioning_uri(device), error="m").svg_inline(
        scale=5, svgclass="qr", title="QR", dark="#000", light="#fff"
    )
    return mark_safe(svg)  # noqa: S308  (segno's own markup; the address is percent-encoded)


@transaction.atomic
def confirm_enrolment(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """The first code from the app confirms the device; then ten recovery codes, returned
    once to be shown once (django-otp keeps them to compare, and deletes each when used).
    None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    if not device.verify_token(_digits(token)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # An earlier unconfirmed one (another tab) or a removed phone's leftovers: one device each.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(user)
    audit.record(
        actor=user,
        action=AuditAction.CREATE,
        obj=user,
        changes={"two_factor": "enrolled", "recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def renew_recovery_codes(*, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    codes = _new_recovery_codes(user)
    audit.record(
        actor=user,
        action=AuditAction.UPDATE,
        obj=user,
        changes={"two_factor": "recovery_codes_renewed", "recovery_codes": len(codes)},
    )
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


# ---- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    device: Device | None = None
    method: Method = Method.TOTP
    wait_seconds: int = 0  # refused unchecked: the device is slowed down after wrong codes
    codes_left: int = 0  # recovery codes still unused, after a recovery code


@transaction.atomic
def verify(*, user: User, token: str) -> Outcome:
    """A code typed at the second step (or sent with an API token request): six digits are
    checked against the app's device, anything else against the recovery codes. Audited either
    way, except a try the device's slowing-down refused unchecked."""
    digits = _digits(token)
    device: TOTPDevice | StaticDevice | None
    if len(digits) == 6:
        method, candidate = Method.TOTP, digits
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    else:
        method, candidate = Method.RECOVERY_CODE, _recovery(token)
        device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        refused = {"second_factor": method, "reason": "no_device"}
        audit.record(actor=user, action=AuditAction.LOGIN_FAILED, obj=user, changes=refused)
        return Outcome(method=method)
    allowed, why = device.verify_is_allowed()
    if not allowed:
        locked_until = (why or {}).get("locked_until") or timezone.now()
        wait = max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))
        return Outcome(method=method, wait_seconds=wait)
    if not device.verify_token(candidate):
        audit.record(
            actor=user, action=AuditAction.LOGIN_FAILED, obj=user, changes={"second_factor": method}
        )
        return Outcome(method=method)
    changes: dict[str, Any] = {"second_factor": method}
    left = 0
    if method == Method.RECOVERY_CODE:
        left = changes["recovery_codes_left"] = device.token_set.count()
    audit.record(actor=user, action=AuditAction.LOGIN, obj=user, changes=changes)
    return Outcome(device=device, method=method, codes_left=left)


def _digits(token: str) -> str:
    return "".join(token.split()).replace("-", "")


def _recovery(token: str) -> str:
    return _digits(token).lower()


# ---- removal ---------------------------------------------------------------------------------


@transaction.atomic
def remove(*, user: User) -> None:
    """The person turns it off (a new phone, or it was never required): the app's secret and
    the recovery codes are deleted, not kept: a secret left behind could still make codes."""
    _delete_devices(user)
    audit.record(actor=user, action=AuditAction.REVOKE, obj=user, changes={"two_factor": "removed"})


@transaction.atomic
def reset(*, user: User, by: User) -> None:
    """A system administrator's reset for someone who lost their phone and codes: the devices
    go, every session of theirs ends and their API token is revoked, so the next login (the
    password, then a new enrolment where the role asks for it) is the only way back in."""
    if user.pk == by.pk:
        raise ValidationError(_("Turn off your own two-step verification on its own page."))
    _delete_devices(user)
    audit.record(actor=by, action=AuditAction.REVOKE, obj=user, changes={"two_factor": "reset"})
    services.revoke_access(
        user=user, by=by, reason=RevokeReason.TWO_FACTOR_RESET, end_sessions=True
    )


def _delete_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
