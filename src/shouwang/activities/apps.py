from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "shouwang.activities"
    verbose_name = _("Activities, training and commendations")
