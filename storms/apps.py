from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StormsConfig(AppConfig):
    name = "storms"
    verbose_name = _("Ticket storms")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers
