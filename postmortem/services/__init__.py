"""Major incidents and postmortems: every change is one function here (docs/architecture.md, "Services").

Each service checks, changes its rows in one transaction, writes the history — the ticket's
timeline through tickets.services (kind "incident"), the postmortem's own PostmortemEvent log —
and leaves its emails in the tickets outbox, sent after commit. Tickets change only through
tickets.services; the beat job claims each reminder and overdue flag by a conditional update, so
running it twice, or on two workers, notifies nobody twice.

By sub-domain: `incidents` (declaration, war room, following the ticket), `postmortems` (the
document, its states, sharing, corrective actions), `reminders` (the beat job).
"""

from .common import ENTRY_CLOCK_TOLERANCE, ENTRY_START_REACH, MAJOR_PRIORITIES, stakeholders
from .incidents import (
    incident_add_entry,
    incident_declare,
    incident_dismiss,
    incident_follow,
    incident_join,
    incident_link_ticket,
    incident_mobilise,
    incident_on_ticket_reopened,
    incident_on_ticket_resolved,
    incident_post_update,
)
from .postmortems import (
    POSTMORTEM_FIELDS,
    corrective_action_add,
    corrective_action_complete,
    postmortem_back_to_draft,
    postmortem_publish,
    postmortem_share,
    postmortem_submit,
    postmortem_update,
)
from .recurrences import RecurrenceResult, recurrences_check
from .reminders import ReminderResult, postmortems_remind

__all__ = [
    "ENTRY_CLOCK_TOLERANCE", "ENTRY_START_REACH", "MAJOR_PRIORITIES", "POSTMORTEM_FIELDS", "ReminderResult",
    "corrective_action_add", "corrective_action_complete", "incident_add_entry", "incident_declare",
    "incident_dismiss", "incident_follow", "incident_join", "incident_link_ticket", "incident_mobilise", "incident_on_ticket_reopened",
    "incident_on_ticket_resolved", "incident_post_update", "postmortem_back_to_draft", "postmortem_publish",
    "postmortem_share", "postmortem_submit", "postmortem_update", "postmortems_remind", "RecurrenceResult",
    "recurrences_check", "stakeholders",
]
