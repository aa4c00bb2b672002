from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    """The org tree as a user sees and manages it: scoped reads and the tree's pages (the tree
    itself, knowing no user, is `orgs`)."""

    name = "shouwang.units"
    verbose_name = _("Units")
