"""Domain signals the core sends inside the service's transaction, so receivers' writes commit with it.

`tickets` imports none of the other apps; they connect here in their AppConfig.ready().
"""

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.dispatch import Signal


class HistoryLine(NamedTuple):
    """What a receiver of ticket_creating may return, in a list: a line of the new ticket's history, by the
    system, internal unless `public`, that the creation writes with its "created" event (one INSERT for the
    history of a submission, issue 16)."""

    kind: str
    data: dict
    public: bool = False


class Alert(NamedTuple):
    """What a receiver of ticket_created may return, in a list: an email about one of the creation's events,
    written with the acknowledgement of receipt (one INSERT into the outbox per submission)."""

    event: Any  # a TicketEvent of the creation's `events`
    recipients: Sequence
    template: str


# Sent with ticket= just before a new ticket's INSERT: the object has no key yet (its reference is set).
# Receivers may set the ticket's own columns, which that INSERT writes (one UPDATE of a row with a score of
# indexes fewer), keep what they computed on the object for their ticket_created receiver, and return
# HistoryLines; they write nothing. Receivers: sla (the deadlines, its clocks written at ticket_created),
# escalation (the VIP rule's start level and the recurring flag, with their history lines; the rules' firings,
# the level change's signal and the alerts at ticket_created).
ticket_creating = Signal()

# Sent with ticket=, actor=, events= (the creation's history: "created", then the HistoryLines of
# ticket_creating's receivers) after a ticket is created (its INSERT and history written). Receivers may
# return Alerts. Receivers: sla (its clocks), escalation (VIP / P1 / recurring rules), postmortem (major
# incidents), dispatch (the ticket's assignee).
ticket_created = Signal()


def returned(responses: list[tuple[Any, Any]], kind: type) -> list:
    """The items of `kind` the receivers returned (Signal.send's responses): None or a list of them each."""
    items = []
    for receiver, response in responses:
        if response is None:
            continue
        if not isinstance(response, list | tuple) or not all(isinstance(item, kind) for item in response):
            raise TypeError(f"{receiver!r} returned {response!r}, not a list of {kind.__name__}")
        items.extend(response)
    return items

# Sent with ticket=, actor= at the end of a ticket's creation, after ticket_created's receivers: for what
# describes the whole creation. Receivers: webhooks (the ticket.created payload).
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
# (services.tickets_set_level), and for a new ticket a rule started above the first level, at ticket_created
# (services.ticket_started_at_level). Receivers: escalation (the escalation log, its one writer), dispatch,
# webhooks.
tickets_level_changed = Signal()

# Sent with events= (the TicketEvents just written, one or many) by TicketEvent.objects.record_many, the one
# writer of history, inside the writer's transaction: what other apps record in a ticket's timeline (SLA
# warnings, major-incident steps, postmortems published, survey answers) without a signal of its own.
# Receivers: webhooks (the outbox of outbound webhooks).
events_recorded = Signal()
