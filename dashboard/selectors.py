"""Everything the dashboard shows, read in a bounded number of queries (one per table).

Two ways to the same figures (tests/dashboard/test_rollups.py checks they are identical):
- from the daily rollups (dashboard.models, kept by dashboard.services) for the days before
  RollupState.complete_until, plus a live aggregation of the days after it (today at least), when
  the filters are only priority, level and category. With a category filter the agents' table is
  live (its rollup has no category). The page then says "as of HH:MM" (the last refresh).
- with an organisation filter, from the organisation's monthly rollups (the tables) and weekly ones
  (a trend by week) for the whole months and weeks of the period before complete_until, plus a live
  aggregation of the edges (the days of the period outside them) by the organisation's index; with a
  category filter, the agents' table and the trend are live (narrow cohorts).
- live over the tickets, when the rollups have never been built or the filters include an agent
  (the per-agent page too): narrow cohorts, a few percent of the tickets each.
Backlog, incidents and deflections are always live (open tickets and small tables); escalations are live for today
and, for the days the rollups hold, read once per rollups' version.
What the rollup statements read is kept per process for the rollups' version (dashboard.rollups.rollup_sums
and rollup_by_day), and so is what an organisation's edges read of the days the rollups hold (rollups.kept_rows):
those days show as of the last refresh (every five minutes), whichever way they are read; the same page again reads
only today's tickets and escalations live.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from accounts.people import user_display
from escalation.models import Escalation
from escalation.selectors import counts_of, escalation_counts, escalation_rows
from kb.selectors import deflection_count
from postmortem.selectors import incident_counts
from tickets.models import Category, Status, Ticket

from . import metrics, rollups
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
from .periods import Period, midnight
from .rollups import all_tickets

User = get_user_model()

FILTER_FIELDS = {"priority": "priority", "level": "level", "category": "category_id", "agent": "assignee_id",
                 "organisation": "organisation_id"}


def cohort(*, period: Period, filters: dict) -> QuerySet[Ticket]:
    """The tickets created in the period, narrowed by the filters (by the created_at indexes)."""
    queryset = Ticket.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    return queryset.filter(**_ticket_filters(filters))


def _ticket_filters(filters: dict) -> dict:
    return {FILTER_FIELDS[k]: v for k, v in filters.items() if v not in (None, "")}


def trend(*, period: Period, filters: dict) -> list[dict]:
    """Created, resolved, MTTR and CSAT per day (or week), in the display time zone."""
    trunc = TruncDate if period.bucket == "day" else TruncWeek
    tz = timezone.get_current_timezone()
    created = {
        row["bucket"]: row
        for row in cohort(period=period, filters=filters).order_by()
        .annotate(bucket=trunc("created_at", tzinfo=tz)).values("bucket")
        .annotate(created=Count("id"), mttr=metrics.AGGREGATES["mttr"], csat=Avg("survey__score"))
    }
    resolved_qs = Ticket.objects.filter(resolved_at__gte=period.start, resolved_at__lt=period.end)
    resolved_qs = resolved_qs.filter(**_ticket_filters(filters))
    resolved = {
        row["bucket"]: row["count"]
        for row in resolved_qs.order_by().annotate(bucket=trunc("resolved_at", tzinfo=tz)).values("bucket")
        .annotate(count=Count("id"))
    }
    rows = []
    for bucket in sorted(set(created) | set(resolved)):
        key = bucket.date() if hasattr(bucket, "date") else bucket
        raw = created.get(bucket, {})
        mttr = metrics._seconds(raw.get("mttr"))
        rows.append({
            "bucket": key,
            "created": raw.get("created", 0),
            "resolved": resolved.get(bucket, 0),
            "mttr_hours": round(mttr / metrics.HOUR, 2) if mttr is not None else None,
            "csat": round(raw["csat"], 2) if raw.get("csat") is not None else None,
        })
    return rows


def escalations(*, period: Period, filters: dict, state: RollupState | None = None) -> dict:
    """The period's level changes by target level and reason. With the rollups' `state`, those of the days they hold
    (before complete_until: past days, whose figures the page shows as of the last refresh) are read once per
    version in this process, today's at each view: over two years the statement read every level change of the
    period and joined it to its ticket (an organisation's: 7 ms of PostgreSQL at 100,000 tickets,
    bench/database_cpu.py, session 23)."""
    ticket_filters = _ticket_filters(filters)
    if state is None:
        return escalation_counts(start=period.start, end=period.end, ticket_filters=ticket_filters)
    split = max(period.start, min(midnight(state.complete_until), period.end))
    old = rollups.kept_value(
        ("escalations", Escalation), {"asked": (period.start, split, tuple(sorted(ticket_filters.items())))},
        state.version, lambda: escalation_rows(start=period.start, end=split, ticket_filters=ticket_filters))
    new = escalation_rows(start=split, end=period.end, ticket_filters=ticket_filters) if split < period.end else ()
    return counts_of((*old, *new))


def incidents(*, period: Period) -> dict:
    """Major incidents declared in the period and postmortems overdue now (postmortem app)."""
    return incident_counts(start=period.start, end=period.end)


def deflections(*, period: Period) -> int:
    return deflection_count(start=period.start, end=period.end)


def dashboard_data(*, period: Period, filters: dict) -> dict:
    state = RollupState.objects.first()
    rolled = state is not None and not filters.get("agent")
    if not rolled:
        figures = _live(period=period, filters=filters)
    elif filters.get("organisation"):
        figures = _from_organisation_rollups(period=period, filters=filters, state=state)
    else:
        figures = _from_rollups(period=period, filters=filters, state=state)
    scoped = Ticket.objects.filter(**_ticket_filters(filters))
    return {
        **figures,
        "backlog": metrics.backlog(scoped),
        "escalations": escalations(period=period, filters=filters, state=state if rolled else None),
        "incidents": incidents(period=period),
        "deflections": deflections(period=period),
        "open_statuses": [Status.NEW, Status.IN_PROGRESS, Status.WAITING],
        "as_of": state.refreshed_at if rolled else None,
    }


def _figures(rows: list[dict], overall: dict, *, by_agent: list[dict], trend_rows: list[dict]) -> dict:
    """The page's figures from the additive sums grouped by priority, level and category (`rows`) and their
    total (`overall`), whether they were read live or from rollups."""
    return {
        "overall": rollups.figures(overall),
        "by_priority": rollups.breakdown(rows, "priority"),
        "by_level": rollups.breakdown(rows, "level"),
        "by_category": rollups.breakdown(rows, "category_id", "category__name"),
        "by_agent": by_agent,
        "phases": metrics.phase_rows(rollups.phase_sums(overall)),
        "trend": trend_rows,
    }


def _live(*, period: Period, filters: dict) -> dict:
    """Every figure straight from the tickets, for the filters the rollups do not carry (agent,
    organisation): the additive sums grouped by priority, level and category in one query, from which
    the overall figures, the three breakdowns and the phases are added up as from the rollups; the
    agents' table and the trend apart. Four reads of the cohort instead of one per table."""
    tickets = cohort(period=period, filters=filters)
    rows = rollups.ticket_sums(tickets, ("priority", "level", "category_id", "category__name"))
    overall = rollups.new_totals()
    for row in rows:
        rollups.add(overall, row)
    return _figures(rows, overall, by_agent=_live_by_agent(tickets),
                    trend_rows=trend(period=period, filters=filters))


AGENT_NAME_FIELDS = {"username": "assignee__username", "first_name": "assignee__first_name",
                     "last_name": "assignee__last_name"}


def _agent_name(row: dict) -> str:
    """The agent of a grouped row, named as everywhere else (accounts.people.user_display)."""
    return user_display(User(**{name: row[column] for name, column in AGENT_NAME_FIELDS.items()}))


def _live_by_agent(tickets: QuerySet[Ticket]) -> list[dict]:
    return metrics.breakdown(tickets.filter(assignee__isnull=False), "assignee_id",
                             label_fields=list(AGENT_NAME_FIELDS.values()), label=_agent_name)


def _from_rollups(*, period: Period, filters: dict, state: RollupState) -> dict:
    """The figures of _live from the rollup rows of the days before state.complete_until and a live
    aggregation of the period's days from then on: 8 queries whatever the period."""
    split = max(period.first_day, min(state.complete_until, period.last_day + timedelta(days=1)))
    rolled_days = {"day__gte": period.first_day, "day__lt": split}
    dims = {k: v for k, v in _ticket_filters(filters).items() if k in ("priority", "level", "category_id")}
    # The days not rolled up: today, and any day the refresh has not reached yet.
    recent = all_tickets().filter(created_at__gte=midnight(split), created_at__lt=period.end, **dims)
    # The live statements' key: everything they are built from, the zone of their days too (compiled once per
    # connection, core.db).
    live = (split, period.end, tuple(sorted(dims.items())), timezone.get_default_timezone_name())
    recent_rows = rollups.ticket_sums_compiled(("recent days", *live), lambda: rollups.sums_statement(
        recent, ("day", "priority", "level", "category_id", "category__name")))
    rows = rollups.rollup_sums(DailyTicketStat, {**rolled_days, **dims}, ("priority", "level", "category_id"),
                               version=state.version) + recent_rows
    # The categories' names apart: joined into the grouping, they would be read once per rollup row.
    names = dict(Category.objects.filter(pk__in={row["category_id"] for row in rows}).values_list("pk", "name"))
    for row in rows:
        row["category__name"] = names.get(row["category_id"])
    overall = rollups.new_totals()
    for row in rows:
        rollups.add(overall, row)
    if dims.get("category_id"):
        by_agent = _live_by_agent(cohort(period=period, filters=filters))
    else:
        agent_fields = ("assignee_id", "priority")
        agent_rows = rollups.rollup_sums(DailyAgentStat, {**rolled_days, **dims}, agent_fields,
                                         version=state.version)
        agent_rows += rollups.ticket_sums_compiled(("recent days' agents", *live), lambda: rollups.sums_statement(
            recent.filter(assignee__isnull=False), agent_fields))
        names = {user.pk: user_display(user) for user in User.objects.filter(
            pk__in={row["assignee_id"] for row in agent_rows}).only("username", "first_name", "last_name")}
        for row in agent_rows:
            row["assignee_name"] = names.get(row["assignee_id"])
        by_agent = rollups.breakdown(agent_rows, "assignee_id", "assignee_name")
    day_rows = rollups.rollup_sums(DailyTicketStat, {**rolled_days, **dims}, ("day",),
                                   version=state.version) + recent_rows
    resolved = dict(rollups.rollup_by_day(DailyResolutionStat, {**rolled_days, **dims}, "resolved",
                                          version=state.version))
    resolved_recent = rollups.pairs_compiled(("recent days resolved", *live), lambda: (
        all_tickets().filter(resolved_at__gte=midnight(split), resolved_at__lt=period.end, **dims)
        .order_by().annotate(day=rollups.local_bucket("resolved_at"))
        .values("day").annotate(count=Count("id")).values_list("day", "count")))
    for day, count in resolved_recent:
        resolved[day] = resolved.get(day, 0) + count
    return _figures(rows, overall, by_agent=by_agent,
                    trend_rows=_trend_from_sums(period, day_rows, resolved))


def _trend_from_sums(period: Period, day_rows: list[dict], resolved: dict[date, int]) -> list[dict]:
    bucket = (lambda day: day) if period.bucket == "day" else rollups.week_of
    created: dict[date, dict] = {}
    for row in day_rows:
        rollups.add_into(created, bucket(row["day"]), row)
    resolved_by_bucket: dict[date, int] = {}
    for day, count in resolved.items():
        resolved_by_bucket[bucket(day)] = resolved_by_bucket.get(bucket(day), 0) + count
    rows = []
    for key in sorted(set(created) | set(resolved_by_bucket)):
        totals = created.get(key)
        figures = rollups.figures(totals) if totals else {}
        rows.append({
            "bucket": key,
            "created": totals["total"] if totals else 0,
            "resolved": resolved_by_bucket.get(key, 0),
            "mttr_hours": figures.get("mttr_hours"),
            "csat": figures.get("csat"),
        })
    return rows


def _day_ranges_q(field: str, ranges: list[tuple[date, date]]) -> Q:
    condition = Q(pk__in=[])
    for first, end in ranges:
        condition |= Q(**{f"{field}__gte": midnight(first), f"{field}__lt": midnight(end)})
    return condition


def _edges(first: date, end: date, whole: tuple[date, date] | None) -> list[tuple[date, date]]:
    """The days of [first, end) outside the whole months or weeks [start, stop) read from rollups."""
    if whole is None:
        return [(first, end)] if first < end else []
    return [(a, b) for a, b in ((first, whole[0]), (whole[1], end)) if a < b]


def _whole(first: date, end: date, start_of, step) -> tuple[date, date] | None:
    """The whole months (weeks) within [first, end): from the first one starting on or after `first`
    to the last one ending on or before `end`; None when there is none."""
    start = first if start_of(first) == first else step(start_of(first))
    stop = start_of(end)
    return (start, stop) if start < stop else None


def _cut(ranges: list[tuple[date, date]], split: date) -> tuple[tuple, tuple]:
    """The day ranges cut at `split`: the days before it, the days from it on."""
    return (tuple((a, min(b, split)) for a, b in ranges if a < split),
            tuple((max(a, split), b) for a, b in ranges if b > split))


def _kept_then_live(reader: tuple, asked: tuple, version: str, old, new) -> list[dict]:
    """The sums rows of the days the rollups hold (old(), kept per rollups' version: rollups.kept_rows), then those of
    the days from the split on (new(), live)."""
    return rollups.kept_rows(reader, {"asked": asked}, version, old) + new()


def _in(ranges: list[tuple[date, date]], day: date) -> bool:
    return any(a <= day < b for a, b in ranges)


def _from_organisation_rollups(*, period: Period, filters: dict, state: RollupState) -> dict:
    """The figures of _live for one organisation: the tables from its monthly rollups, the weekly trend
    from its weekly ones, each for the whole months (weeks) of the period before state.complete_until;
    the other days of the period (its edges: a month at each end at most) aggregated from the organisation's
    tickets by its index, those before the split once per rollups' version, today's at each view. 10 to 13 queries
    whatever the period (7 to 10 when the same page was read under the same version)."""
    organisation = filters["organisation"]
    dims = {k: v for k, v in _ticket_filters(filters).items() if k in ("priority", "level", "category_id")}
    first, end = period.first_day, period.last_day + timedelta(days=1)
    split = max(first, min(state.complete_until, end))
    months = _whole(first, split, rollups.month_of, rollups.next_month)
    # The weekly rollups have no category: with a category filter the trend is live, as it is by day.
    weekly = period.bucket == "week" and not dims.get("category_id")
    weeks = _whole(first, split, rollups.week_of, lambda day: day + timedelta(days=7)) if weekly else None
    table_edges, trend_edges = _edges(first, end, months), _edges(first, end, weeks)
    own = Ticket.objects.filter(organisation_id=organisation, **dims)
    # The edges' days before the split are days the rollups hold (the other filters read them from DailyTicketStat):
    # their sums are read once per rollups' version, as of the last refresh like the rest of the page; the days from
    # the split on (today) are read live. Under the same version a second view reads only today's tickets.
    (old_table, new_table), (old_trend, new_trend) = _cut(table_edges, split), _cut(trend_edges, split)
    scope = (int(organisation), tuple(sorted(dims.items())), timezone.get_default_timezone_name())

    def edge_sums(table, trend):
        # The live statements' key: everything they are built from, the zone of their days too (compiled once per
        # connection, core.db). By day only where the trend reads them (its edges), by priority, level and category
        # alone elsewhere.
        return rollups.ticket_sums_compiled(("organisation edges", *scope, table, trend), lambda: (
            rollups.sums_statement(own.filter(_day_ranges_q("created_at", [*table, *trend])),
                                   ("day", "priority", "level", "category_id", "category__name"),
                                   days_of=_day_ranges_q("created_at", trend))))

    edge_rows = _kept_then_live(("organisation edges", Ticket), (scope, old_table, old_trend), state.version,
                                lambda: edge_sums(old_table, old_trend) if old_table or old_trend else [],
                                lambda: edge_sums(new_table, new_trend) if new_table or new_trend else [])
    in_months = {"organisation_id": organisation, "day__gte": months[0], "day__lt": months[1]} if months else None
    rows = [row for row in edge_rows if row["day"] is None or _in(table_edges, row["day"])]
    if in_months:
        month_rows = rollups.rollup_sums(OrgMonthStat, {**in_months, **dims}, ("priority", "level", "category_id"),
                                         version=state.version)
        names = dict(Category.objects.filter(pk__in={row["category_id"] for row in month_rows})
                     .values_list("pk", "name"))
        for row in month_rows:
            row["category__name"] = names.get(row["category_id"])
        rows += month_rows
    overall = rollups.new_totals()
    for row in rows:
        rollups.add(overall, row)
    if dims.get("category_id") or not in_months:
        by_agent = _live_by_agent(cohort(period=period, filters=filters))
    else:
        agent_fields = ("assignee_id", "priority")
        agent_dims = {k: v for k, v in dims.items() if k != "category_id"}
        agent_rows = rollups.rollup_sums(OrgMonthAgentStat, {**in_months, **agent_dims}, agent_fields,
                                         version=state.version)

        def agent_sums(table):
            if not table:
                return []
            return rollups.ticket_sums_compiled(("organisation agents' edges", *scope, table), lambda: (
                rollups.sums_statement(own.filter(_day_ranges_q("created_at", table), assignee__isnull=False),
                                       agent_fields)))

        agent_rows += _kept_then_live(("organisation agents' edges", Ticket), (scope, old_table), state.version,
                                      lambda: agent_sums(old_table), lambda: agent_sums(new_table))
        names = {user.pk: user_display(user) for user in User.objects.filter(
            pk__in={row["assignee_id"] for row in agent_rows}).only("username", "first_name", "last_name")}
        for row in agent_rows:
            row["assignee_name"] = names.get(row["assignee_id"])
        by_agent = rollups.breakdown(agent_rows, "assignee_id", "assignee_name")
    day_rows = [row for row in edge_rows if row["day"] is not None]
    resolved: dict[date, int] = {}
    if weeks:
        in_weeks = {"organisation_id": organisation, "day__gte": weeks[0], "day__lt": weeks[1], **dims}
        day_rows += rollups.rollup_sums(OrgWeekStat, in_weeks, ("day",), version=state.version)
        resolved.update(rollups.rollup_by_day(OrgWeekResolutionStat, in_weeks, "resolved", version=state.version))

    def resolved_pairs(trend):
        if not trend:
            return ()
        return tuple(rollups.pairs_compiled(("organisation resolved edges", *scope, trend), lambda: (
            all_tickets().filter(_day_ranges_q("resolved_at", trend), organisation_id=organisation, **dims)
            .order_by().annotate(day=rollups.local_bucket("resolved_at"))
            .values("day").annotate(count=Count("id")).values_list("day", "count"))))

    old_resolved = rollups.kept_value(("organisation resolved edges", Ticket), {"asked": (scope, old_trend)},
                                      state.version, lambda: resolved_pairs(old_trend))
    for day, count in (*old_resolved, *resolved_pairs(new_trend)):
        resolved[day] = resolved.get(day, 0) + count
    return _figures(rows, overall, by_agent=by_agent,
                    trend_rows=_trend_from_sums(period, day_rows, resolved))
