"""Writes of the dashboard: its rollups (dashboard.models), and nothing else.

`rollups_refresh` (beat, every 5 minutes) recomputes only the past days whose tickets changed since
its last run; `rollups_rebuild` (the management command, and nightly) recomputes every past day.
Today is never rolled up: the selectors compute it live, with any day the rollups do not reach yet.
The organisations' rollups are per month (the tables) and per week (the trend), written only for the
months and weeks wholly before today, from the same dirty days: a month or week is recomputed whole
(every organisation) when one of its days is dirty.

What makes a day dirty (looked back LOOKBACK before the last run, so that a transaction that
committed late is still seen):
- a ticket whose updated_at moved (every tickets.services change bumps it): its creation day, and
  its resolution day; for a reopened ticket also the days of its 'resolve' transitions, because
  reopening clears resolved_at and the day it used to count in must lose it;
- a survey answered (survey_answer does not touch the ticket): its ticket's creation day;
- the days between the last run and today, which became past.
Not seen by the refresh, caught by the nightly rebuild: deleted tickets, and SLA deadlines
recomputed after a policy change (ticket_set_deadlines writes them without bumping updated_at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from tickets.models import EventKind, Survey, TicketEvent

from .models import (
    DailyAgentStat,
    DailyResolutionStat,
    DailyTicketStat,
    OrgMonthAgentStat,
    OrgMonthStat,
    OrgWeekResolutionStat,
    OrgWeekStat,
    RollupState,
)
from .periods import local_day, midnight
from .rollups import SUM_FIELDS, all_tickets, local_bucket, month_of, next_month, ticket_sums, week_of

LOOKBACK = timedelta(minutes=5)
TICKET_KEY = ("day", "priority", "level", "category_id")
AGENT_KEY = ("day", "assignee_id", "priority", "level")
ORG_MONTH_KEY = ("day", "organisation_id", "priority", "level", "category_id")
ORG_AGENT_KEY = ("day", "organisation_id", "assignee_id", "priority", "level")
ORG_WEEK_KEY = ("day", "organisation_id", "priority", "level")
WEEK = timedelta(days=7)
BATCH = 5000
ROLLUP_MODELS = (DailyTicketStat, DailyAgentStat, DailyResolutionStat, OrgMonthStat, OrgMonthAgentStat, OrgWeekStat,
                 OrgWeekResolutionStat)


@dataclass(frozen=True)
class RefreshResult:
    created_days: int
    resolution_days: int
    rebuilt: bool


def _write_created(tickets, *, days_filter: dict) -> None:
    DailyTicketStat.objects.filter(**days_filter).delete()
    DailyAgentStat.objects.filter(**days_filter).delete()
    DailyTicketStat.objects.bulk_create(
        (DailyTicketStat(**{k: row[k] for k in (*TICKET_KEY, *SUM_FIELDS)})
         for row in ticket_sums(tickets, TICKET_KEY)),
        batch_size=BATCH)
    DailyAgentStat.objects.bulk_create(
        (DailyAgentStat(**{k: row[k] for k in (*AGENT_KEY, *SUM_FIELDS)})
         for row in ticket_sums(tickets.filter(assignee__isnull=False), AGENT_KEY)),
        batch_size=BATCH)


def _write_resolved(tickets, *, days_filter: dict) -> None:
    DailyResolutionStat.objects.filter(**days_filter).delete()
    rows = (tickets.order_by().annotate(day=TruncDate("resolved_at", tzinfo=timezone.get_default_timezone()))
            .values(*TICKET_KEY).annotate(count=Count("id")))
    DailyResolutionStat.objects.bulk_create(
        (DailyResolutionStat(resolved=row.pop("count"), **row) for row in rows), batch_size=BATCH)


def _write_org_months(tickets, *, days_filter: dict) -> None:
    """The organisations' monthly rows of the months in `days_filter` (`day` is the first of the month)."""
    tickets = tickets.filter(organisation__isnull=False)
    OrgMonthStat.objects.filter(**days_filter).delete()
    OrgMonthAgentStat.objects.filter(**days_filter).delete()
    OrgMonthStat.objects.bulk_create(
        (OrgMonthStat(**{k: row[k] for k in (*ORG_MONTH_KEY, *SUM_FIELDS)})
         for row in ticket_sums(tickets, ORG_MONTH_KEY, grain="month")),
        batch_size=BATCH)
    OrgMonthAgentStat.objects.bulk_create(
        (OrgMonthAgentStat(**{k: row[k] for k in (*ORG_AGENT_KEY, *SUM_FIELDS)})
         for row in ticket_sums(tickets.filter(assignee__isnull=False), ORG_AGENT_KEY, grain="month")),
        batch_size=BATCH)


def _write_org_weeks(tickets, *, days_filter: dict) -> None:
    """The organisations' weekly rows of the weeks in `days_filter` (`day` is the Monday)."""
    OrgWeekStat.objects.filter(**days_filter).delete()
    OrgWeekStat.objects.bulk_create(
        (OrgWeekStat(**{k: row[k] for k in (*ORG_WEEK_KEY, *SUM_FIELDS)})
         for row in ticket_sums(tickets.filter(organisation__isnull=False), ORG_WEEK_KEY, grain="week")),
        batch_size=BATCH)


def _write_org_weeks_resolved(tickets, *, days_filter: dict) -> None:
    OrgWeekResolutionStat.objects.filter(**days_filter).delete()
    rows = (tickets.filter(organisation__isnull=False).order_by().annotate(day=local_bucket("resolved_at", "week"))
            .values(*ORG_WEEK_KEY).annotate(count=Count("id")))
    OrgWeekResolutionStat.objects.bulk_create(
        (OrgWeekResolutionStat(resolved=row.pop("count"), **row) for row in rows), batch_size=BATCH)


def _lock_state() -> RollupState | None:
    return RollupState.objects.select_for_update().filter(pk=1).first()


@transaction.atomic
def rollups_rebuild(*, now: datetime | None = None) -> RefreshResult:
    """Recompute every rollup row of the days before today, and record how far they go."""
    now = now or timezone.now()
    today = local_day(now)
    state = _lock_state()
    before_today = midnight(today)
    _write_created(all_tickets().filter(created_at__lt=before_today), days_filter={})
    _write_resolved(all_tickets().filter(resolved_at__lt=before_today), days_filter={})
    # Only whole months and weeks: the current ones are read live, from the organisation's index.
    _write_org_months(all_tickets().filter(created_at__lt=midnight(month_of(today))), days_filter={})
    _write_org_weeks(all_tickets().filter(created_at__lt=midnight(week_of(today))), days_filter={})
    _write_org_weeks_resolved(all_tickets().filter(resolved_at__lt=midnight(week_of(today))), days_filter={})
    _save_state(state, today=today, now=now)
    if connection.vendor == "postgresql":
        # Fresh tables without statistics get nested loops over every row; autovacuum comes later.
        with connection.cursor() as cursor:
            for model in ROLLUP_MODELS:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return RefreshResult(created_days=DailyTicketStat.objects.values("day").distinct().count(),
                         resolution_days=DailyResolutionStat.objects.values("day").distinct().count(), rebuilt=True)


def _save_state(state: RollupState | None, *, today: date, now: datetime) -> None:
    if state is None:
        RollupState.objects.update_or_create(pk=1, defaults={"complete_until": today, "changes_seen_until": now,
                                                             "refreshed_at": now})
        return
    state.complete_until, state.changes_seen_until, state.refreshed_at = today, now, now
    state.save(update_fields=["complete_until", "changes_seen_until", "refreshed_at"])


@transaction.atomic
def rollups_refresh(*, now: datetime | None = None) -> RefreshResult:
    """Recompute the rollup rows of the past days whose tickets changed since the last run (a full
    rebuild when there was none). The state row is locked first: a second run waits, then finds
    nothing left to do. Each dirty day is deleted and inserted again, all in this transaction."""
    now = now or timezone.now()
    today = local_day(now)
    state = _lock_state()
    if state is None:
        return rollups_rebuild(now=now)
    since = state.changes_seen_until - LOOKBACK
    changed = list(all_tickets().filter(updated_at__gte=since).values_list("id", "created_at", "resolved_at",
                                                                            "reopen_count"))
    created_days = {local_day(created) for _pk, created, _resolved, _reopened in changed}
    created_days |= {local_day(created) for created in Survey.objects.filter(answered_at__gte=since)
                     .values_list("ticket__created_at", flat=True)}
    became_past = set(range_days(state.complete_until, today))  # the days since the last run
    created_days |= became_past
    resolution_days = {local_day(resolved) for _pk, _created, resolved, _reopened in changed if resolved}
    resolution_days |= became_past
    reopened = [pk for pk, _created, _resolved, reopens in changed if reopens]
    for start in range(0, len(reopened), BATCH):
        resolution_days |= {local_day(at) for at in TicketEvent.objects.filter(
            ticket_id__in=reopened[start:start + BATCH], kind=EventKind.TRANSITION, data__transition="resolve",
        ).values_list("created_at", flat=True)}
    created_days = sorted(day for day in created_days if day < today)
    resolution_days = sorted(day for day in resolution_days if day < today)
    for day in created_days:
        _write_created(all_tickets().filter(created_at__gte=midnight(day),
                                            created_at__lt=midnight(day + timedelta(days=1))),
                       days_filter={"day": day})
    for day in resolution_days:
        _write_resolved(all_tickets().filter(resolved_at__gte=midnight(day),
                                             resolved_at__lt=midnight(day + timedelta(days=1))),
                        days_filter={"day": day})
    # The organisations' months and weeks that hold a dirty day, once they are whole (before today).
    for month in sorted({month_of(day) for day in created_days if next_month(day) <= today}):
        _write_org_months(all_tickets().filter(created_at__gte=midnight(month),
                                               created_at__lt=midnight(next_month(month))),
                          days_filter={"day": month})
    for week in sorted({week_of(day) for day in created_days if week_of(day) + WEEK <= today}):
        _write_org_weeks(all_tickets().filter(created_at__gte=midnight(week), created_at__lt=midnight(week + WEEK)),
                         days_filter={"day": week})
    for week in sorted({week_of(day) for day in resolution_days if week_of(day) + WEEK <= today}):
        _write_org_weeks_resolved(all_tickets().filter(resolved_at__gte=midnight(week),
                                                       resolved_at__lt=midnight(week + WEEK)),
                                  days_filter={"day": week})
    _save_state(state, today=today, now=now)
    return RefreshResult(created_days=len(created_days), resolution_days=len(resolution_days), rebuilt=False)


def range_days(first: date, end: date):
    day = first
    while day < end:
        yield day
        day += timedelta(days=1)
