from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "shouwang.activities"
    verbose_name = _("Activities, training and commendations")

    def ready(self) -> None:
        from shouwang.children.sections import add_child_section

        from .selectors import child_part

        # What the child joined and was commended for, on the child's page (children.sections).
        add_child_section("activities", "activities/child_section.html", child_part)
