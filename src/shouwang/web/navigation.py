"""The menu, per role: one table, each item shown only to the roles it serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.models import Role
from shouwang.accounts.scope import Scope, scope_of
from shouwang.safety import selectors as incident_selectors


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str]  # empty: everyone

    def shown_to(self, scope: Scope) -> bool:
        return not self.roles or scope.has_role(*self.roles)


# Everyone with a place in the tree; sysadmins see everything anyway.
WORKERS = frozenset(
    {
        Role.REGION_OFFICER,
        Role.SCHOOL_ADMIN,
        Role.TEACHER,
        Role.VILLAGE_DIRECTOR,
        Role.COUNSELOR,
        Role.VOLUNTEER,
    }
)

# Those who manage units, and so import their ledgers (domain.md §1).
MANAGERS = frozenset({Role.REGION_OFFICER, Role.SCHOOL_ADMIN})

NAV_ITEMS = [
    NavItem(_("Home"), "web:home", frozenset()),
    NavItem(_("My tasks"), "care:tasks", WORKERS - {Role.REGION_OFFICER}),
    NavItem(_("Left-behind register"), "children:register", WORKERS),
    NavItem(_("Statistics"), "stats:dashboard", MANAGERS),
    NavItem(
        _("Emergencies"),
        "safety:incidents",
        incident_selectors.PAGE_ROLES,
    ),
    NavItem(
        _("Family contact"),
        "family:rooms",
        frozenset({Role.REGION_OFFICER, Role.SCHOOL_ADMIN, Role.TEACHER}),
    ),
    NavItem(
        _("Health"),
        "health:overview",
        frozenset({Role.REGION_OFFICER, Role.SCHOOL_ADMIN, Role.TEACHER, Role.COUNSELOR}),
    ),
    NavItem(
        _("Counseling"),
        "counseling:overview",
        frozenset({Role.COUNSELOR, Role.SCHOOL_ADMIN, Role.REGION_OFFICER}),
    ),
    NavItem(_("Pairings"), "care:pairings", MANAGERS),
    NavItem(_("Duty compliance"), "care:compliance", MANAGERS),
    NavItem(_("Organisations"), "orgs:tree", WORKERS),
    NavItem(_("Import a ledger"), "ledger:upload", MANAGERS),
    NavItem(_("Users"), "accounts:users", frozenset({Role.SYSADMIN})),
    NavItem(_("Audit log"), "accounts:audit", frozenset({Role.SYSADMIN})),
]


def nav_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    scope = scope_of(user)
    items = []
    for item in NAV_ITEMS:
        if item.shown_to(scope):
            url = reverse(item.url_name)
            active = current_path == url if url == "/" else current_path.startswith(url)
            items.append({"label": item.label, "url": url, "active": active})
    return items
