from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyConfig(AppConfig):
    name = "shouwang.family"
    verbose_name = _("Family contact")

    def ready(self) -> None:
        from shouwang.children.services import blank_with_the_archive

        # An anonymised archive's call notes are blanked with it (retention).
        blank_with_the_archive("family.FamilyCall", "child_id", ("note",))
