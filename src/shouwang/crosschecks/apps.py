from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrosschecksConfig(AppConfig):
    name = "shouwang.crosschecks"
    verbose_name = _("Cross-checks")
