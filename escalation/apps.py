from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = _("Escalation")

    def ready(self) -> None:
        from tickets import bulk
        from tickets.labels import register_reasons, register_rules
        from tickets.panels import Panel, register

        from . import (
            receivers,  # noqa: F401 - connects the signal receivers
            services,
        )
        from .models import MANUAL_REASONS, Reason, RuleCode
        from .views import workspace_panel

        register_reasons(Reason.choices)
        register_rules(RuleCode.choices)
        register(Panel(name="escalation", template="escalation/panels/workspace.html",
                       context=workspace_panel, order=10))
        bulk.register(bulk.BulkAction(
            code="escalate", label=_("Escalate to the next level"), perform=services.bulk_escalate,
            check=services.bulk_escalate_check, reasons=[(r.value, r.label) for r in MANUAL_REASONS],
        ))
