from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels (SLA)")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers
