"""``Model.objects.restrict(user, action)``: a list cannot forget its filter (NetBox's
``RestrictedQuerySet`` is the model). A model names what the policy table calls it and how its
rows reach a child's places (``PolicyTarget``); the filter itself is the table's
(``accounts.policy``), applied by the user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models

from .policy import Action, Area
from .scope import scope_of

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class PolicyTarget:
    area: Area
    via: str = ""  # the relation to the child ("child"), or "" on a row with its own places
    own: str = ""  # the field naming who wrote or reported the row


class RestrictedQuerySet(models.QuerySet[M]):
    def restrict(
        self, user: Any, action: Action | str = Action.VIEW, area: Area | None = None
    ) -> RestrictedQuerySet[M]:
        """The rows ``user`` may ``action`` (in ``area``, by default the model's own)."""
        target: PolicyTarget = self.model.policy  # type: ignore[attr-defined]
        q = scope_of(user).q(area or target.area, Action(action), via=target.via, own=target.own)
        return self.filter(q)
