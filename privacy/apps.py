from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Personal data")

    def ready(self) -> None:
        from tickets.panels import Panel, register

        from . import receivers  # noqa: F401 - connects the card masking on arrival
        from .views import workspace_panel

        register(Panel(name="privacy", template="privacy/panels/workspace.html", context=workspace_panel, order=5))
