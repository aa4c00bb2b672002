"""Object permissions (django-rules), all answered from the one scope in ``scope.py``."""

from __future__ import annotations

from typing import Any

import rules

from .models import Role
from .scope import scope_of


@rules.predicate
def is_sysadmin(user: Any) -> bool:
    return scope_of(user).is_sysadmin


@rules.predicate
def manages_org(user: Any, org: Any) -> bool:
    return org is not None and scope_of(user).manages(org)


@rules.predicate
def sets_region_calendar(user: Any, org: Any) -> bool:
    scope = scope_of(user)
    return (
        org is not None
        and org.is_region
        and scope.manages(org)
        and scope.has_role(Role.REGION_OFFICER)
    )


rules.add_perm("accounts.manage_users", is_sysadmin)
rules.add_perm("accounts.view_audit", is_sysadmin)
rules.add_perm("orgs.manage_org", manages_org)
rules.add_perm("orgs.set_calendar", sets_region_calendar)
