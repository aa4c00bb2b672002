from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "shouwang.health"
    verbose_name = _("Health")

    def ready(self) -> None:
        from shouwang.children.services import blank_with_the_archive

        # An anonymised archive's check-up notes are blanked with it (retention).
        blank_with_the_archive("health.Checkup", "child_id", ("ent_notes", "notes"))
