"""Sending a task to the broker from a request, without ever failing or slowing the request."""

from __future__ import annotations

import logging

logger = logging.getLogger("helpdesk.broker")


def publish(task, *args, what: str) -> bool:
    """Send `task(*args)` to the broker once, without waiting for a dead one; False when it is down.

    For the request path, after commit: the caller's rows (an outbox notification, a saved policy) are
    the source of truth and a beat job picks them up later, so the publish is not retried (retry=False,
    and CELERY_BROKER_TRANSPORT_OPTIONS max_retries 0 for the connection): a broker outage costs a
    request a few milliseconds, not seconds in the publish retry.
    """
    try:
        task.apply_async(args, retry=False)
    except Exception:  # noqa: BLE001 - any broker error; the caller's rows are the source of truth
        logger.warning("Broker unavailable; %s left for the next sweep", what, exc_info=True)
        return False
    return True
