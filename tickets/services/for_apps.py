"""The writes other apps make on tickets (tickets imports none of them): the SLA deadlines mirrored on
the ticket for the queue's indexes, the SLA warnings and breaches, and the major-incident steps in the
timeline."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import EventKind, SlaState, Ticket, TicketEvent


def ticket_set_deadlines(*, ticket: Ticket, response_due_at, resolution_due_at, reason: str,
                         record: bool = True) -> Ticket:
    """Store the SLA deadlines the sla app computed (at creation, on priority or policy change, on resume).

    Runs inside the caller's transaction; writes a private SLA history event unless `record` is False
    (creation, where the created event already says it all).
    """
    Ticket.objects.filter(pk=ticket.pk).update(
        response_due_at=response_due_at, resolution_due_at=resolution_due_at
    )
    old = (ticket.response_due_at, ticket.resolution_due_at)
    ticket.response_due_at, ticket.resolution_due_at = response_due_at, resolution_due_at
    if record and old != (response_due_at, resolution_due_at):
        TicketEvent.objects.record(
            ticket=ticket, kind=EventKind.SLA, actor=None, public=False,
            data={"sla": "deadlines", "reason": reason,
                  "response_due_at": response_due_at.isoformat() if response_due_at else None,
                  "resolution_due_at": resolution_due_at.isoformat() if resolution_due_at else None},
        )
    return ticket


def tickets_record_sla_events(items: Sequence[tuple[Ticket, str, str, object]]) -> list[TicketEvent]:
    """Write SLA warnings and breaches, (ticket, target, stage, due_at) each, into the tickets'
    timelines (called by the sla sweep for a batch), and keep each ticket's sla_state at the worst
    stage recorded: two UPDATEs and one INSERT whatever the number. Returns the events in order."""
    breached = {ticket.pk for ticket, _target, stage, _due in items if stage == "breach"}
    warned = {ticket.pk for ticket, _target, stage, _due in items} - breached
    if breached:
        Ticket.objects.filter(pk__in=breached).exclude(sla_state=SlaState.BREACHED).update(sla_state=SlaState.BREACHED)
    if warned:
        Ticket.objects.filter(pk__in=warned, sla_state=SlaState.ON_TIME).update(sla_state=SlaState.WARNING)
    return TicketEvent.objects.record_many(
        [(ticket, EventKind.SLA, {"sla": stage, "target": target, "due_at": due_at.isoformat() if due_at else None})
         for ticket, target, stage, due_at in items],
        public=False,
    )


def ticket_record_incident_event(*, ticket: Ticket, action: str, actor=None, data: dict | None = None,
                                 public: bool = False) -> TicketEvent:
    """Write a major-incident step (declared, mobilised, update, link, reminder…) into the ticket's
    timeline, inside the caller's transaction; the caller attaches its notifications to the event."""
    return TicketEvent.objects.record(
        ticket=ticket, kind=EventKind.INCIDENT, actor=actor, public=public,
        data={"incident": action, **(data or {})},
    )


def tickets_record_forecast_alerts(items: Sequence[tuple[Ticket, str, object, object]]) -> list[TicketEvent]:
    """Write "this deadline will probably be missed" (ticket, target, expected_at, due_at each) into the
    tickets' timelines, for the dispatch's breach forecast: one INSERT whatever the number; the
    ticket's sla_state is not touched (nothing has happened yet). Returns the events in order."""
    return TicketEvent.objects.record_many(
        [(ticket, EventKind.SLA, {"sla": "at_risk", "target": target,
                                  "expected_at": expected_at.isoformat() if expected_at else None,
                                  "due_at": due_at.isoformat() if due_at else None})
         for ticket, target, expected_at, due_at in items],
        public=False,
    )
