"""Writes of the dashboard: its rollups (dashboard.models), and nothing else.

`rollups_refresh` (beat, every 5 minutes) recomputes only the past days whose tickets changed since
its last run; `rollups_rebuild` (the management command, and nightly) recomputes every past day.
Today is never rolled up: the selectors compute it live, with any day the rollups do not reach yet.
The organisations' rollups are per month (the tables) and per week (the trend), written only for the
months and weeks wholly before today, from the same dirty days: a month or week is recomputed for the
organisations of the changed tickets of its dirty days (for every organisation when one of its days
became past). A ticket moved to another organisation leaves the old one's rows to the nightly rebuild.

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

from collections import defaultdict
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
    new_version,
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


def _only(tickets, days_filter: dict, organisations: list | None):
    """`tickets` and `days_filter` narrowed to `organisations` (None: every organisation)."""
    if organisations is None:
        return tickets.filter(organisation__isnull=False), days_filter
    return (tickets.filter(organisation_id__in=organisations),
            {**days_filter, "organisation_id__in": organisations})


def _write_org_months(tickets, *, days_filter: dict, organisations: list | None = None) -> None:
    """The organisations' monthly rows of the months in `days_filter` (`day` is the first of the month)."""
    tickets, days_filter = _only(tickets, days_filter, organisations)
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


def _write_org_weeks(tickets, *, days_filter: dict, organisations: list | None = None) -> None:
    """The organisations' weekly rows of the weeks in `days_filter` (`day` is the Monday)."""
    tickets, days_filter = _only(tickets, days_filter, organisations)
    OrgWeekStat.objects.filter(**days_filter).delete()
    OrgWeekStat.objects.bulk_create(
        (OrgWeekStat(**{k: row[k] for k in (*ORG_WEEK_KEY, *SUM_FIELDS)})
         for row in ticket_sums(tickets, ORG_WEEK_KEY, grain="week")),
        batch_size=BATCH)


def _write_org_weeks_resolved(tickets, *, days_filter: dict, organisations: list | None = None) -> None:
    tickets, days_filter = _only(tickets, days_filter, organisations)
    OrgWeekResolutionStat.objects.filter(**days_filter).delete()
    rows = (tickets.order_by().annotate(day=local_bucket("resolved_at", "week"))
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
    """How far the rollups now go, and a new version: in the transaction that wrote them, so that a reader sees
    the new rows with the new version (dashboard.rollups keeps what it read per version)."""
    if state is None:
        RollupState.objects.update_or_create(pk=1, defaults={"complete_until": today, "changes_seen_until": now,
                                                             "refreshed_at": now, "version": new_version()})
        return
    state.complete_until, state.changes_seen_until, state.refreshed_at = today, now, now
    state.version = new_version()
    state.save(update_fields=["complete_until", "changes_seen_until", "refreshed_at", "version"])


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
                                                                            "reopen_count", "organisation_id"))
    # The organisations whose tickets changed, per day: only theirs are recomputed in the monthly and
    # weekly rollups (every organisation for the days that became past).
    created_orgs: dict[date, set] = defaultdict(set)
    resolution_orgs: dict[date, set] = defaultdict(set)
    for _pk, created, resolved, _reopens, organisation in changed:
        created_orgs[local_day(created)].add(organisation)
        if resolved:
            resolution_orgs[local_day(resolved)].add(organisation)
    for created, organisation in Survey.objects.filter(answered_at__gte=since).values_list(
            "ticket__created_at", "ticket__organisation_id"):
        created_orgs[local_day(created)].add(organisation)
    became_past = set(range_days(state.complete_until, today))  # the days since the last run
    created_days = set(created_orgs) | became_past
    resolution_days = set(resolution_orgs) | became_past
    organisation_of = {pk: organisation for pk, _created, _resolved, reopens, organisation in changed if reopens}
    reopened = list(organisation_of)
    for start in range(0, len(reopened), BATCH):
        for pk, at in TicketEvent.objects.filter(
            ticket_id__in=reopened[start:start + BATCH], kind=EventKind.TRANSITION, data__transition="resolve",
        ).values_list("ticket_id", "created_at"):
            resolution_orgs[local_day(at)].add(organisation_of[pk])
            resolution_days.add(local_day(at))
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
    for month, organisations in _periods(created_days, created_orgs, became_past, month_of,
                                         lambda start: next_month(start) <= today):
        _write_org_months(all_tickets().filter(created_at__gte=midnight(month),
                                               created_at__lt=midnight(next_month(month))),
                          days_filter={"day": month}, organisations=organisations)
    whole_week = lambda start: start + WEEK <= today  # noqa: E731
    for week, organisations in _periods(created_days, created_orgs, became_past, week_of, whole_week):
        _write_org_weeks(all_tickets().filter(created_at__gte=midnight(week), created_at__lt=midnight(week + WEEK)),
                         days_filter={"day": week}, organisations=organisations)
    for week, organisations in _periods(resolution_days, resolution_orgs, became_past, week_of, whole_week):
        _write_org_weeks_resolved(all_tickets().filter(resolved_at__gte=midnight(week),
                                                       resolved_at__lt=midnight(week + WEEK)),
                                  days_filter={"day": week}, organisations=organisations)
    _save_state(state, today=today, now=now)
    return RefreshResult(created_days=len(created_days), resolution_days=len(resolution_days), rebuilt=False)


def _periods(days, orgs_of_day: dict, became_past: set, start_of, whole):
    """(first day of the month or week, organisations to recompute or None for all) for the whole
    months (weeks) that hold one of `days`; those without an organisation's ticket are skipped."""
    periods: dict[date, set | None] = {}
    for day in days:
        start = start_of(day)
        if not whole(start) or periods.get(start, set()) is None:
            continue
        periods[start] = None if day in became_past else periods.get(start, set()) | orgs_of_day.get(day, set())
    for start in sorted(periods):
        organisations = periods[start]
        if organisations is None:
            yield start, None
        elif organisations - {None}:
            yield start, sorted(organisations - {None})


def range_days(first: date, end: date):
    day = first
    while day < end:
        yield day
        day += timedelta(days=1)
