"""Saved column mappings: a unit's own header words, taught once (台账 表头 对应); and export
jobs (导出任务): 审批 approval by a second person (``decided_by``), 水印 watermark (``serial``),
下载截止 the download's end (``expires_at``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
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


class ExportState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting", _("Awaiting approval")
    QUEUED = "queued", _("Waiting for the worker")
    BUILDING = "building", _("Being written")
    READY = "ready", _("Ready to download")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportJob(models.Model):
    """One asked-for 台账 export (导出任务): who asked, of which unit, masked or not; the second
    person's decision where one is needed (issue 18); how far the worker got; the file under
    var/ (600) until ``expires_at``, then removed by the worker. Kept after that, as the record
    of what was handed out (its serial is on the file's watermark and on the audit log)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who")
    )
    org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    # The unit's path: a county's jobs are one prefix query (style.md habit 10).
    org_path = models.CharField(max_length=255, db_index=True, editable=False)
    unmasked = models.BooleanField(_("ID numbers and phones in full"), default=False)
    serial = models.CharField(_("serial"), max_length=32, unique=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ExportState.choices, default=ExportState.QUEUED
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now, db_index=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    # When the worker last said how far it got: a build that stops reporting has stalled.
    progress_at = models.DateTimeField(null=True, blank=True)
    file = models.CharField(max_length=255, blank=True)  # the name under var/media/exports
    # The second person: who approved or refused, and when.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or refused by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("download until"), null=True, blank=True)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("ledger export")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="export_mine_idx")]

    def __str__(self) -> str:
        return f"{self.serial} {self.org_path}"

    @property
    def active(self) -> bool:
        """Still on its way: the exports page keeps asking how far it got."""
        return self.state in (ExportState.QUEUED, ExportState.BUILDING)

    def expired(self, now: datetime | None = None) -> bool:
        if self.state == ExportState.EXPIRED:
            return True
        return self.expires_at is not None and (now or timezone.now()) >= self.expires_at


class LedgerLayout(models.Model):
    """A region's own 台账 layout (本县台账格式): which of the ledger's columns, in what order,
    under what header (the county's wording), and its title rows. Every ledger export of a unit
    under the region uses the nearest region's current layout (ledger.layouts). Each save is a
    new version; none is changed or removed. A version with no columns puts the region back on
    the standard layout (interfaces.md) or on the layout of the region above."""

    region = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    version = models.PositiveIntegerField(_("version"))
    # [[column key, header text], …] in the order written; empty: no layout of its own.
    columns = models.JSONField(_("columns"), default=list, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    unit_and_date = models.BooleanField(_("row naming the unit and the date"), default=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger layout")
        ordering = ["region", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["region", "version"], name="one_layout_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} v{self.version}"
