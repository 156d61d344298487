from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Smart dispatch")

    def ready(self) -> None:
        from tickets.labels import register_explainer
        from tickets.panels import REQUESTER, Panel, register

        from . import receivers  # noqa: F401 - connects the signal receivers
        from .explain import explain_assignment
        from .views import requester_panel, workspace_panel

        register_explainer("dispatch", explain_assignment)
        register(Panel(name="forecast", template="dispatch/panels/workspace.html", context=workspace_panel, order=15))
        register(Panel(name="forecast", template="dispatch/panels/requester.html", context=requester_panel,
                       order=15, page=REQUESTER))
