from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrosschecksConfig(AppConfig):
    name = "shouwang.crosschecks"
    verbose_name = _("Cross-checks")

    def ready(self) -> None:
        from shouwang.children.sections import add_child_section

        from .selectors import child_section

        # The child's page: the other systems' lists the child was found on.
        add_child_section("crosschecks", "crosschecks/_child_section.html", child_section)
