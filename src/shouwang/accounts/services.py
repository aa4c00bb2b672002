"""Every write about users and roles: atomic, validated, audited."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.orgs.models import Org

from . import audit
from .models import AuditAction, Role, RoleAssignment, User


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
    if by is not None and assignment.user_id == by.pk and assignment.role == Role.SYSADMIN:
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
    return user


def record_password_change(*, user: User) -> None:
    audit.record(
        actor=user, action=AuditAction.UPDATE, obj=user, changes={"password": ["***", "***"]}
    )
