"""Who cross-checks what: region officers and school admins over their units (Area.CROSS_CHECKS,
ADD), flagging only the children they may change. And the flags' figures for the statistics."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child, DifficultyKind
from shouwang.children.models import DifficultyFlag as ArchiveDifficulty
from shouwang.children.selectors import children_editable_by, keeps_archive
from shouwang.orgs.models import REGION_KINDS, Org, OrgKind

from .models import CrossCheck, DifficultyFlag, ListKind

# The archive's own difficulties (ticked on the child's form) that are the same lists.
ARCHIVE_KIND = {
    ListKind.DIBAO: DifficultyKind.LOW_INCOME,
    ListKind.POVERTY_REGISTERED: DifficultyKind.POOR_HOUSEHOLD,
    ListKind.DISABLED: DifficultyKind.DISABLED,
    ListKind.ORPHAN: DifficultyKind.ORPHAN,
}


def may_cross_check(user: Any) -> bool:
    return scope_of(user).may(Area.CROSS_CHECKS, Action.ADD)


def units_for(user: Any) -> QuerySet[Org]:
    """The schools and regions the user cross-checks for."""
    return Org.objects.filter(
        scope_of(user).units_q(Area.CROSS_CHECKS, Action.ADD),
        kind__in=[OrgKind.SCHOOL, *REGION_KINDS],
    ).order_by("path")


def under(org: Org) -> Q:
    """Children whose unit (school or village) or home village lies under ``org``."""
    return Q(school__path__startswith=org.path) | Q(home_village__path__startswith=org.path)


def children_under(org: Org) -> QuerySet[Child]:
    return Child.objects.filter(under(org))


def scope_for(user: Any, org: Org) -> QuerySet[Child]:
    """The children a check by ``user`` under ``org`` may flag: those the user may change."""
    return children_editable_by(user).filter(under(org))


def checks_for(user: Any) -> QuerySet[CrossCheck]:
    return CrossCheck.objects.filter(
        scope_of(user).units_q(Area.CROSS_CHECKS, Action.ADD, "org__path")
    ).select_related("org", "by")


def check_for(user: Any, pk: int) -> CrossCheck:
    if not may_cross_check(user):
        raise Http404
    return get_object_or_404(checks_for(user), pk=pk)


def flag_clearable_by(user: Any, pk: int) -> DifficultyFlag:
    """An active flag of a child the user may change, at a unit they cross-check for; else 404."""
    flag = get_object_or_404(
        DifficultyFlag.objects.filter(voided_at__isnull=True).select_related("child__school"),
        pk=pk,
    )
    if not may_clear(user, flag.child):
        raise Http404
    return flag


def may_clear(user: Any, child: Child) -> bool:
    scope = scope_of(user)
    return scope.may(Area.CROSS_CHECKS, Action.ADD, child.school) and keeps_archive(user, child)


def child_section(user: Any, child: Child) -> dict[str, Any] | None:
    """The child's page (children.sections): the lists the child was found on."""
    if not keeps_archive(user, child):
        return None  # the archive's keepers only: a caregiver is not told of 低保 or 孤儿
    flags = list(DifficultyFlag.objects.filter(child=child).select_related("voided_by"))
    if not flags and not may_cross_check(user):
        return None
    return {
        "flags": [f for f in flags if f.voided_at is None],
        "cleared": [f for f in flags if f.voided_at is not None],
        "may_clear": bool(flags) and may_clear(user, child),
    }


def flag_figures(*, children: QuerySet) -> dict:
    """``difficulty_flags`` of the statistics: per list, the distinct children among
    ``children`` (the counted ones) found on it — by a cross-check (an active flag) or on the
    archive's own form (an open difficulty of the same kind). One query, a count per list."""
    counts = {}
    for kind in ListKind:
        listed = DifficultyFlag.objects.filter(list_kind=kind, voided_at__isnull=True).values(
            "child_id"
        )
        ticked = ArchiveDifficulty.objects.filter(
            kind=ARCHIVE_KIND[kind], ended_on__isnull=True
        ).values("child_id")
        counts[kind.value] = Count("pk", filter=Q(pk__in=listed) | Q(pk__in=ticked))
    found = children.order_by().aggregate(**counts)
    return {"difficulty_flags": {kind.value: found[kind.value] or 0 for kind in ListKind}}
