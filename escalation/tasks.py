from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=55, time_limit=58)
def escalate_stalled_tickets() -> int:
    """Every minute on beat: escalate tickets whose diagnostic stalled (idempotent per cause)."""
    from .services import escalate_stalled

    escalated = escalate_stalled()
    if escalated:
        logger.info("Escalated %s stalled tickets", escalated)
    return escalated
