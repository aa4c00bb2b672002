from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounselingConfig(AppConfig):
    name = "shouwang.counseling"
    verbose_name = _("Counseling")
