"""Celery tasks of the webhooks app: thin; the rules live in services."""

from __future__ import annotations

import logging

from celery import shared_task

from core.broker import publish

from . import services

logger = logging.getLogger(__name__)

# A retry due sooner than this is scheduled as a task; later ones are the beat drain's (every minute).
SCHEDULE_RETRIES_UNDER = 60


@shared_task(acks_late=True)
def deliver_webhooks(endpoint_id: int) -> int:
    """Send an endpoint's due deliveries; a full batch asks for the next one, a near retry is scheduled."""
    result = services.endpoint_send_pending(endpoint_id=endpoint_id)
    if result.more:
        publish(deliver_webhooks, endpoint_id, what=f"webhook deliveries of endpoint {endpoint_id}")
    elif (result.retry_in is not None and result.retry_in < SCHEDULE_RETRIES_UNDER
          and not deliver_webhooks.app.conf.task_always_eager):
        # Eager (tests, scripts) would run the retry at once: there the drain retries instead.
        try:
            deliver_webhooks.apply_async((endpoint_id,), countdown=max(1, round(result.retry_in)), retry=False)
        except Exception:  # noqa: BLE001 - the drain sends it when it is due
            logger.warning("Broker unavailable; webhook retry left for the drain", exc_info=True)
    return result.sent


@shared_task(acks_late=True, soft_time_limit=55, time_limit=60)
def send_pending_webhooks() -> dict:
    """Beat, every minute: what the broker missed, the due retries, the endpoints failing for a day."""
    result = services.webhooks_drain()
    return {"endpoints": result.endpoints, "sent": result.sent, "failed": result.failed,
            "disabled": result.disabled}
