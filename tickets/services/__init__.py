"""Every change to a ticket is one function of this package, by sub-domain (docs/architecture.md).

Each locks the ticket row (checking the version the caller's form was loaded with), changes it through
_rows.write or _rows.transition, records the history in the same transaction, sends the domain signal
and writes the emails to the outbox. Views, tasks and the other apps change tickets only through here.
"""

from ..outbox import notify, notify_new_events
from .conversation import FollowupResult, followup_add, survey_answer
from .for_apps import (
    ticket_record_incident_event,
    ticket_set_deadlines,
    tickets_record_forecast_alerts,
    tickets_record_sla_events,
)
from .lifecycle import (
    allocate_reference,
    ticket_close,
    ticket_create,
    ticket_reopen,
    ticket_resolve,
    ticket_resolve_as_system,
    ticket_resume,
    ticket_take,
    ticket_wait,
    tickets_auto_close,
)
from .routing import (
    recurring_line,
    start_level_lines,
    ticket_add_participants,
    ticket_assign,
    ticket_change_priority,
    ticket_set_level,
    ticket_started_at_level,
    tickets_assign,
    tickets_set_level,
)
from .workspace import ticket_check_item, ticket_link, ticket_record_root_cause

__all__ = [
    "FollowupResult",
    "allocate_reference",
    "followup_add",
    "notify",
    "notify_new_events",
    "recurring_line",
    "start_level_lines",
    "survey_answer",
    "ticket_add_participants",
    "ticket_assign",
    "ticket_change_priority",
    "ticket_check_item",
    "ticket_close",
    "ticket_create",
    "ticket_link",
    "ticket_record_incident_event",
    "ticket_record_root_cause",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_resolve_as_system",
    "ticket_resume",
    "ticket_set_deadlines",
    "ticket_set_level",
    "ticket_started_at_level",
    "ticket_take",
    "ticket_wait",
    "tickets_assign",
    "tickets_auto_close",
    "tickets_record_forecast_alerts",
    "tickets_record_sla_events",
    "tickets_set_level",
]
