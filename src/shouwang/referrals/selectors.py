"""Who sees a referral: the units on either end (Area.REFERRALS, VIEW over ``from_unit`` or
``to_unit``); who answers it: the receiving unit's side (CHANGE over ``to_unit``); who adds a
note: either end (CHANGE over either)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.children.selectors import children_visible_to
from shouwang.orgs.models import Org, OrgKind

from .models import Referral

# The units a referral can go to, by what the referrer chose (police and appointed guardians
# are held by the region unit that answers for them: the township or the county).
RECEIVING_KINDS = {
    "civil_affairs": (OrgKind.CIVIL_AFFAIRS,),
    "federation": (OrgKind.FEDERATION,),
    "township": (OrgKind.TOWNSHIP,),
    "police": (OrgKind.TOWNSHIP, OrgKind.COUNTY),
    "guardian": (OrgKind.TOWNSHIP, OrgKind.VILLAGE),
}
ALL_RECEIVING = sorted({k for kinds in RECEIVING_KINDS.values() for k in kinds})


def _either_end(user: Any, action: Action) -> Q:
    scope = scope_of(user)
    return scope.units_q(Area.REFERRALS, action, "from_unit__path") | scope.units_q(
        Area.REFERRALS, action, "to_unit__path"
    )


def may_view(user: Any) -> bool:
    return scope_of(user).may(Area.REFERRALS, Action.VIEW)


def visible_to(user: Any) -> QuerySet[Referral]:
    return Referral.objects.filter(_either_end(user, Action.VIEW)).select_related(
        "child", "from_unit", "to_unit"
    )


def sent_by_units_of(user: Any) -> QuerySet[Referral]:
    return visible_to(user).filter(
        scope_of(user).units_q(Area.REFERRALS, Action.VIEW, "from_unit__path")
    )


def received_by_units_of(user: Any) -> QuerySet[Referral]:
    return visible_to(user).filter(
        scope_of(user).units_q(Area.REFERRALS, Action.VIEW, "to_unit__path")
    )


def escalated_to_user(user: Any) -> QuerySet[Referral]:
    return visible_to(user).filter(escalated_at__isnull=False)


def referral_for(user: Any, pk: int) -> Referral:
    """The referral, or 404 unless the user sees one of its ends; the look is audited."""
    referral = get_object_or_404(visible_to(user), pk=pk)
    audit.record_read(
        actor=user,
        action=AuditAction.VIEW,
        obj=referral,
        org_path=referral.from_unit.path,
        changes={"what": "referral"},
    )
    return referral


def answerable_by(user: Any, pk: int) -> Referral:
    """The receiving end's: accept and close. 404 elsewhere."""
    return get_object_or_404(
        Referral.objects.filter(
            scope_of(user).units_q(Area.REFERRALS, Action.CHANGE, "to_unit__path")
        ).select_related("child", "from_unit", "to_unit"),
        pk=pk,
    )


def may_answer(user: Any, referral: Referral) -> bool:
    return scope_of(user).may(Area.REFERRALS, Action.CHANGE, referral.to_unit)


def notable_by(user: Any, pk: int) -> Referral:
    """Either end's: a dated note. 404 elsewhere."""
    return get_object_or_404(
        Referral.objects.filter(_either_end(user, Action.CHANGE)).select_related(
            "child", "from_unit", "to_unit"
        ),
        pk=pk,
    )


def may_note(user: Any, referral: Referral) -> bool:
    scope = scope_of(user)
    return scope.may(Area.REFERRALS, Action.CHANGE, referral.from_unit) or scope.may(
        Area.REFERRALS, Action.CHANGE, referral.to_unit
    )


def referring_unit(user: Any, child: Child) -> Org | None:
    """The unit the user refers the child from: its school (or village, for a child in no
    school), else its home village — the first the user may refer for."""
    scope = scope_of(user)
    for unit in (child.school, child.home_village):
        if unit is not None and scope.may(Area.REFERRALS, Action.ADD, unit):
            return unit
    return None


def child_referable_by(user: Any, pk: int) -> tuple[Child, Org]:
    child = get_object_or_404(
        children_visible_to(user).select_related("school", "home_village", "county"), pk=pk
    )
    unit = referring_unit(user, child)
    if unit is None:
        raise Http404
    return child, unit


def receivers_for(child: Child) -> QuerySet[Org]:
    """The units of the child's county a referral can go to."""
    return Org.objects.filter(path__startswith=child.county.path, kind__in=ALL_RECEIVING).order_by(
        "path"
    )


def child_section(user: Any, child: Child) -> dict[str, Any] | None:
    """The child's page (children.sections): its referrals the reader sees, and "refer"."""
    if not may_view(user):
        return None
    referrals = list(visible_to(user).filter(child=child))
    may_refer = referring_unit(user, child) is not None
    if not referrals and not may_refer:
        return None
    return {"referrals": referrals, "may_refer": may_refer, "child": child}
