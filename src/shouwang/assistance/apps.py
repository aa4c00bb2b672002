from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "shouwang.assistance"
    verbose_name = _("Assistance and donations")

    def ready(self) -> None:
        from shouwang.children.sections import add_child_section

        from .selectors import child_section

        # What the child received, on the child's page, for those who see the unit's money.
        add_child_section("assistance", "assistance/child_section.html", child_section)
