from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomesConfig(AppConfig):
    name = "shouwang.homes"
    verbose_name = _("Children's homes")

    def ready(self) -> None:
        from shouwang.care.other_duties import provide_duties
        from shouwang.children.sections import add_child_section

        from .selectors import attended_by, duties_of

        # A shift on a home's roster is a duty of its day in the person's 我的任务.
        provide_duties("homes", duties_of)
        # The child's page: the homes the child came to, and on how many days.
        add_child_section("homes", "homes/_child_section.html", attended_by)
