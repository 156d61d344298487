from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Smart dispatch")

    def ready(self) -> None:
        from tickets.labels import register_explainer
        from tickets import queue_views
        from tickets.panels import REQUESTER, Panel, register

        from . import receivers  # noqa: F401 - connects the signal receivers
        from .explain import explain_assignment
        from .selectors import at_risk_queue
        from .views import requester_panel, workspace_panel

        register_explainer("dispatch", explain_assignment)
        register(Panel(name="forecast", template="dispatch/panels/workspace.html", context=workspace_panel, order=15))
        register(Panel(name="forecast", template="dispatch/panels/requester.html", context=requester_panel,
                       order=15, page=REQUESTER))
        # "À risque" in the agent queue: the tickets whose forecast passes a deadline, least margin first.
        queue_views.register(queue_views.QueueView(
            code="at_risk", label=_("At risk"), filter=at_risk_queue,
            sort_keys=(("risk_margin", False), ("id", False)), nullable=frozenset({"risk_margin"}),
        ))
