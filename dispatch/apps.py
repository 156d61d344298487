from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Smart dispatch")

    def ready(self) -> None:
        from tickets import personal_texts, queue_views
        from tickets.labels import register_explainer
        from tickets.panels import REQUESTER, Panel, register

        from . import receivers  # noqa: F401 - connects the signal receivers
        from .explain import explain_assignment
        from .selectors import at_risk_queue, next_queue
        from .views import requester_panel, workspace_panel

        register_explainer("dispatch", explain_assignment)
        register(Panel(name="forecast", template="dispatch/panels/workspace.html", context=workspace_panel, order=15))
        register(Panel(name="forecast", template="dispatch/panels/requester.html", context=requester_panel,
                       order=15, page=REQUESTER))
        # A refusal's reason is typed by an agent: a requester's anonymisation rewrites their names in it.
        personal_texts.register(personal_texts.TicketText("dispatch.Assignment", "ticket", ("refusal_reason",)))
        # "À risque" in the agent queue: the tickets whose forecast passes a deadline, least margin first.
        queue_views.register(queue_views.QueueView(
            code="at_risk", label=_("At risk"), filter=at_risk_queue,
            sort_keys=(("risk_margin", False), ("id", False)), nullable=frozenset({"risk_margin"}),
        ))
        # "Prochains": the agent's own tickets in the order to work them (at a deadline-aware level, the
        # tickets whose next deadline can still be met first, the lost ones after).
        queue_views.register(queue_views.QueueView(
            code="next", label=_("Next up"), filter=next_queue, sort_keys=(("next_rank", False), ("id", False)),
            nullable=frozenset({"next_rank"}),
        ))
