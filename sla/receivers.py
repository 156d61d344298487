"""How the sla app follows the ticket: connected in SlaConfig.ready()."""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from accounts.roles import is_agent
from tickets.signals import (
    followup_added,
    ticket_created,
    ticket_priority_changed,
    tickets_status_changed,
)

from . import services
from .models import Target


@receiver(ticket_created, dispatch_uid="sla.ticket_created")
def start_clocks(sender, ticket, **kwargs):
    services.sla_start_clocks(ticket=ticket, reason="created")


@receiver(ticket_priority_changed, dispatch_uid="sla.ticket_priority_changed")
def recompute_clocks(sender, ticket, old, new, **kwargs):
    services.sla_start_clocks(ticket=ticket, reason=f"priority {old} → {new}")


@receiver(tickets_status_changed, dispatch_uid="sla.tickets_status_changed")
def follow_status(sender, tickets, transition, **kwargs):
    if transition in ("close", "merge"):
        services.sla_stop(tickets=tickets)
        return
    now = timezone.now()
    for ticket in tickets:
        if transition == "take":
            services.sla_mark_met(ticket=ticket, target=Target.RESPONSE, at=ticket.first_response_at or now)
        elif transition == "wait":
            services.sla_pause(ticket=ticket, at=ticket.waiting_since or now)
        elif transition == "resume":
            services.sla_resume(ticket=ticket, at=now)
        elif transition == "resolve":
            services.sla_mark_met(ticket=ticket, target=Target.RESPONSE, at=ticket.first_response_at or now)
            services.sla_mark_met(ticket=ticket, target=Target.RESOLUTION, at=ticket.resolved_at or now)
        elif transition == "reopen":
            services.sla_reopen(ticket=ticket)


@receiver(followup_added, dispatch_uid="sla.followup_added")
def first_public_reply(sender, ticket, followup, **kwargs):
    if followup.is_public and is_agent(followup.author):
        services.sla_mark_met(ticket=ticket, target=Target.RESPONSE, at=followup.created_at)

