"""Celery tasks of the tickets app: thin, idempotent, retried. The rules live in services."""

from __future__ import annotations

import logging

from celery import shared_task

from core.broker import publish

from . import inbound, outbox, services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def send_notifications(notification_ids: list[int]) -> int:
    """Send them over one connection to the mail server (outbox.deliver_many); one that fails goes on alone as
    send_notification, with its retries. Redelivered after a crash, it sends nothing twice (each row is claimed
    before it is sent)."""
    try:
        sent, failures = outbox.deliver_many(notification_ids)
    except Exception:  # noqa: BLE001 - the database went away mid-task: each goes on alone, claimed or skipped
        logger.warning("Sending %s notifications failed; each retried alone", len(notification_ids), exc_info=True)
        sent, failures = 0, dict.fromkeys(notification_ids)
    for notification_id in failures:
        publish(send_notification, notification_id, what=f"notification {notification_id}")
    return sent


@shared_task(bind=True, max_retries=8, retry_backoff=True, retry_backoff_max=600, acks_late=True)
def send_notification(self, notification_id: int) -> str:
    try:
        return outbox.deliver(notification_id)
    except Exception as exc:
        logger.warning("Notification %s failed, retrying: %s", notification_id, exc)
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc


@shared_task(acks_late=True)
def send_pending_notifications() -> int:
    """Outbox drain: send again, one message each, the notifications never sent (broker down, worker
    killed); each is claimed before it is sent, so one already on its way is not sent twice."""
    pending = outbox.pending_ids()
    for notification_id in pending:
        publish(send_notification, notification_id, what=f"notification {notification_id}")
    return len(pending)


@shared_task(acks_late=True)
def auto_close_resolved_tickets() -> int:
    closed = services.tickets_auto_close()
    if closed:
        logger.info("Auto-closed %s resolved tickets", closed)
    return closed


@shared_task(acks_late=True, soft_time_limit=50, time_limit=55)
def poll_inbound_mailbox() -> int:
    """Every minute when HELPDESK_IMAP_HOST is set: fetch unseen messages and process each once."""
    return inbound.inbound_poll_mailbox()
