from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shouwang.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import signals, twofactor  # noqa: F401  (signals: the login receivers)

        twofactor.required_roles()  # SHOUWANG_2FA_ROLES naming no role stops the start
