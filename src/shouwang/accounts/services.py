"""Every write about users and roles: atomic, validated, audited."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.orgs.models import Org

from . import tokens
from .models import RevokeReason, RoleAssignment, User
from .policy import CLASS_TEACHER, SYSTEM


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str,
    role: str,
    org: Org,
    by: User | None,
    full_name: str = "",
    phone: str = "",
) -> User:
    user = User(username=username, full_name=full_name, phone=phone)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    assignment = RoleAssignment(user=user, role=role, org=org)
    assignment.full_clean()
    assignment.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=user,
        org_path=org.path,
        changes={"full_name": full_name, "phone": phone, "role": role, "org": org.code},
    )
    return user


@transaction.atomic
def assign_role(*, user: User, role: str, org: Org, by: User | None) -> RoleAssignment:
    assignment = RoleAssignment(user=user, role=role, org=org)
    assignment.full_clean()
    assignment.save()
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=assignment,
        org_path=org.path,
        changes={"role": role, "org": org.code},
    )
    return assignment


@transaction.atomic
def end_assignment(*, assignment: RoleAssignment, by: User | None) -> RoleAssignment:
    if by is not None and assignment.user_id == by.pk and assignment.role == SYSTEM:
        # The last way in must not be closed from inside: another sysadmin ends this role.
        raise ValidationError(_("You cannot end your own system administrator role."))
    assignment.is_active = False
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["is_active", "ended_at"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=assignment,
        org_path=assignment.org.path,
        changes={"is_active": [True, False]},
    )
    return assignment


@transaction.atomic
def update_profile(*, user: User, by: User | None, full_name: str, phone: str) -> User:
    before = {"full_name": user.full_name, "phone": user.phone}
    user.full_name, user.phone = full_name, phone
    user.full_clean()
    user.save(update_fields=["full_name", "phone"])
    changes = audit.field_changes(before, {"full_name": full_name, "phone": phone})
    if changes:
        audit.record(actor=by, action=AuditAction.UPDATE, obj=user, changes=changes)
    return user


@transaction.atomic
def set_active(*, user: User, active: bool, by: User | None) -> User:
    if not active and by is not None and user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=user,
            changes={"is_active": [not active, active]},
        )
        if not active:
            # Refused while inactive anyway; ended, so a reactivation does not bring them back.
            revoke_access(user=user, by=by, reason=RevokeReason.DEACTIVATED, end_sessions=True)
    return user


def record_password_change(*, user: User) -> None:
    audit.record(
        actor=user, action=AuditAction.UPDATE, obj=user, changes={"password": ["***", "***"]}
    )


@transaction.atomic
def issue_token(*, user: User) -> Token:
    """The user's API token: the current one while it lasts, a new one once it has expired."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and not tokens.is_expired(token):
        return token
    if token is not None:
        token.delete()
    return Token.objects.create(user=user)


@transaction.atomic
def log_out_everywhere(*, user: User, by: User | None) -> None:
    """退出所有设备: every session of the user ends and their API token is revoked."""
    revoke_access(user=user, by=by, reason=RevokeReason.LOGOUT_EVERYWHERE, end_sessions=True)


@transaction.atomic
def revoke_access(
    *, user: User, by: User | None, reason: RevokeReason, end_sessions: bool = False
) -> None:
    """Deletes the user's API token (and, asked, ends their sessions); audited when anything
    ended, and always for a user's own 退出所有设备."""
    revoked = Token.objects.filter(user=user).delete()[0]
    sessions = _end_sessions(user) if end_sessions else 0
    if revoked or sessions or reason == RevokeReason.LOGOUT_EVERYWHERE:
        audit.record(
            actor=by,
            action=AuditAction.REVOKE,
            obj=user,
            changes={"reason": reason, "api_token_revoked": bool(revoked), "sessions": sessions},
        )


def _end_sessions(user: User) -> int:
    """Ends every live session of the user, in whatever store the sessions engine keeps them.

    Sessions are not indexed by user, so the live ones are read: they are few, since 30 idle
    minutes end one (SESSION_COOKIE_AGE)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    user_id = str(user.pk)
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == user_id:
            store(session_key=session.session_key).delete()
            ended += 1
    return ended


def hand_class_over(*, school_class: Org, to_teacher: User, by: User | None) -> list[User]:
    """The class's teachers end, ``to_teacher`` (a teacher of the same school) starts; returns
    the teachers who ended. Which role a class teacher holds is the policy table's."""
    school_path = school_class.path[: -2 * Org.steplen]
    if not RoleAssignment.objects.filter(
        user=to_teacher, role=CLASS_TEACHER, is_active=True, org__path__startswith=school_path
    ).exists():
        # Handing over never creates a teacher: accounts are made by the system administrator.
        raise ValidationError({"to_teacher": _("Choose a teacher of this school.")})
    current = list(
        RoleAssignment.objects.filter(
            org=school_class, role=CLASS_TEACHER, is_active=True
        ).select_related("user")
    )
    if any(a.user_id == to_teacher.pk for a in current):
        raise ValidationError({"to_teacher": _("This teacher already has the class.")})
    for assignment in current:
        end_assignment(assignment=assignment, by=by)
    assign_role(user=to_teacher, role=CLASS_TEACHER, org=school_class, by=by)
    return [a.user for a in current]
