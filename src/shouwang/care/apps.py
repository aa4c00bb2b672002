from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "shouwang.care"
    verbose_name = _("Care work")

    def ready(self) -> None:
        from shouwang.accounts.scope import provide_paired_children

        from .selectors import paired_children

        # The policy's "paired" reach (accounts.policy) asks care for its pairings.
        provide_paired_children(paired_children)
