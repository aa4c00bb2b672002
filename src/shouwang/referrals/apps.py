from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "shouwang.referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from shouwang.children.sections import add_child_section
        from shouwang.children.services import blank_with_the_archive

        from .selectors import child_section

        # The child's page: its referrals the reader sees, and "refer" for those who may.
        add_child_section("referrals", "referrals/_child_section.html", child_section)
        # An anonymised archive's referral texts are blanked with it (retention).
        blank_with_the_archive("referrals.Referral", "child_id", ("case_text", "outcome"))
        blank_with_the_archive("referrals.ReferralNote", "referral__child_id", ("text",))
