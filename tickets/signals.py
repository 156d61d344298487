"""Domain signals the core sends inside the service's transaction, so receivers' writes commit with it.

`tickets` imports none of the other apps; they connect here in their AppConfig.ready().
"""

from django.dispatch import Signal

# Sent with ticket=, actor= after a ticket is created.
# Receivers: sla (sets deadlines), escalation (VIP / P1 / recurring rules), postmortem (major incidents).
ticket_created = Signal()

# Sent with ticket=, actor=, transition=, source=, target=, event= (the TicketEvent) after every
# status transition.
# Receivers: sla (pause/resume clocks, first response), postmortem (incident resolved).
ticket_status_changed = Signal()
# Sent with tickets=, actor=, transition=, source=, target=, events= after one transition made on many
# tickets at once (the auto-close job). Receivers: sla (stops the clocks).
tickets_status_changed = Signal()

# Sent with ticket=, actor=, old=, new= after a priority change.
# Receivers: sla (recompute deadlines), postmortem (raised to P1/P2 is a major incident).
ticket_priority_changed = Signal()

# Sent with ticket=, followup= after a followup is added. Receivers: sla (first public agent reply).
followup_added = Signal()

# Sent with ticket=, actor=, old=, new=, reason=, rule=, assignee=, followup=, event= after every level
# change (ticket_set_level). Receivers: escalation (writes the escalation log, one row per change).
ticket_level_changed = Signal()
# Sent with tickets=, old_levels= (by ticket pk), reason=, rule=, events= after a rule raised the level of
# many tickets at once (tickets_raise_level). Receivers: escalation (the log rows, in one INSERT).
tickets_level_changed = Signal()
