"""Saved column mappings: a unit's own header words, taught once (台账 表头 对应)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .columns import COLUMNS


class ColumnMapping(models.Model):
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    header = models.CharField(_("header in the file"), max_length=100)
    column = models.CharField(
        _("means"), max_length=32, choices=[(c.key, c.header) for c in COLUMNS]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("column mapping")
        constraints = [
            models.UniqueConstraint(fields=["org", "header"], name="one_mapping_per_header")
        ]

    def __str__(self) -> str:
        return f"{self.header} → {self.column}"
