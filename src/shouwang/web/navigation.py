"""The menu, built from the policy table: an item is shown to whoever its page lets in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import Scope, scope_of


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    # The policy entries (accounts.policy) the page answers to; shown when any allows. Empty:
    # everyone. The page asks the same entries, so menu and page cannot disagree.
    needs: tuple[tuple[Area, Action], ...] = ()
    # The page also lists what a person took part in themselves (the table's OWN for anyone):
    # a volunteer's own activities. Shown to everyone with a role where the table says so.
    lists_own: bool = False

    def shown_to(self, scope: Scope) -> bool:
        if not self.needs:
            return True
        if self.lists_own:
            return any(scope.lists_own(area, action) for area, action in self.needs)
        return any(scope.may(area, action) for area, action in self.needs)


NAV_ITEMS = [
    NavItem(_("Home"), "web:home"),
    NavItem(_("My tasks"), "care:tasks", ((Area.TASKS, Action.VIEW),)),
    NavItem(_("Left-behind register"), "children:register", ((Area.ARCHIVE, Action.VIEW),)),
    NavItem(_("Statistics"), "stats:dashboard", ((Area.FIGURES, Action.VIEW),)),
    NavItem(
        _("Emergencies"),
        "safety:incidents",
        ((Area.INCIDENTS, Action.VIEW), (Area.INCIDENTS, Action.ADD)),
    ),
    NavItem(_("Family contact"), "family:rooms", ((Area.FAMILY, Action.VIEW),)),
    NavItem(_("Health"), "health:overview", ((Area.HEALTH, Action.VIEW),)),
    NavItem(_("Counseling"), "counseling:overview", ((Area.COUNSELING, Action.VIEW),)),
    NavItem(_("Activities"), "activities:list", ((Area.ACTIVITIES, Action.VIEW),), lists_own=True),
    NavItem(_("Children's homes"), "homes:index", ((Area.HOMES, Action.VIEW),)),
    NavItem(_("Assistance"), "assistance:home", ((Area.ASSISTANCE, Action.VIEW),)),
    NavItem(_("Donations"), "assistance:funds", ((Area.DONATIONS, Action.VIEW),)),
    NavItem(_("Reporting rounds"), "oversight:index", ((Area.ROUNDS, Action.VIEW),)),
    NavItem(_("Cross-checks"), "crosschecks:upload", ((Area.CROSS_CHECKS, Action.ADD),)),
    NavItem(_("Referrals"), "referrals:index", ((Area.REFERRALS, Action.VIEW),)),
    NavItem(_("Review of archives"), "children:reviews", ((Area.REVIEW, Action.VIEW),)),
    NavItem(_("Inspections"), "inspections:index", ((Area.INSPECTIONS, Action.VIEW),)),
    NavItem(_("Work summaries"), "reports:index", ((Area.REPORTS, Action.VIEW),)),
    NavItem(_("Assessment"), "assessment:index", ((Area.ASSESSMENT, Action.VIEW),), lists_own=True),
    NavItem(_("Pairings"), "care:pairings", ((Area.PAIRING, Action.CHANGE),)),
    NavItem(_("Duty compliance"), "care:compliance", ((Area.COMPLIANCE, Action.VIEW),)),
    NavItem(_("Organisations"), "units:tree", ((Area.UNITS, Action.VIEW),)),
    NavItem(_("Import a ledger"), "ledger:upload", ((Area.LEDGER, Action.ADD),)),
    NavItem(_("Exports"), "ledger:exports", ((Area.LEDGER, Action.EXPORT),)),
    NavItem(_("Users"), "accounts:users", ((Area.USERS, Action.CHANGE),)),
    NavItem(_("Audit log"), "accounts:audit", ((Area.AUDIT, Action.VIEW),)),
    NavItem(_("Retention runs"), "children:retention", ((Area.AUDIT, Action.VIEW),)),
]


@cache
def _address(url_name: str, prefix: str) -> str:
    """The menu's addresses, reversed once per name (and script prefix), not on every page."""
    return reverse(url_name)


def nav_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    scope = scope_of(user)
    items = []
    for item in NAV_ITEMS:
        if item.shown_to(scope):
            url = _address(item.url_name, get_script_prefix())
            active = current_path == url if url == "/" else current_path.startswith(url)
            items.append({"label": item.label, "url": url, "active": active})
    return items
