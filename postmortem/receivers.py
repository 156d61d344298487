"""Ticket events the major-incident procedure follows; connected in PostmortemConfig.ready().

They run inside the ticket service's transaction: what they write commits (or rolls back) with it.
"""

from django.dispatch import receiver

from tickets.signals import ticket_created, ticket_priority_changed, tickets_status_changed

from . import services
from .models import Trigger


@receiver(ticket_created, dispatch_uid="postmortem.ticket_created")
def declare_on_creation(sender, ticket, **kwargs):
    if ticket.priority in services.MAJOR_PRIORITIES:
        services.incident_declare(ticket=ticket, actor=None, trigger=Trigger.CREATED)


@receiver(ticket_priority_changed, dispatch_uid="postmortem.ticket_priority_changed")
def declare_on_raise(sender, ticket, old, new, **kwargs):
    # P2 → P1 keeps its incident (one per ticket); P3/P4 → P1/P2 opens one.
    if new in services.MAJOR_PRIORITIES:
        services.incident_declare(ticket=ticket, actor=None, trigger=Trigger.RAISED)


@receiver(tickets_status_changed, dispatch_uid="postmortem.tickets_status_changed")
def follow_tickets(sender, tickets, actor, transition, **kwargs):
    for ticket in tickets:
        if transition == "resolve":
            services.incident_on_ticket_resolved(ticket=ticket, actor=actor)
        elif transition == "reopen":
            services.incident_on_ticket_reopened(ticket=ticket, actor=actor)
