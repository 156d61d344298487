"""SLA clocks: started at creation, moved by status changes, watched by the beat sweep.

Deadlines live in SlaClock rows (one per ticket and target) and are mirrored on the ticket's
`response_due_at` / `resolution_due_at` through tickets.services.ticket_set_deadlines.
"""

from __future__ import annotations

import logging
import time as time_module
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import MANAGER_GROUP
from accounts.selectors import active_members
from core.db import insert_rows, update_rows
from tickets import services as ticket_services
from tickets.models import OPEN_STATUSES, Status, Ticket

from .calendar import WorkingCalendar, add_working_time, target_duration, working_time_between
from .models import (
    BusinessCalendar,
    Holiday,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
    Stage,
    Target,
    WorkingHours,
)
from .selectors import policy_calendar, policy_for, policy_target
from .signals import sla_breached

logger = logging.getLogger(__name__)


def _next_check(clock: SlaClock, recorded: set[str]) -> None:
    """Set the next instant the sweep must look at this clock, from what is already recorded."""
    if clock.met_at or clock.paused_at:
        clock.next_check_at = None
    elif Stage.WARNING not in recorded and Stage.BREACH not in recorded:
        clock.next_check_at = clock.warn_at
    elif Stage.BREACH not in recorded:
        clock.next_check_at = clock.due_at
    else:
        clock.next_check_at = None


def _recorded_stages(ticket: Ticket, target: str) -> set[str]:
    return set(SlaEvent.objects.filter(ticket=ticket, target=target).values_list("stage", flat=True))


def _schedule(clock: SlaClock, calendar: WorkingCalendar, percent: int) -> None:
    """Deadline and warning time from the start, the target and the working time spent paused."""
    duration = timedelta(seconds=clock.duration_seconds)
    paused = timedelta(seconds=clock.paused_seconds)
    clock.due_at = add_working_time(clock.started_at, duration + paused, calendar)
    clock.warn_at = add_working_time(clock.started_at, duration * percent / 100 + paused, calendar)


def _mirror_deadlines(ticket: Ticket, clocks: dict[str, SlaClock], *, reason: str, record: bool) -> None:
    response, resolution = clocks.get(Target.RESPONSE), clocks.get(Target.RESOLUTION)
    ticket_services.ticket_set_deadlines(
        ticket=ticket,
        response_due_at=response.due_at if response else None,
        resolution_due_at=resolution.due_at if resolution else None,
        reason=reason, record=record,
    )


def _compute_clocks(ticket: Ticket, existing: dict[str, SlaClock]) -> dict[str, SlaClock]:
    """Both clocks (the existing ones changed, the missing ones new and unsaved) from the ticket's creation,
    its priority and its policy; none without a policy or a target for the priority. Reads nothing but the
    policies' reference cache (sla.selectors) and, for a clock already saved, its recorded stages."""
    policy = policy_for(ticket)
    if policy is None:
        return {}
    target = policy_target(policy, ticket.priority)
    if target is None:
        return {}
    calendar = policy_calendar(policy)
    clocks = {}
    for name, value, unit in (
        (Target.RESPONSE, target.response_value, target.response_unit),
        (Target.RESOLUTION, target.resolution_value, target.resolution_unit),
    ):
        clock = existing.get(name) or SlaClock(ticket=ticket, target=name, started_at=ticket.created_at)
        clock.policy = policy
        clock.duration_seconds = int(target_duration(value, unit, calendar).total_seconds())
        _schedule(clock, calendar, policy.warning_percent)
        if name == Target.RESPONSE and ticket.first_response_at and not clock.met_at:
            clock.met_at = ticket.first_response_at
        if name == Target.RESOLUTION:
            if ticket.status == Status.WAITING and not clock.paused_at:
                clock.paused_at = ticket.waiting_since or timezone.now()
            if ticket.resolved_at and not clock.met_at:
                clock.met_at = ticket.resolved_at
        _next_check(clock, _recorded_stages(ticket, name) if clock.pk else set())
        clocks[name] = clock
    return clocks


# Where sla_plan_new_clocks leaves a new ticket's clocks, on the ticket object, for sla_start_clocks(new=True).
_PLANNED = "_sla_planned_clocks"


def sla_plan_new_clocks(*, ticket: Ticket) -> None:
    """Before a new ticket's INSERT (tickets.signals.ticket_creating): its clocks computed and its
    deadlines set on the object, so that the INSERT writes them; the clocks, kept on the object, are
    written by sla_start_clocks(new=True) once the ticket has its key. One UPDATE of the ticket fewer per
    submission (a new version of a row with a score of indexes)."""
    clocks = _compute_clocks(ticket, {})
    response, resolution = clocks.get(Target.RESPONSE), clocks.get(Target.RESOLUTION)
    ticket.response_due_at = response.due_at if response else None
    ticket.resolution_due_at = resolution.due_at if resolution else None
    setattr(ticket, _PLANNED, clocks)


@transaction.atomic(savepoint=False)
def sla_start_clocks(*, ticket: Ticket, reason: str = "created", new: bool = False) -> dict[str, SlaClock]:
    """(Re)compute both clocks from the ticket's creation, its priority and its policy.

    Called at creation (`new`: the ticket has no clock yet, both go in with one INSERT) and when the
    priority, the policy or the organisation changes; keeps the paused time and what was already met or
    recorded. The policy, its targets and calendar come from the reference cache (sla.selectors).
    At creation, the clocks sla_plan_new_clocks computed before the ticket's INSERT (which wrote their
    deadlines) are only written.
    """
    planned = ticket.__dict__.pop(_PLANNED, None) if new else None
    if planned is not None:
        insert_rows(list(planned.values()))
        return planned
    existing = {} if new else {clock.target: clock for clock in SlaClock.objects.filter(ticket=ticket)}
    clocks = _compute_clocks(ticket, existing)
    if not clocks:
        return {}
    for clock in clocks.values():
        if clock.pk:
            clock.save()
    insert_rows([clock for clock in clocks.values() if clock.pk is None])
    _mirror_deadlines(ticket, clocks, reason=reason, record=reason != "created")
    return clocks


def _clock(ticket: Ticket, target: str) -> SlaClock | None:
    return SlaClock.objects.select_for_update(of=("self",)).select_related("policy__calendar").filter(
        ticket=ticket, target=target
    ).first()


def _save_clock(clock: SlaClock, ticket: Ticket) -> None:
    _next_check(clock, _recorded_stages(ticket, clock.target))
    clock.save(update_fields=["met_at", "paused_at", "paused_seconds", "due_at", "warn_at", "next_check_at"])


def sla_mark_met(*, ticket: Ticket, target: str, at) -> None:
    clock = _clock(ticket, target)
    if clock is not None and clock.met_at is None:
        clock.met_at = at
        _save_clock(clock, ticket)


def sla_pause(*, ticket: Ticket, at) -> None:
    """Waiting: the resolution clock stops."""
    clock = _clock(ticket, Target.RESOLUTION)
    if clock is not None and clock.paused_at is None and clock.met_at is None:
        clock.paused_at = at
        _save_clock(clock, ticket)


def sla_resume(*, ticket: Ticket, at) -> None:
    """Back from waiting: the deadline moves by the working time spent paused."""
    clock = _clock(ticket, Target.RESOLUTION)
    if clock is None or clock.paused_at is None:
        return
    policy = clock.policy or policy_for(ticket)
    calendar = policy_calendar(policy) if policy else WorkingCalendar.twenty_four_seven()
    clock.paused_seconds += int(working_time_between(clock.paused_at, at, calendar).total_seconds())
    clock.paused_at = None
    _schedule(clock, calendar, policy.warning_percent if policy else 75)
    _save_clock(clock, ticket)
    ticket_services.ticket_set_deadlines(
        ticket=ticket, response_due_at=ticket.response_due_at, resolution_due_at=clock.due_at,
        reason="resumed",
    )


def sla_reopen(*, ticket: Ticket) -> None:
    """A reopened ticket's resolution clock runs again against its original deadline."""
    clock = _clock(ticket, Target.RESOLUTION)
    if clock is not None and clock.met_at is not None:
        clock.met_at = None
        _save_clock(clock, ticket)


def sla_stop(*, tickets: Sequence[Ticket]) -> None:
    """Closed tickets' clocks are never checked again (one UPDATE for all). The clocks a resolution already met
    have no next check: they are left as they are, not written again (an auto-close of 1,000 tickets rewrote
    2,000 rows, their index entries and WAL, to set NULL where NULL was)."""
    SlaClock.objects.filter(ticket__in=tickets, next_check_at__isnull=False).update(next_check_at=None)


# --- The beat sweep


@dataclass
class SweepResult:
    checked: int = 0
    warnings: int = 0
    breaches: int = 0


class _Recipients:
    """Group members looked up once per sweep, not once per ticket."""

    def __init__(self) -> None:
        self._groups: dict[str, list] = {}

    def group(self, name: str) -> list:
        if name not in self._groups:
            self._groups[name] = list(active_members(name))
        return self._groups[name]

    def for_event(self, ticket: Ticket, stage: str) -> list:
        recipients = [ticket.assignee, *self.group(ticket.level)]
        if stage == Stage.BREACH:
            recipients += self.group(MANAGER_GROUP)
        return [user for user in recipients if user is not None]


def sla_check_deadlines(*, now=None, batch_size: int = 200, time_budget: float = 50.0) -> SweepResult:
    """Record warnings and breaches that have come due, once each; notify; hand breaches on.

    Reads only clocks with next_check_at <= now (a partial index), in batches locked with SKIP
    LOCKED so two sweeps at once split the work; the unique (ticket, target, stage) constraint
    makes a repeated or concurrent record a no-op.
    """
    now = now or timezone.now()
    result = SweepResult()
    recipients = _Recipients()
    deadline = time_module.monotonic() + time_budget
    while time_module.monotonic() < deadline:
        with transaction.atomic():
            # The ticket is locked with its clock, in one statement that never waits: the services lock
            # the ticket and then its clock (take → sla_mark_met), and recording an event touches the
            # ticket row, so locking the clock alone and the ticket later would deadlock with them (and
            # with a second sweep holding the ticket's other clock). A busy ticket waits for next minute.
            # Not the assignee: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
            clocks = list(
                SlaClock.objects.select_for_update(skip_locked=True, of=("self", "ticket"))
                .select_related("ticket__assignee")
                .due_for_check(at=now)
                .order_by("next_check_at")[:batch_size]
            )
            _check_batch(clocks, now=now, result=result, recipients=recipients)
        if len(clocks) < batch_size:
            break
    return result


def _check_batch(clocks: list[SlaClock], *, now, result: SweepResult, recipients: _Recipients) -> None:
    """Record the batch's warnings and breaches, set-based: the clocks' next checks in one UPDATE, the
    SlaEvents not recorded yet in one INSERT (the unique constraint still refuses a second one), the
    tickets' timelines and notifications in one INSERT each, the breaches handed on in one signal."""
    tickets: dict[int, Ticket] = {}  # one instance per ticket, whichever of its clocks brought it
    due = []
    for clock in clocks:
        ticket = tickets.setdefault(clock.ticket_id, clock.ticket)
        result.checked += 1
        if ticket.status == Status.CLOSED or clock.met_at or clock.paused_at:
            clock.next_check_at = None
            continue
        stage = Stage.BREACH if clock.due_at <= now else Stage.WARNING
        # After a breach nothing is left to watch; after a warning, the deadline is next.
        clock.next_check_at = None if stage == Stage.BREACH else clock.due_at
        due.append((clock, stage))
    update_rows(clocks, ["next_check_at"])
    recorded = set(SlaEvent.objects.filter(ticket__in=tickets).values_list("ticket_id", "target", "stage"))
    new = [(clock, stage) for clock, stage in due if (clock.ticket_id, clock.target, stage) not in recorded]
    SlaEvent.objects.bulk_create([
        SlaEvent(ticket_id=clock.ticket_id, target=clock.target, stage=stage, due_at=clock.due_at)
        for clock, stage in new
    ])
    events = ticket_services.tickets_record_sla_events(
        [(tickets[clock.ticket_id], clock.target, stage, clock.due_at) for clock, stage in new]
    )
    ticket_services.notify_new_events(
        (event, recipients.for_event(tickets[clock.ticket_id], stage),
         "sla_breach" if stage == Stage.BREACH else "sla_warning")
        for (clock, stage), event in zip(new, events, strict=True)
    )
    breaches = [(tickets[clock.ticket_id], clock.target, event)
                for (clock, stage), event in zip(new, events, strict=True) if stage == Stage.BREACH]
    result.breaches += len(breaches)
    result.warnings += len(new) - len(breaches)
    if breaches:
        sla_breached.send(sender=SlaClock, breaches=breaches)


# --- The managers' SLA pages


def sla_policy_save(*, policy: SlaPolicy, targets: dict[str, dict]) -> SlaPolicy:
    """Save a validated policy (new or changed) and its targets, one row per priority, in one transaction.

    `targets` maps a priority to its response_value, response_unit, resolution_value and
    resolution_unit. After commit, schedules `recompute_open_ticket_deadlines` for the policy, so open
    tickets on it (or now in its scope) get deadlines from the new targets.
    """
    from .tasks import enqueue_deadline_recompute

    with transaction.atomic():
        if policy.pk:
            # Serialises two managers saving the same policy: the targets are written per priority.
            list(SlaPolicy.objects.select_for_update().filter(pk=policy.pk).values_list("pk", flat=True))
        policy.recompute_requested_at = timezone.now()
        policy.save()
        for priority, values in targets.items():
            SlaTarget.objects.update_or_create(policy=policy, priority=priority, defaults=dict(values))
        policy_id = policy.pk
        transaction.on_commit(lambda: enqueue_deadline_recompute(policy_id))
    logger.info("SLA policy %s saved", policy_id)
    return policy


def sla_calendar_save(*, calendar: BusinessCalendar, hours: list[tuple[int, time, time]],
                      holidays: list[tuple[date, str]]) -> BusinessCalendar:
    """Save a validated business calendar and replace its working hours and custom holidays.

    `hours` are (weekday, start, end) and `holidays` (day, name) tuples: the rows the page kept,
    already checked for overlaps and duplicates. After commit, schedules
    `recompute_open_ticket_deadlines` for each policy on the calendar.
    """
    from .tasks import enqueue_deadline_recompute

    with transaction.atomic():
        if calendar.pk:
            # Two saves at once would each delete the old rows and insert their own: lock the calendar
            # so the second one deletes what the first inserted.
            list(BusinessCalendar.objects.select_for_update().filter(pk=calendar.pk).values_list("pk", flat=True))
        calendar.save()
        calendar.working_hours.all().delete()
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=calendar, weekday=weekday, start=start, end=end) for weekday, start, end in hours
        )
        calendar.holidays.all().delete()
        Holiday.objects.bulk_create(Holiday(calendar=calendar, day=day, name=name) for day, name in holidays)
        policy_ids = list(calendar.policies.order_by("pk").values_list("pk", flat=True))
        SlaPolicy.objects.filter(pk__in=policy_ids).update(recompute_requested_at=timezone.now())
        for policy_id in policy_ids:
            transaction.on_commit(lambda policy_id=policy_id: enqueue_deadline_recompute(policy_id))
    logger.info("SLA calendar %s saved; %s policies to recompute", calendar.pk, len(policy_ids))
    return calendar


def sla_recompute_policy_deadlines(*, policy_id: int, batch: int = 500) -> dict:
    """After a policy or its calendar changed: recompute both SLA clocks of every open ticket on the
    policy, and of those its scope (organisation or contract) now covers, through sla_start_clocks, each
    ticket in its own transaction (read `batch` ids at a time).

    Idempotent (a recompute from the same data gives the same deadlines and records no history), so a
    redelivered or repeated run is harmless. One ticket failing does not stop the others.
    """
    scope = Q(pk__in=SlaClock.objects.filter(policy_id=policy_id).values("ticket_id"))
    policy = SlaPolicy.objects.filter(pk=policy_id).first()
    requested_at = policy.recompute_requested_at if policy is not None else None
    if policy is not None and policy.organisation_id:
        scope |= Q(organisation_id=policy.organisation_id)
    elif policy is not None and policy.contract:
        scope |= Q(organisation__contract=policy.contract)
    ticket_ids = (Ticket.objects.filter(scope, status__in=OPEN_STATUSES).order_by("pk")
                  .values_list("pk", flat=True))
    recomputed = failed = 0
    for ticket_id in ticket_ids.iterator(chunk_size=batch):
        try:
            with transaction.atomic():
                # Locked like the ticket services lock it, so a concurrent take, wait or priority change
                # is applied before or after this recompute, never in the middle of it.
                ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("organisation")
                          .filter(pk=ticket_id, status__in=OPEN_STATUSES).first())
                if ticket is None:
                    continue
                sla_start_clocks(ticket=ticket, reason="policy changed")
            recomputed += 1
        except Exception:
            failed += 1
            logger.exception("SLA deadlines of ticket %s not recomputed for policy %s", ticket_id, policy_id)
    logger.info("SLA policy %s: deadlines of %s open tickets recomputed, %s failed", policy_id, recomputed,
                failed)
    if requested_at is not None:
        # Done for that request (a ticket that failed is logged; running again would fail again); a
        # newer request (a save meanwhile) keeps its marker and runs again.
        SlaPolicy.objects.filter(pk=policy_id, recompute_requested_at=requested_at).update(
            recompute_requested_at=None)
    return {"policy": policy_id, "recomputed": recomputed, "failed": failed}


def sla_pending_recomputes(*, now=None, older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """Policies whose deadline recompute was asked for and has not finished since (the broker was
    down when it was sent, or its worker died): the beat drain sends them again."""
    now = now or timezone.now()
    return list(SlaPolicy.objects.filter(recompute_requested_at__lte=now - older_than)
                .order_by("pk").values_list("pk", flat=True))
