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
        from shouwang.children.services import blank_with_the_archive

        # An anonymised archive's texts in care work are blanked with it (retention).
        blank_with_the_archive("care.CareRecord", "child_id", ("findings",))
        blank_with_the_archive("care.FollowUp", "child_id", ("summary", "outcome"))
        blank_with_the_archive("care.CarePlanItem", "plan__child_id", ("need", "measure"))
        blank_with_the_archive("care.CarePlanReview", "plan__child_id", ("progress",))
