from django.apps import AppConfig

from . import choices


class CoreConfig(AppConfig):
    name = "shouwang.core"
    verbose_name = "Shouwang core"

    def ready(self) -> None:
        choices.install()  # every model is loaded by now
