"""Domain signals the core sends inside the service's transaction, so receivers' writes commit with it.

`tickets` imports none of the other apps; they connect here in their AppConfig.ready().
"""

from django.dispatch import Signal

# Sent with ticket= just before a new ticket's INSERT: the object has no key yet and a provisional
# reference. Receivers may set the ticket's own columns, which that INSERT writes (one UPDATE of a row with a
# score of indexes fewer), and keep what they computed on the object for their ticket_created receiver; they
# write nothing. Receivers: sla (the deadlines, its clocks written at ticket_created), escalation (the
# recurring flag, its history and alert written at ticket_created).
ticket_creating = Signal()

# Sent with ticket=, actor= after a ticket is created, before its reference is allocated (the ticket's
# last write: on SQLite the counter row is locked only from there to COMMIT): ticket.reference is a
# provisional value that receivers must not copy anywhere.
# Receivers: sla (its clocks), escalation (VIP / P1 / recurring rules), postmortem (major incidents).
ticket_created = Signal()

# Sent with ticket=, actor= at the end of a ticket's creation, once its reference is set; for receivers
# that copy the reference. Receivers: webhooks (the ticket.created payload).
ticket_referenced = Signal()

# Sent with tickets= (one or many, locked and changed), actor= (None: the system), transition=, events=
# (their TicketEvents, in the same order) after every status transition (services._rows.transition).
# Receivers: sla (pause, resume or stop the clocks, first response), postmortem (incident resolved or
# reopened).
tickets_status_changed = Signal()

# Sent with ticket=, actor=, old=, new= after a priority change.
# Receivers: sla (recompute deadlines), postmortem (raised to P1/P2 is a major incident).
ticket_priority_changed = Signal()

# Sent with ticket=, followup= after a followup is added. Receivers: sla (first public agent reply).
followup_added = Signal()

# Sent with tickets=, old_levels= (by ticket pk), actor=, reason=, rule= (a rule's code, or ""),
# assignee=, followup=, note=, events= after every level change, of one ticket or a rule's batch
# (services.tickets_set_level). Receivers: escalation (the escalation log, its one writer).
tickets_level_changed = Signal()

# Sent with events= (the TicketEvents just written, one or many) by TicketEvent.objects.record_many, the one
# writer of history, inside the writer's transaction: what other apps record in a ticket's timeline (SLA
# warnings, major-incident steps, postmortems published, survey answers) without a signal of its own.
# Receivers: webhooks (the outbox of outbound webhooks).
events_recorded = Signal()
