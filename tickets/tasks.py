"""Celery tasks of the tickets app: thin, idempotent, retried. The rules live in services."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from helpdesk.celery import publish

logger = logging.getLogger(__name__)

# A claimed notification whose worker died is claimable again after this long.
CLAIM_TIMEOUT = timedelta(minutes=5)


def enqueue_notification(notification_id: int) -> None:
    """Called after commit. A broker outage must not lose the email nor slow the request: the row
    stays unsent and `send_pending_notifications` picks it up later (helpdesk.celery.publish)."""
    publish(send_notification, notification_id, what=f"notification {notification_id}")


def enqueue_notifications(notification_ids: list[int]) -> None:
    """One broker message for many notifications (a batch job's); same outage rule as above."""
    publish(send_notifications, list(notification_ids), what=f"{len(notification_ids)} notifications")


@shared_task(acks_late=True)
def send_notifications(notification_ids: list[int]) -> int:
    """Send each; one that fails goes on alone as send_notification, with its retries. Redelivered
    after a crash, it sends nothing twice (deliver claims each row)."""
    from .notifications import deliver

    sent = 0
    for notification_id in notification_ids:
        try:
            sent += deliver(notification_id) == "sent"
        except Exception:  # noqa: BLE001 - retried on its own below
            enqueue_notification(notification_id)
    return sent


@shared_task(bind=True, max_retries=8, retry_backoff=True, retry_backoff_max=600, acks_late=True)
def send_notification(self, notification_id: int) -> str:
    from .notifications import deliver

    try:
        return deliver(notification_id)
    except Exception as exc:
        logger.warning("Notification %s failed, retrying: %s", notification_id, exc)
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc


@shared_task(acks_late=True)
def send_pending_notifications() -> int:
    """Outbox drain: re-enqueue notifications never sent (broker down, worker killed)."""
    from .models import Notification

    now = timezone.now()
    pending = (
        Notification.objects.filter(sent_at__isnull=True, attempts__lt=10, created_at__lte=now - timedelta(minutes=1))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT))
        .values_list("pk", flat=True)[:500]
    )
    count = 0
    for pk in pending:
        enqueue_notification(pk)
        count += 1
    return count


@shared_task(acks_late=True)
def auto_close_resolved_tickets() -> int:
    from .services import tickets_auto_close

    closed = tickets_auto_close()
    if closed:
        logger.info("Auto-closed %s resolved tickets", closed)
    return closed


@shared_task(acks_late=True, soft_time_limit=50, time_limit=55)
def poll_inbound_mailbox() -> int:
    """Every minute when HELPDESK_IMAP_HOST is set: fetch unseen messages and process each once."""
    import imaplib

    from django.conf import settings

    from .inbound import inbound_receive

    if not settings.HELPDESK_IMAP_HOST:
        return 0
    count = 0
    with imaplib.IMAP4_SSL(settings.HELPDESK_IMAP_HOST, settings.HELPDESK_IMAP_PORT) as mailbox:
        mailbox.login(settings.HELPDESK_IMAP_USER, settings.HELPDESK_IMAP_PASSWORD)
        mailbox.select(settings.HELPDESK_IMAP_FOLDER)
        _status, data = mailbox.search(None, "UNSEEN")
        for number in data[0].split()[:200]:
            _status, parts = mailbox.fetch(number, "(RFC822)")
            inbound_receive(parts[0][1])  # stored before the message is flagged: a crash re-polls it,
            mailbox.store(number, "+FLAGS", "\\Seen")  # and its Message-ID makes the second pass a no-op
            count += 1
    return count
