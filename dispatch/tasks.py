"""Beat jobs of the dispatch: thin, idempotent (each run recomputes or claims), retried by the next run."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=55, time_limit=58)
def dispatch_unassigned() -> int:
    """Every minute: give the unassigned new tickets to the agents who can take them now."""
    from .services import dispatch_sweep

    return dispatch_sweep()


@shared_task(acks_late=True, soft_time_limit=280, time_limit=290)
def refresh_forecasts() -> dict:
    """Every five minutes: the breach forecast of every open ticket, and one alert per ticket at risk."""
    from .services import forecasts_refresh

    result = forecasts_refresh()
    if result["alerted"]:
        logger.info("Breach forecast: %s tickets newly at risk", result["alerted"])
    return result


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def recompute_handling_stats() -> int:
    """Nightly: the observed p50/p90 times per category × level."""
    from .services import handling_stats_recompute

    return handling_stats_recompute()
