from __future__ import annotations

import logging

from celery import shared_task

from core.broker import publish

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=55, time_limit=58)
def check_sla_deadlines() -> dict:
    """Every minute on beat: record SLA warnings and breaches that came due (idempotent)."""
    from .services import sla_check_deadlines

    result = sla_check_deadlines()
    if result.warnings or result.breaches:
        logger.info("SLA sweep: %s checked, %s warnings, %s breaches", result.checked, result.warnings,
                    result.breaches)
    return {"checked": result.checked, "warnings": result.warnings, "breaches": result.breaches}


# Tickets re-read per round trip of the id cursor; each ticket is then recomputed in its own transaction.
RECOMPUTE_BATCH_SIZE = 500


def enqueue_deadline_recompute(policy_id: int) -> None:
    """Called after commit by sla_policy_save / sla_calendar_save. A broker outage must not break the
    manager's save: the policy is stored with its recompute_requested_at, and send_pending_recomputes
    (beat, every minute) sends the recompute again once the broker is back."""
    publish(recompute_open_ticket_deadlines, policy_id, what=f"the deadline recompute of policy {policy_id}")


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def recompute_open_ticket_deadlines(policy_id: int) -> dict:
    """After a policy or its calendar changed: recompute both SLA clocks of every open ticket on the
    policy, and of those its scope (organisation or contract) now covers, through sla_start_clocks.

    Idempotent (a recompute from the same data gives the same deadlines and records no history), so a
    redelivered or repeated run is harmless. One ticket failing does not stop the others.
    """
    from .services import sla_recompute_policy_deadlines

    return sla_recompute_policy_deadlines(policy_id=policy_id, batch=RECOMPUTE_BATCH_SIZE)


@shared_task(acks_late=True)
def send_pending_recomputes() -> int:
    """Beat, every minute: send again the deadline recomputes that were asked for and never finished."""
    from .services import sla_pending_recomputes

    pending = sla_pending_recomputes()
    for policy_id in pending:
        enqueue_deadline_recompute(policy_id)
    return len(pending)
