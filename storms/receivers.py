"""Each new ticket is examined for a storm after its creation commits (docs/storms.md)."""

from django.db import transaction
from django.dispatch import receiver

from core.broker import publish_ids
from tickets.signals import ticket_created

from .conf import storm_settings


@receiver(ticket_created, dispatch_uid="storms.ticket_created")
def detect_after_commit(sender, ticket, **kwargs):
    """A broker message after commit, with the new tickets this process sends within STORM_DETECTION_WAIT_MS
    (core.broker.publish_ids); the request neither waits for detection nor fails when the broker is down:
    the beat pass storms_scan examines the ticket within a minute."""
    from .tasks import detect_storms  # the task module imports the services; this is the way back

    ticket_id, wait_ms = ticket.pk, storm_settings().detection_wait_ms
    transaction.on_commit(
        lambda: publish_ids(detect_storms, [ticket_id], what="storm detection of {count} tickets", wait_ms=wait_ms))
