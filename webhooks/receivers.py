"""Domain events that become outbound webhooks; connected in WebhooksConfig.ready().

They run inside the service's transaction, so a delivery commits (or rolls back) with its cause.
Ticket creation (`ticket_referenced`, as the payload carries the
reference), status, level and priority changes and SLA breaches come from their domain signals.
SLA warnings, major-incident steps, published postmortems and survey answers have no signal of their
own: each is written into the ticket's history, so they are read from `events_recorded`, which the one
writer of history sends (no hook in sla, postmortem or the survey service).
"""

from __future__ import annotations

from django.dispatch import receiver

from sla.signals import sla_breached
from tickets.models import EventKind
from tickets.signals import (
    events_recorded,
    ticket_priority_changed,
    ticket_referenced,
    tickets_level_changed,
    tickets_status_changed,
)

from .models import EventType
from .services import deliveries_enqueue

# A major-incident step of the ticket's history (its data["incident"]) → the webhook's event.
INCIDENT_STEPS = {
    "declared": EventType.INCIDENT_DECLARED,
    "redeclared": EventType.INCIDENT_DECLARED,
    "update": EventType.INCIDENT_UPDATED,
    "resolved": EventType.INCIDENT_RESOLVED,
    "postmortem_published": EventType.POSTMORTEM_PUBLISHED,
}
INCIDENT_DATA = ("incident_id", "trigger", "priority", "reason", "postmortem_id", "title")


def _who(actor) -> str | None:
    return actor.get_username() if getattr(actor, "pk", None) else None


def _cause(ticket, kind: str) -> int | None:
    """The id of the history event of `kind` just written for `ticket` (noted by on_events_recorded,
    which runs before the domain signal of the same change): the delivery's place in the ticket's order."""
    return getattr(ticket, "_webhook_causes", {}).get(kind)


@receiver(ticket_referenced, dispatch_uid="webhooks.ticket_created")
def on_ticket_created(sender, ticket, actor, **kwargs):
    deliveries_enqueue(event_type=EventType.TICKET_CREATED,
                       items=[(ticket, {"actor": _who(actor)}, _cause(ticket, EventKind.CREATED))])


@receiver(tickets_status_changed, dispatch_uid="webhooks.tickets_status_changed")
def on_status_changed(sender, tickets, actor, transition, events, **kwargs):
    deliveries_enqueue(event_type=EventType.TICKET_STATUS_CHANGED, items=[
        (ticket, {"transition": transition, "from": event.data.get("from"), "to": ticket.status,
                  "actor": _who(actor)}, event.pk)
        for ticket, event in zip(tickets, events, strict=True)
    ])


@receiver(tickets_level_changed, dispatch_uid="webhooks.tickets_level_changed")
def on_level_changed(sender, tickets, old_levels, actor, reason, rule, events, **kwargs):
    deliveries_enqueue(event_type=EventType.TICKET_LEVEL_CHANGED, items=[
        (ticket, {"from": old_levels.get(ticket.pk), "to": ticket.level, "reason": reason, "rule": rule or None,
                  "actor": _who(actor)}, event.pk)
        for ticket, event in zip(tickets, events, strict=True)
    ])


@receiver(ticket_priority_changed, dispatch_uid="webhooks.ticket_priority_changed")
def on_priority_changed(sender, ticket, actor, old, new, **kwargs):
    deliveries_enqueue(event_type=EventType.TICKET_PRIORITY_CHANGED,
                       items=[(ticket, {"from": old, "to": new, "actor": _who(actor)},
                               _cause(ticket, EventKind.PRIORITY_CHANGED))])


@receiver(sla_breached, dispatch_uid="webhooks.sla_breached")
def on_sla_breached(sender, breaches, **kwargs):
    deliveries_enqueue(event_type=EventType.SLA_BREACHED, items=[
        (ticket, {"target": target, "due_at": event.data.get("due_at")}, event.pk)
        for ticket, target, event in breaches
    ])


@receiver(events_recorded, dispatch_uid="webhooks.events_recorded")
def on_events_recorded(sender, events, **kwargs):
    by_type: dict[str, list] = {}
    for event in events:
        data = event.data or {}
        if event.kind in (EventKind.CREATED, EventKind.PRIORITY_CHANGED):
            causes = event.ticket.__dict__.setdefault("_webhook_causes", {})
            causes[event.kind] = event.pk
        elif event.kind == EventKind.SLA and data.get("sla") == "warning":
            by_type.setdefault(EventType.SLA_WARNING, []).append(
                (event.ticket, {"target": data.get("target"), "due_at": data.get("due_at")}, event.pk))
        elif event.kind == EventKind.INCIDENT and data.get("incident") in INCIDENT_STEPS:
            by_type.setdefault(INCIDENT_STEPS[data["incident"]], []).append(
                (event.ticket, {key: data[key] for key in INCIDENT_DATA if key in data}
                 | {"actor": _who(event.actor)}, event.pk))
        elif event.kind == EventKind.SURVEY:
            by_type.setdefault(EventType.SURVEY_ANSWERED, []).append(
                (event.ticket, {"score": data.get("score"), "comment": data.get("comment", "")}, event.pk))
    for event_type, items in by_type.items():
        deliveries_enqueue(event_type=event_type, items=items)
