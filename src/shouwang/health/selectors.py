"""Reads of health records: whoever keeps a child's archive (teachers of the class, the school's
leadership and counselors, village directors, region officers) sees its 体检; a caregiver who
only has a pairing (a volunteer) does not."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child
from shouwang.orgs.models import Org

from . import metrics
from .models import BmiReference, Checkup


def references() -> dict[tuple[str, Decimal], BmiReference]:
    return {(r.gender, r.age): r for r in BmiReference.objects.all()}


def reading_of(checkup: Checkup, refs: metrics.References) -> metrics.Reading:
    child = checkup.child
    return metrics.read(
        gender=child.gender,
        birth=child.birth_date,
        on=checkup.examined_on,
        height_cm=checkup.height_cm,
        weight_kg=checkup.weight_kg,
        vision_left=checkup.vision_left,
        vision_right=checkup.vision_right,
        references=refs,
    )


def health_children_q(user: Any) -> Q:
    return scope_of(user).q(Area.HEALTH, Action.VIEW)


def may_see_health(user: Any) -> bool:
    return scope_of(user).may(Area.HEALTH, Action.VIEW)


def child_for_health(user: Any, pk: int) -> Child:
    return get_object_or_404(
        Child.objects.filter(health_children_q(user)).select_related("school", "school_class"),
        pk=pk,
    )


def child_for_recording(user: Any, pk: int) -> Child:
    """Recording a 体检 is for the roles that edit the archive."""
    return get_object_or_404(
        Child.objects.filter(scope_of(user).q(Area.HEALTH, Action.CHANGE)).select_related("school"),
        pk=pk,
    )


def checkup_for_correcting(user: Any, pk: int) -> Checkup:
    """Correcting a 体检 is for those who may record one for the child."""
    return get_object_or_404(
        Checkup.objects.filter(
            child__in=Child.objects.filter(scope_of(user).q(Area.HEALTH, Action.CHANGE))
        ).select_related("child__school"),
        pk=pk,
    )


def import_units(user: Any) -> QuerySet[Org]:
    """Where the user may import a check-up sheet: the units of the roles that edit archives."""
    return sheet_units(user, Action.CHANGE)


def may_record_for(user: Any, child: Child) -> bool:
    return Child.objects.filter(scope_of(user).q(Area.HEALTH, Action.CHANGE), pk=child.pk).exists()


@dataclass
class Row:
    checkup: Checkup
    reading: metrics.Reading


def checkups_of(child: Child) -> list[Row]:
    refs = references()
    rows = []
    for checkup in Checkup.objects.filter(child=child).select_related("child"):
        rows.append(Row(checkup, reading_of(checkup, refs)))
    return rows


@dataclass
class SheetLine:
    child: Child
    latest: Row | None


def sheet_of(user: Any, org: Org) -> list[SheetLine]:
    """The children of a class or school the user sees, each with their latest 体检 read: two
    queries for the children and their check-ups, one for the table."""
    refs = references()
    children: QuerySet[Child] = (
        Child.objects.filter(health_children_q(user), school_class__path__startswith=org.path)
        .select_related("school_class")
        .prefetch_related(
            Prefetch(
                "checkups",
                queryset=Checkup.objects.order_by("-examined_on", "-pk"),
                to_attr="all_checkups",
            )
        )
        .order_by("school_class__path", "name")
    )
    lines = []
    for child in children:
        done = child.all_checkups  # type: ignore[attr-defined]
        latest = None
        if done:
            done[0].child = child
            latest = Row(done[0], reading_of(done[0], refs))
        lines.append(SheetLine(child, latest))
    return lines


def sheet_units(user: Any, action: Action = Action.VIEW) -> QuerySet[Org]:
    """Classes and schools whose sheets the user may open (``CHANGE``: may import into)."""
    from shouwang.orgs.models import OrgKind

    q = scope_of(user).units_q(Area.HEALTH, action)
    return Org.objects.filter(q, kind__in=[OrgKind.SCHOOL, OrgKind.SCHOOL_CLASS]).order_by("path")
