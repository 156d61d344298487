"""Celery tasks of the dashboard: thin, idempotent, retried. The rules live in dashboard.services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, acks_late=True, soft_time_limit=240, time_limit=270)
def refresh_daily_rollups(self) -> dict:
    """Every 5 minutes on beat: roll up the past days whose tickets changed (idempotent)."""
    from .services import rollups_refresh

    try:
        result = rollups_refresh()
    except DatabaseError as exc:
        logger.warning("Dashboard rollup refresh failed, retrying: %s", exc)
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
    return {"created_days": result.created_days, "resolution_days": result.resolution_days,
            "rebuilt": result.rebuilt}


@shared_task(bind=True, max_retries=3, acks_late=True, soft_time_limit=1800, time_limit=1900)
def rebuild_daily_rollups(self) -> dict:
    """Every night on beat: recompute every past day (deleted tickets, deadlines recomputed without
    a change of updated_at; see dashboard.services)."""
    from .services import rollups_rebuild

    try:
        result = rollups_rebuild()
    except DatabaseError as exc:
        logger.warning("Dashboard rollup rebuild failed, retrying: %s", exc)
        raise self.retry(exc=exc, countdown=300) from exc
    return {"created_days": result.created_days, "resolution_days": result.resolution_days}
