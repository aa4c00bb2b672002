from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The append-only log every app writes to: below the org tree, so every app may use it."""

    name = "shouwang.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from shouwang.core.sheets.writer import record_exports_with

        from .services import record_export

        record_exports_with(record_export)  # every Excel file handed out is on the log
