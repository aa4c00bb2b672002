"""``Model.objects.restrict(user, action)``: a list cannot forget its filter (NetBox's
``RestrictedQuerySet`` is the model). A model names what the policy table calls it and how its
rows reach a child's places (``PolicyTarget``); the filter itself is the table's
(``accounts.policy``), applied by the user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import models

from shouwang.audit.versions import cache_key
from shouwang.orgs.models import Org, OrgKind

from .policy import REGIONAL, Action, Area, Reach
from .scope import PLACES, _prefix_q, scope_of

M = TypeVar("M", bound=models.Model)

# A region's officers reach their children through the union of reaches while their regions hold
# less than this share of the database's places, else in one pass. Measured at the two ends
# (docs/scaling.md): a county at a province (a fifteenth) gains, a whole database loses; the
# union reads a region's children twice, so it can only win well below a half.
UNION_BELOW = 0.25
SHARE_KEPT = 600  # seconds: the tree changes a unit at a time


def share_under(paths: tuple[str, ...]) -> float:
    """The share of the places children are placed at (schools and villages) that lie under
    ``paths``: a stand-in for the share of the children, read off the small org tree and kept
    for a while, where counting the children would cost what the choice is meant to save."""
    key = cache_key("share-under", paths)
    found = cache.get(key)
    if found is None:
        places = Org.objects.filter(kind__in=(OrgKind.SCHOOL, OrgKind.VILLAGE))
        total = places.count()
        under = places.filter(_prefix_q("path", paths)).count() if total else 0
        found = under / total if total else 1.0
        cache.set(key, found, SHARE_KEPT)
    return float(found)


@dataclass(frozen=True)
class PolicyTarget:
    area: Area
    via: str = ""  # the relation to the child ("child"), or "" on a row with its own places
    own: str = ""  # the field naming who wrote or reported the row
    is_child: bool = False  # the row is a child (its reaches can be found from the other end)


class RestrictedQuerySet(models.QuerySet[M]):
    def restrict(
        self, user: Any, action: Action | str = Action.VIEW, area: Area | None = None
    ) -> RestrictedQuerySet[M]:
        """The rows ``user`` may ``action`` (in ``area``, by default the model's own)."""
        target: PolicyTarget = self.model.policy  # type: ignore[attr-defined]
        area, action = area or target.area, Action(action)
        keys = self._children_reached(user, area, action, target)
        if keys is not None:
            return self.filter(**{"child__in" if target.via else "pk__in": keys})
        q = scope_of(user).q(area, action, via=target.via, own=target.own)
        return self.filter(q)

    def _children_reached(
        self, user: Any, area: Area, action: Action, target: PolicyTarget
    ) -> models.QuerySet[Any] | None:
        """The keys of the children ``user`` reaches, as one UNION ALL of a query per reach, for
        rows that are children or hang from one; None where the plain filter is as good.

        The plain filter ORs the reaches (the child's school under a subtree, or its class, or
        its home village, or a pairing to the user): an OR across joined tables and a sub-query
        is no index condition, so PostgreSQL reads every child and filters, estimating half of
        them to pass. Each reach on its own is an index range (the subtree's units, then their
        children); their union finds the same children from the other end (at a province's
        million children 我的任务 went from 6 s to 0.09 s, docs/scaling.md). A region's
        officers reach whole regions: the union finds a region's children twice (by school and
        again by home village), which beats one pass over every child only while the region is
        a small share of the database (a county at a province: its dashboard 2.88 → 1.74 s; the
        province's own 9.7 → 22 s through the union). So they get it only below
        :data:`UNION_BELOW` (:func:`share_under`)."""
        if target.is_child:
            child_model: Any = self.model
        elif target.via == "child":
            child_model = self.model._meta.get_field("child").related_model
        else:
            return None  # a row with places of its own (an incident) is filtered as it is
        scope = scope_of(user)
        regions = {path for role in REGIONAL & scope.by_role.keys() for path in scope.by_role[role]}
        if regions and share_under(tuple(sorted(regions))) >= UNION_BELOW:
            return None
        reaches = scope.reaches(area, action)
        if (
            reaches is None
            or len(reaches) < 2
            or any(r not in PLACES and r != Reach.PAIRED for r, _ in reaches)
        ):
            return None
        arms = [
            child_model._default_manager.filter(scope.reach_q(r, paths, "", ""))
            .values("pk")
            .order_by()
            for r, paths in reaches
        ]
        return arms[0].union(*arms[1:], all=True)
