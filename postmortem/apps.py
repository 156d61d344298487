from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemConfig(AppConfig):
    name = "postmortem"
    verbose_name = _("Major incidents and postmortems")

    def ready(self) -> None:
        from tickets.panels import Panel, register

        from . import receivers  # noqa: F401 - connects the signal receivers
        from .views import workspace_panel

        register(Panel(name="postmortem", template="postmortem/panels/workspace.html",
                       context=workspace_panel, order=5))
