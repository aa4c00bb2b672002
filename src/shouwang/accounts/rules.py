"""Object permissions (django-rules), all answered from the one scope in ``scope.py``."""

from __future__ import annotations

from typing import Any

import rules

from .policy import Action, Area
from .scope import scope_of


@rules.predicate
def manages_users(user: Any) -> bool:
    return scope_of(user).may(Area.USERS, Action.CHANGE)


@rules.predicate
def reads_audit(user: Any) -> bool:
    return scope_of(user).may(Area.AUDIT, Action.VIEW)


@rules.predicate
def manages_org(user: Any, org: Any) -> bool:
    return org is not None and scope_of(user).covers(Area.UNITS, Action.CHANGE, org)


@rules.predicate
def sets_region_calendar(user: Any, org: Any) -> bool:
    """A region's calendar is one of its settings: whoever the table lets change the settings
    of the regions they reach."""
    return (
        org is not None
        and org.is_region
        and scope_of(user).covers(Area.SETTINGS, Action.CHANGE, org)
    )


rules.add_perm("accounts.manage_users", manages_users)
rules.add_perm("accounts.view_audit", reads_audit)
rules.add_perm("orgs.manage_org", manages_org)
rules.add_perm("orgs.set_calendar", sets_region_calendar)
