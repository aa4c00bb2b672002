"""A unit's figures of a day, counted once per change of what they count (issue 17).

Glossary: 统计快照 — ``UnitDayFigures``, a unit's whole count on one day under one definition.

The figures of today were counted on every view of a county's dashboard (1.4–3.3 s at a
province, docs/scaling.md). A snapshot holds what the grouped count gave for the whole unit —
every child counted there, whoever may see them — with the version of the data it was counted
under (``audit.versions.version_ignoring``: care records do not count). It is handed only to
those who see every child of the unit (``stats.selectors``), while its version is the data's.
It is derived, never typed: a cache in a table, refreshed by the worker (``stats.tasks``), so
rows may be dropped at any time.
"""

from __future__ import annotations

from django.db import models

from shouwang.children.models import DefinitionProfile
from shouwang.orgs.models import Org


class UnitDayFigures(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    profile = models.ForeignKey(DefinitionProfile, on_delete=models.CASCADE, related_name="+")
    # What the grouped count gave (``stats.selectors.Counted.as_json``): totals, breakdowns,
    # and per sub-unit path the children and the paired.
    counted = models.JSONField()
    version = models.CharField(max_length=64)
    made_at = models.DateTimeField()
    took = models.FloatField()  # seconds the count took

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "day", "profile"], name="stats_one_per_unit_day")
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.day} {self.profile_id}"
