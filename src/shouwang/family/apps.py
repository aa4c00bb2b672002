from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyConfig(AppConfig):
    name = "shouwang.family"
    verbose_name = _("Family contact")
