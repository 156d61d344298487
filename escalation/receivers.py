"""Ticket and SLA events that the escalation rules listen to; connected in EscalationConfig.ready()."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.cache import invalidate
from sla.signals import sla_breached
from tickets.models import Priority
from tickets.signals import ticket_created, ticket_creating, ticket_priority_changed, tickets_level_changed

from . import services
from .models import EscalationRule


@receiver(ticket_creating, dispatch_uid="escalation.ticket_creating")
def on_ticket_creating(sender, ticket, **kwargs):
    return services.rules_on_ticket_creating(ticket=ticket)


@receiver(ticket_created, dispatch_uid="escalation.ticket_created")
def on_ticket_created(sender, ticket, events=(), **kwargs):
    return services.rules_on_ticket_created(ticket=ticket, events=events)


@receiver(ticket_priority_changed, dispatch_uid="escalation.ticket_priority_changed")
def on_priority_changed(sender, ticket, new, **kwargs):
    if new == Priority.P1:
        services.rule_alert_p1(ticket=ticket)


@receiver(sla_breached, dispatch_uid="escalation.sla_breached")
def on_sla_breached(sender, breaches, **kwargs):
    services.rules_on_sla_breaches(breaches=[(ticket, target) for ticket, target, _event in breaches])


@receiver(tickets_level_changed, dispatch_uid="escalation.tickets_level_changed")
def on_levels_changed(sender, tickets, old_levels, actor, reason, rule, assignee, followup, note, **kwargs):
    services.escalation_log_level_changes(tickets=tickets, old_levels=old_levels, actor=actor, reason=reason,
                                          rule=rule, assignee=assignee, followup=followup, note=note)


@receiver(post_save, sender=EscalationRule, dispatch_uid="escalation.rule_saved")
@receiver(post_delete, sender=EscalationRule, dispatch_uid="escalation.rule_deleted")
def rules_changed(sender, **kwargs):
    invalidate(services.RULES)
