"""Reads of the reports app, the acting user first: which units a user may report on, which
regions' templates they may change, and the template a unit's documents use."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.orgs.models import REGION_KINDS, Org, OrgKind
from shouwang.stats.selectors import STATS_KINDS

from .models import ReportTemplate
from .render import DEFAULT_TEMPLATE

# The units a report is asked for on the page's list (a grade or class by its code too).
LISTED_KINDS = frozenset({*REGION_KINDS, OrgKind.SCHOOL})


def units_reportable_by(user: Any) -> QuerySet[Org]:
    """Units in the user's reach for reports (Area.REPORTS VIEW), regions and schools."""
    return Org.objects.filter(
        scope_of(user).units_q(Area.REPORTS, Action.VIEW), kind__in=LISTED_KINDS, is_active=True
    ).order_by("path")


def unit_reportable_by(user: Any, code: str) -> Org:
    """The unit of that code if the user may have its report; else 404 (never a 403)."""
    org = Org.objects.filter(code=code, kind__in=STATS_KINDS).first()
    if org is None or not scope_of(user).may(Area.REPORTS, Action.VIEW, org):
        raise Http404
    return org


def regions_templated_by(user: Any) -> QuerySet[Org]:
    """Regions whose document template the user may change (Area.SETTINGS CHANGE)."""
    return Org.objects.filter(
        scope_of(user).units_q(Area.SETTINGS, Action.CHANGE), kind__in=REGION_KINDS
    ).order_by("path")


def region_templated_by(user: Any, code: str) -> Org:
    return get_object_or_404(regions_templated_by(user), code=code)


def versions_of(region: Org) -> QuerySet[ReportTemplate]:
    return ReportTemplate.objects.filter(region=region).select_related("uploaded_by")


def version_visible_to(user: Any, pk: int) -> ReportTemplate:
    """A template version, for those who may change its region's template."""
    return get_object_or_404(
        ReportTemplate.objects.filter(region__in=regions_templated_by(user)), pk=pk
    )


def template_in_force(org: Org) -> ReportTemplate | None:
    """The newest version of the nearest region at or above ``org`` that has one."""
    paths = [org.path[:n] for n in range(Org.steplen, len(org.path) + 1, Org.steplen)]
    return (
        ReportTemplate.objects.filter(region__path__in=paths)
        .order_by("-region__depth", "-version")
        .first()
    )


def template_bytes(org: Org) -> bytes:
    """The .docx the unit's documents are written with: its region's, else the default."""
    found = template_in_force(org)
    if found is None:
        return DEFAULT_TEMPLATE.read_bytes()
    with found.file.open("rb") as handle:
        return handle.read()
