"""A region's own template of the 工作总结 / 简报 (the genre of ../shared/seeds/).

Glossary: 工作总结 work summary (``report``); 简报 brief; 模板 ``ReportTemplate`` — a .docx with
Jinja variables (docxtpl) that a region's officer uploads; the units under the region use the
nearest region's newest version, else the default that ships with the app. Versions are never
deleted: an upload is a new version, the old ones stay for the record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.orgs.models import Org


class ReportTemplate(models.Model):
    region = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="report_templates", verbose_name=_("region")
    )
    version = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("template"), upload_to="report_templates/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["region", "-version"]
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "version"], name="one_report_template_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region} · v{self.version}"
