from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3,
             soft_time_limit=60, time_limit=90)
def detect_storms(ticket_ids: list[int]) -> dict:
    """After a ticket's creation: is it part of a storm? Idempotent (a ticket already in a storm is skipped)."""
    from .services import storms_detect

    result = storms_detect(ticket_ids=list(ticket_ids))
    return {"examined": result.examined, "suggested": result.suggested, "linked": result.linked}


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def scan_storms() -> dict:
    """Every minute on beat: the last hour's tickets not yet in a storm."""
    from .services import storms_scan

    result = storms_scan()
    if result.suggested:
        logger.info("Storms suggested: %s", result.suggested)
    return {"examined": result.examined, "suggested": result.suggested, "linked": result.linked}


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def refresh_storm_baselines() -> int:
    """Nightly on beat: the usual rates from the history."""
    from .services import storm_baselines_refresh

    return storm_baselines_refresh()
