"""比对核实 (domain.md §8): another system's list (低保, 建档立卡, 残疾人, 孤儿) matched to the
archive by ID number. A match within the checker's scope gives the child the list's difficulty
flag, with its source file and date; a disagreement is listed and changes nothing.

Glossary: 比对核实 cross-check · 低保 subsistence allowance (dibao) · 建档立卡 registered poor
household · 残疾人 disabled person · 孤儿 orphan · 困难标记 difficulty flag.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.children.models import Child
from shouwang.orgs.models import Org


class ListKind(models.TextChoices):
    DIBAO = "dibao", _("Subsistence allowance (低保)")
    POVERTY_REGISTERED = "poverty_registered", _("Registered poor household (建档立卡)")
    DISABLED = "disabled", _("Disabled")
    ORPHAN = "orphan", _("Orphan")


class CrossCheck(models.Model):
    """One file matched against the archive under a unit: what it found, kept as it was."""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    list_kind = models.CharField(_("list"), max_length=20, choices=ListKind.choices)
    file_name = models.CharField(_("file"), max_length=200)
    rows = models.PositiveIntegerField(_("Rows read"), default=0)
    matched = models.PositiveIntegerField(_("Found in the archive"), default=0)
    flags_added = models.PositiveIntegerField(_("Flags added"), default=0)
    already_flagged = models.PositiveIntegerField(_("Flagged already"), default=0)
    not_in_archive = models.PositiveIntegerField(_("Not in the archive"), default=0)
    outside_scope = models.PositiveIntegerField(_("In the archive outside your units"), default=0)
    # [{"sheet", "row", "message"}]: rows to check by hand (never a child outside the scope).
    disagreements = models.JSONField(default=list, blank=True)
    unknown_columns = models.JSONField(default=list, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cross-check")
        verbose_name_plural = _("cross-checks")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_list_kind_display()} · {self.file_name}"


class DifficultyFlag(models.Model):
    """A child found on another system's list: which list, from which file, when and by whom.
    Never deleted: a flag found wrong is voided with a date and a reason."""

    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="list_flags", related_query_name="list_flag"
    )
    list_kind = models.CharField(_("list"), max_length=20, choices=ListKind.choices)
    source = models.CharField(_("source file"), max_length=200)
    on = models.DateField(_("date"))
    cross_check = models.ForeignKey(
        CrossCheck, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("difficulty flag")
        verbose_name_plural = _("difficulty flags")
        ordering = ["-on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "list_kind"],
                condition=models.Q(voided_at__isnull=True),
                name="one_active_flag_per_list",
            )
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.get_list_kind_display()} {self.on}"
