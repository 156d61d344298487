"""How the sla app follows the ticket: connected in SlaConfig.ready()."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.roles import is_agent
from core.cache import invalidate
from tickets.signals import (
    followup_added,
    ticket_created,
    ticket_creating,
    ticket_priority_changed,
    tickets_status_changed,
)

from . import services
from .models import BusinessCalendar, Holiday, SlaPolicy, SlaTarget, Target, WorkingHours
from .selectors import POLICIES


@receiver(ticket_creating, dispatch_uid="sla.ticket_creating")
def plan_clocks(sender, ticket, **kwargs):
    services.sla_plan_new_clocks(ticket=ticket)


@receiver(ticket_created, dispatch_uid="sla.ticket_created")
def start_clocks(sender, ticket, **kwargs):
    services.sla_start_clocks(ticket=ticket, reason="created", new=True)


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



def policies_changed(sender, **kwargs):
    """The policies' reference cache (sla.selectors) holds these rows: a new version on any change
    (a calendar's hours and holidays are replaced in the transaction that saves the calendar, so the
    calendar's own save, invalidated again at COMMIT, covers their bulk insert)."""
    invalidate(POLICIES)


for _model in (SlaPolicy, SlaTarget, BusinessCalendar, WorkingHours, Holiday):
    for _signal in (post_save, post_delete):
        _signal.connect(policies_changed, sender=_model, dispatch_uid=f"sla.policies_changed.{_model.__name__}")
