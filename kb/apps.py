from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from tickets.panels import Panel, register

        from .views import workspace_panel

        register(Panel(name="kb", template="kb/panels/workspace.html", context=workspace_panel, order=20))
