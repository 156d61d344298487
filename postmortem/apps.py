from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemConfig(AppConfig):
    name = "postmortem"
    verbose_name = _("Major incidents and postmortems")

    def ready(self) -> None:
        from tickets.panels import REQUESTER, Panel, register

        from . import receivers  # noqa: F401 - connects the signal receivers
        from .views import requester_panel, workspace_panel

        register(Panel(name="postmortem", template="postmortem/panels/workspace.html",
                       context=workspace_panel, order=5))
        register(Panel(name="postmortem", template="postmortem/panels/requester.html",
                       context=requester_panel, order=5, page=REQUESTER))
