from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "shouwang.safety"
    verbose_name = _("Safety")

    def ready(self) -> None:
        from shouwang.children.services import blank_with_the_archive

        # An anonymised archive's incident texts are blanked with it (retention).
        blank_with_the_archive("safety.Incident", "child_id", ("description", "outcome"))
