"""Reporting rounds (domain.md §6, seed 002): a level opens a round, each unit under it submits a
frozen snapshot of its figures, its counted children and its 台账, and the level above reviews.

Glossary (UI term → name in code):
    排查 / 台账上报        reporting round (``Round``)
    上报单位               a unit that reports in a round (``RoundUnit``)
    报送截止日期           due (``RoundUnit.due``: the round's ``due`` for schools and villages,
                           ``due_upward`` for the regions between them and the round's level)
    上报 / 报送            submission (``Submission``: one version, never changed afterwards)
    退回                   return (a submission sent back with a comment; the unit submits again)
    逾期 / 催报            late / reminder (told once, by the worker)
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.orgs.models import Org


class Round(models.Model):
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField(_("title"), max_length=100)
    # Seed 002: "by 6-25 every community reports its ledger; by 6-30 the bureau reports on".
    due = models.DateField(_("due for schools and villages"))
    due_upward = models.DateField(_("due for townships reporting upward"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("reporting round")
        verbose_name_plural = _("reporting rounds")

    def __str__(self) -> str:
        return self.title


class Level(models.TextChoices):
    UNIT = "unit", _("Reporting unit")  # a school or a village: its own ledger
    REGION = "region", _("Region reporting upward")  # a township: once its units are in


class RoundUnit(models.Model):
    """A unit that reports in a round, with its deadline; ``reminded_at`` marks the one reminder
    a late unit gets."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="units")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    due = models.DateField(_("due"))
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        ordering = ["round", "org__path"]
        verbose_name = _("unit reporting in a round")
        verbose_name_plural = _("units reporting in a round")
        constraints = [
            models.UniqueConstraint(fields=["round", "org"], name="one_entry_per_unit_and_round")
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.org}"


# A submission's snapshot, never written again once saved (by the ORM: Submission.save and its
# queryset's update refuse; by anything else: the database's trigger, oversight.triggers).
FROZEN = (
    "unit",
    "version",
    "submitted_by",
    "submitted_at",
    "on",
    "figures",
    "paired",
    "children",
    "ledger",
    "ledger_sha256",
)
# What the level above writes afterwards: the return and its comment.
REVIEW = ("returned_at", "returned_by", "return_comment")


class FrozenSnapshot(PermissionError):
    """A write that would change a submission's frozen snapshot."""


def _frozen_among(names: Any) -> set[str]:
    """The names written that are not the review's: every other column is the snapshot."""
    return {str(n).removesuffix("_id") for n in names} - set(REVIEW)


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def update(self, **kwargs: Any) -> int:
        frozen = _frozen_among(kwargs)
        if frozen:
            raise FrozenSnapshot(f"a submission's snapshot is frozen: {sorted(frozen)}")
        return super().update(**kwargs)


class Submission(models.Model):
    """One version of a unit's report: figures, counted children and the ledger file as they
    were when submitted. Only the review (``returned_*``) is written afterwards: a save of a
    stored submission names its ``update_fields`` among ``REVIEW``, else it is refused."""

    unit = models.ForeignKey(RoundUnit, on_delete=models.PROTECT, related_name="submissions")
    version = models.PositiveSmallIntegerField(_("version"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    on = models.DateField(_("figures as of"))
    figures = models.JSONField(_("figures"))  # the statistics JSON (interfaces.md)
    paired = models.PositiveIntegerField(_("paired children"), default=0)  # coverage's numerator
    # [{"id", "name", "type"}]: the children counted, to compare rounds.
    children = models.JSONField(_("counted children"), default=list, blank=True)
    ledger = models.FileField(_("ledger"), upload_to="rounds/%Y/%m/", blank=True)
    ledger_sha256 = models.CharField(_("ledger's SHA-256"), max_length=64, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_comment = models.TextField(_("comment"), blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "-version"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(fields=["unit", "version"], name="one_submission_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.unit} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            frozen = set(FROZEN) if fields is None else _frozen_among(fields)
            if frozen:
                raise FrozenSnapshot(f"a submission's snapshot is frozen: {sorted(frozen)}")
        super().save(*args, **kwargs)
