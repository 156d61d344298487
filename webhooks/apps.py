from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Outbound webhooks")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers
