"""Reads of the org tree as a user sees it: the acting user's scope applied inside."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.orgs.models import Org, OrgKind


def orgs_visible_to(user: Any) -> QuerySet[Org]:
    return Org.objects.filter(scope_of(user).orgs_q()).order_by("path")


def org_visible_to(user: Any, code: str) -> Org:
    """The org with this code, or 404 when it does not exist or lies outside the user's scope."""
    return get_object_or_404(orgs_visible_to(user), code=code)


def orgs_manageable_by(user: Any) -> QuerySet[Org]:
    """The units one manages (the table's ``units``/``change``)."""
    return Org.objects.filter(scope_of(user).units_q(Area.UNITS, Action.CHANGE)).order_by("path")


def org_manageable_by(user: Any, code: str) -> Org:
    return get_object_or_404(orgs_manageable_by(user), code=code)


def top_orgs_visible_to(user: Any) -> list[Org]:
    """The highest nodes of the user's scope: where their view of the tree starts."""
    scope = scope_of(user)
    if scope.sees_every_unit:
        return list(Org.objects.get_root_nodes())
    return list(Org.objects.filter(path__in=scope.org_paths).order_by("path"))


def villages_for_archives(user: Any) -> QuerySet[Org]:
    """Home villages a user may pick for a child: every village of the counties they work in
    (a school's pupils come from villages of other townships too)."""
    counties = scope_of(user).counties_q(Area.UNITS, Action.VIEW)
    return Org.objects.filter(counties, kind=OrgKind.VILLAGE).order_by("path")
