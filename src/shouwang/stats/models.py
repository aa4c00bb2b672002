"""A unit's figures of a day, counted once per change of what they count (issue 17).

Glossary: 统计快照 — ``UnitDayFigures``, a unit's whole count on one day under one definition;
帮扶人次 of a closed day — ``UnitDayCare``, a unit's care records of one day gone by, by kind.

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


class UnitDayCare(models.Model):
    """The 人次 of care (``care.selectors.person_times``) of one unit on one closed day, by kind,
    for a reader who sees the whole unit (issue 17): the statistics of a term add up the kept
    days and count only the last two live, where they counted every record of the term on every
    call (63 of a county's 90 ms at 20,000 children).

    Kept while both things it was counted under hold: ``version``, the data the unit's children
    are found by (where each child is placed, the tree; care records do not move it), and
    ``stamp``, its day's ``care.ClosedDayStamp`` ("" for a day never changed after it closed),
    which a record written or corrected late for that day makes new. Derived, never typed: rows
    may be dropped at any time."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    # A village as the place children in no school are registered at (stats.flows.children_of).
    as_place = models.BooleanField(default=False)
    day = models.DateField()
    counts = models.JSONField()  # record kind → 人次 ({} on a day without any)
    version = models.CharField(max_length=64)
    stamp = models.CharField(max_length=32, blank=True)
    made_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "as_place", "day"], name="stats_one_care_count_per_unit_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.day}"
