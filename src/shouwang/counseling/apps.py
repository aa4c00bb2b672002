from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounselingConfig(AppConfig):
    name = "shouwang.counseling"
    verbose_name = _("Counseling")

    def ready(self) -> None:
        from shouwang.children.services import blank_with_the_archive

        # An anonymised archive's counseling texts are blanked with it (retention).
        blank_with_the_archive("counseling.CounselingSession", "child_id", ("notes",))
        blank_with_the_archive("counseling.MailboxLetter", "child_id", ("text", "reply"))
        blank_with_the_archive("counseling.IndividualPlan", "child_id", ("problem", "measures"))
        blank_with_the_archive("counseling.PlanReview", "plan__child_id", ("progress",))
