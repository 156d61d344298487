from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels (SLA)")

    def ready(self) -> None:
        from tickets.panels import register_queue_sla_cell

        from . import receivers  # noqa: F401 - connects the signal receivers
        from .templatetags.sla_tags import queue_badges

        # The compact badges read these columns of each clock (queue_badges and SlaClock.state).
        register_queue_sla_cell(queue_badges,
                                columns=("ticket_id", "target", "warn_at", "due_at", "met_at", "paused_at"))
