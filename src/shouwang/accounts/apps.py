from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shouwang.accounts"
    verbose_name = _("Accounts and audit")

    def ready(self) -> None:
        from shouwang.core.sheets.writer import record_exports_with

        from . import signals  # noqa: F401  (login audit receivers)
        from .audit import record_export

        record_exports_with(record_export)  # every Excel file handed out is on the log
