from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=300, time_limit=330)
def remind_postmortems() -> dict:
    """Every 15 minutes on beat: postmortem reminders, overdue postmortems and actions (once each)."""
    from .services import postmortems_remind

    result = postmortems_remind()
    if result.reminded or result.overdue or result.actions_overdue:
        logger.info("Postmortems: %s reminded, %s overdue, %s actions overdue", result.reminded, result.overdue,
                    result.actions_overdue)
    return {"reminded": result.reminded, "overdue": result.overdue, "actions_overdue": result.actions_overdue}


@shared_task(acks_late=True, soft_time_limit=300, time_limit=330)
def check_action_recurrences() -> dict:
    """Every hour on beat: corrective actions whose recurrence check found a new incident, or held."""
    from .services import recurrences_check

    result = recurrences_check()
    if result.recurred or result.held:
        logger.info("Recurrence checks: %s recurred, %s held", result.recurred, result.held)
    return {"recurred": result.recurred, "held": result.held}
