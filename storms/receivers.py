"""Each new ticket is examined for a storm after its creation commits (docs/storms.md)."""

from django.db import transaction
from django.dispatch import receiver

from core.broker import publish
from tickets.signals import ticket_created


@receiver(ticket_created, dispatch_uid="storms.ticket_created")
def detect_after_commit(sender, ticket, **kwargs):
    """One broker message after commit; the request neither waits for detection nor fails when the
    broker is down (core.broker.publish): the beat pass storms_scan examines the ticket within a minute."""
    from .tasks import detect_storms  # the task module imports the services; this is the way back

    ticket_id = ticket.pk
    transaction.on_commit(lambda: publish(detect_storms, [ticket_id], what=f"storm detection of {ticket_id}"))
