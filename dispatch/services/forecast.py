"""The breach forecast (docs/dispatch.md): the observed handling times per category × level, and for
every open ticket when its first response and resolution are expected, from its place in its agent's
queue (or its level's), worked earliest deadline first in the agent's working hours."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import MANAGER_GROUP
from accounts.selectors import active_members
from sla.calendar import WorkingCalendar, add_working_time, working_time_between
from sla.models import SlaPolicy
from tickets import services as ticket_services
from tickets.models import OPEN_STATUSES, EventKind, Status, Ticket, TicketEvent

from ..models import AgentProfile, Forecast, HandlingStat, Policy
from ..selectors import (
    QUEUE_FIELDS,
    HandlingTable,
    agent_states,
    level_settings,
    queued,
    work_order,
    working_calendar,
)

# How far back the handling times are observed.
HISTORY = timedelta(days=90)
# A group needs this many resolved tickets before its own times replace its level's.
MIN_SAMPLES = 5


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p50: the median of an odd list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _worked_times(tickets: dict[int, dict], resolved, calendars: dict, default) -> dict[tuple, list[float]]:
    """The time each agent actually worked on each ticket, from the history: a piece of work ends when
    the agent resolves the ticket or moves it to another level, and began at the latest of the ticket's
    arrival at that level, the agent taking it, and the end of the agent's previous piece of work (an
    agent works one thing at a time: the hours a ticket waited behind others are not its handling).
    In the agent's working hours (their calendar, else the default policy's). {(category, level): [s]}."""
    # `resolved` is the tickets' queryset: a subquery, not a list of ids (SQLite's limit on parameters).
    events = (TicketEvent.objects.filter(ticket_id__in=resolved.values("pk"))
              .filter(Q(kind=EventKind.LEVEL_CHANGED) | Q(kind=EventKind.TRANSITION,
                                                          data__transition__in=["take", "resolve"]))
              .order_by("created_at", "pk").values_list("ticket_id", "kind", "actor_id", "data", "created_at"))
    arrival = {pk: row["created_at"] for pk, row in tickets.items()}
    level: dict[int, str] = {}
    taken: dict[int, tuple[int, object]] = {}  # ticket → (agent, when) since its arrival at its level
    free_since: dict[int, object] = {}  # agent → end of their previous piece of work
    worked: dict[tuple, list[float]] = defaultdict(list)
    for pk, kind, actor_id, data, at in events.iterator(chunk_size=5000):
        if pk not in tickets:
            continue  # resolved between the two reads: next night
        data = data or {}
        finished_level = None
        if kind == EventKind.TRANSITION and data.get("transition") == "take":
            if actor_id:
                taken[pk] = (actor_id, at)
            continue
        if kind == EventKind.TRANSITION:
            finished_level = level.get(pk) or tickets[pk]["level"]
        elif actor_id and taken.get(pk, (actor_id,))[0] == actor_id:
            # A person moving the ticket to another level ends their work on it (a rule's move does not).
            finished_level = data.get("from")
        if finished_level and actor_id:
            begin = max(d for d in (arrival[pk], taken.get(pk, (None, None))[1], free_since.get(actor_id))
                        if d is not None)
            seconds = working_time_between(begin, at, calendars.get(actor_id) or default).total_seconds()
            for key in ((tickets[pk]["category_id"], finished_level), (None, finished_level)):
                worked[key].append(seconds)
            free_since[actor_id] = at
        if kind == EventKind.LEVEL_CHANGED:
            level[pk] = data.get("to") or tickets[pk]["level"]
            arrival[pk] = at
            taken.pop(pk, None)
    return worked


@transaction.atomic
def handling_stats_recompute(*, now: datetime | None = None) -> int:
    """Beat: recompute the p50/p90 first-response and handling times per category × level and per
    level from the tickets resolved in the last 90 days. First response: creation → first response in
    the default SLA policy's calendar. Handling: the time the agent actually worked (`_worked_times`),
    not the elapsed time from the first response to the resolution, which counts the hours the ticket
    waited while its agent worked on others. Replaces the table; returns its rows."""
    now = now or timezone.now()
    policy = SlaPolicy.objects.filter(is_default=True).select_related("calendar").first()
    calendar = policy.calendar.as_working_calendar() if policy else WorkingCalendar.twenty_four_seven()
    response: dict[tuple, list[float]] = defaultdict(list)
    resolved = Ticket.objects.filter(resolved_at__gte=now - HISTORY)
    tickets = {row["pk"]: row for row in resolved.values("pk", "category_id", "level", "created_at",
                                                         "first_response_at").iterator(chunk_size=5000)}
    for row in tickets.values():
        if row["first_response_at"]:
            waited = working_time_between(row["created_at"], row["first_response_at"], calendar).total_seconds()
            for key in ((row["category_id"], row["level"]), (None, row["level"])):
                response[key].append(waited)
    calendars = {profile.agent_id: working_calendar(profile.calendar)
                 for profile in AgentProfile.objects.filter(calendar__isnull=False).select_related("calendar")}
    handling = _worked_times(tickets, resolved, calendars, calendar) if tickets else {}
    stats = [
        HandlingStat(category_id=category_id, level=level, samples=len(handling[(category_id, level)]),
                     response_p50=int(percentile(response.get((category_id, level), []), 0.5)),
                     response_p90=int(percentile(response.get((category_id, level), []), 0.9)),
                     handling_p50=int(percentile(handling[(category_id, level)], 0.5)),
                     handling_p90=int(percentile(handling[(category_id, level)], 0.9)), computed_at=now)
        for category_id, level in handling
        if category_id is None or len(handling[(category_id, level)]) >= MIN_SAMPLES
    ]
    HandlingStat.objects.all().delete()
    HandlingStat.objects.bulk_create(stats)
    return len(stats)


@dataclass
class Expected:
    response_at: datetime | None
    resolution_at: datetime | None
    margin: timedelta | None
    target: str


def _expect(row: dict, start: datetime, finish: datetime) -> Expected:
    margins = []
    response_at = None
    if row["first_response_at"] is None:
        response_at = start
        if row["response_due_at"]:
            margins.append((row["response_due_at"] - start, "response"))
    resolution_at = finish if row["status"] != Status.WAITING else None
    if resolution_at and row["resolution_due_at"]:
        margins.append((row["resolution_due_at"] - finish, "resolution"))
    margin, target = min(margins, key=lambda m: m[0]) if margins else (None, "")
    return Expected(response_at, resolution_at, margin, target)


# How far ahead a level's crew is laid out; work beyond it is counted as done at once after it.
CREW_HORIZON = timedelta(days=14)


class Crew:
    """The agents who will work a level's pool, as a timeline: how many of them work in each stretch
    from `now` on (each in their own hours), so that shared work ends when the sum of their working
    time covers it, and the morning shift that has not begun yet counts as much as the one at work."""

    def __init__(self, calendars: list, now: datetime) -> None:
        end = now + CREW_HORIZON
        changes: dict[datetime, int] = defaultdict(int)
        for calendar in calendars:
            if calendar is None or calendar.always_open:
                intervals = [(now, end)]
            else:
                first = timezone.localtime(now, calendar.tz).date() - timedelta(days=1)
                intervals = [i for d in range(CREW_HORIZON.days + 2)
                             for i in calendar.intervals_on(first + timedelta(days=d))]
            for begin, finish in intervals:
                begin, finish = max(begin, now), min(finish, end)
                if finish > begin:
                    changes[begin] += 1
                    changes[finish] -= 1
        self.segments: list[tuple[datetime, datetime, int]] = []  # (from, to, agents working)
        working, previous = 0, now
        for at in sorted(changes):
            if at > previous and working > 0:
                self.segments.append((previous, at, working))
            working += changes[at]
            previous = max(previous, at)
        self.end = end

    def done_at(self, work: timedelta, *, start: datetime | None = None, agents: int | None = None) -> datetime:
        """When `work` is done from `start` (now) by the crew (or by `agents` of them at most: 1 for one
        ticket's own work)."""
        left = work
        for begin, finish, working in self.segments:
            if start is not None:
                if finish <= start:
                    continue
                begin = max(begin, start)
            rate = min(working, agents) if agents else working
            span = finish - begin
            if left <= span * rate:
                return begin + left / rate
            left -= span * rate
        return max(self.end, start or self.end) + left


def forecast_rows(rows: list[dict], *, now: datetime, table: HandlingTable, calendars: dict, capacity: dict,
                  level_calendar: dict, states: dict | None = None,
                  dispatching: frozenset = frozenset(),
                  deadline_aware: frozenset = frozenset()) -> dict[int, Expected]:
    """The forecast of each open ticket row: each agent works their queue earliest deadline first, one
    ticket at a time, in their working hours. A ticket waits in its level's pool instead, worked by the
    level's available agents who are not absent (a `Crew`, each in their own hours; without `states`,
    the `capacity` present ones) earliest deadline first among the work they hold, when
    nobody holds it, or when the sweep will hand it on (`_off_duty_tickets`' rule, read from `states`):
    its agent is off duty and not back in time for it, or its agent's shift ends before they would start
    it and they would not be back in time (then not before that shift's end); only at the levels whose
    policy is on (`dispatching`), where the sweep runs. At the `deadline_aware` levels an agent's queue
    is laid out in the order they work it (`selectors.work_order`: the tickets whose next deadline can
    still be met first, the lost ones after), as `agent_work_order` tells the agent."""
    far = datetime.max.replace(tzinfo=now.tzinfo)
    by_agent = {state.agent.pk: state for level_states in (states or {}).values() for state in level_states}
    crews = {level: Crew([s.calendar for s in level_states if s.available and not s.absent], now)
             for level, level_states in (states or {}).items()}
    queues: dict[object, list[dict]] = defaultdict(list)
    for row in rows:
        queues[row["assignee_id"] or ("level", row["level"])].append(row)
    expected: dict[int, Expected] = {}
    pool: dict[str, list[tuple[dict, datetime]]] = defaultdict(list)  # level → (row, not before)
    held: dict[str, list[tuple[datetime, timedelta]]] = defaultdict(list)  # level → present agents' work
    for owner, owned in queues.items():
        if isinstance(owner, tuple):
            pool[owner[1]] += [(row, now) for row in owned]
            continue
        calendar = calendars.get(owner)
        state = by_agent.get(owner)
        done = timedelta()
        by_pk = {row["pk"]: row for row in owned}
        order = work_order([queued(row, table) for row in owned], now=now, calendar=calendar,
                           deadline_aware=lambda item: item.level in deadline_aware)
        for item in order:
            row = by_pk[item.pk]
            start = _advance(now, done, calendar)
            handed_at = (_handed_on_at(state, item, start, now=now, capacity=capacity.get(row["level"], 0))
                         if row["level"] in dispatching else None)
            if handed_at is not None:
                pool[row["level"]].append((row, handed_at))
                continue
            done += item.work
            finish = _advance(now, done, calendar) if row["status"] != Status.WAITING else None
            expected[row["pk"]] = _expect(row, start, finish or start)
            if state is None or (state.available and not state.absent):
                held[row["level"]].append((item.key or far, item.work))
    for level, waiting in pool.items():
        crew = crews.get(level)
        agents = max(1, capacity.get(level, 0))
        calendar = level_calendar.get(level)
        work_held = sorted(held[level], key=lambda h: h[0])
        pooled = timedelta()
        for row, not_before in sorted(waiting, key=lambda w: (queued(w[0], table).key or far, w[0]["pk"])):
            item = queued(row, table)
            key = item.key or far
            # The level's agents first finish what they hold that is due before it, and the pool's
            # tickets due before it, together.
            ahead = sum((work for due, work in work_held if due <= key), timedelta()) + pooled
            if crew is not None and crew.segments:
                start = max(crew.done_at(ahead), not_before)
                finish = crew.done_at(item.work, start=start, agents=1)
            else:
                start = max(_advance(now, ahead / agents, calendar), not_before)
                finish = _advance(start, item.work, calendar)
            pooled += item.work
            expected[row["pk"]] = _expect(row, start, finish)
    return expected


def _handed_on_at(state, item, start: datetime, *, now: datetime, capacity: int) -> datetime | None:
    """When the sweep will hand this queued ticket on to the level's present agents (None: it stays with
    its agent): only an untaken ticket, at a level where someone is present, whose agent cannot receive
    now and would not be back in time for its next deadline (now), or whose agent's shift ends before
    they would start it and who would not be back in time (at the end of the shift)."""
    if state is None or item.started or item.key is None or capacity == 0:
        return None
    if not state.can_receive:
        if not state.available or state.absent or state.calendar is None:
            return now
        back = add_working_time(now, timedelta(0), state.calendar)
        return now if back + item.work > item.key else None
    if state.until is None or start < state.until:
        return None
    back = add_working_time(state.until, timedelta(0), state.calendar)
    return state.until if back + item.work > item.key else None


def _advance(start: datetime, work: timedelta, calendar) -> datetime:
    return start + work if calendar is None else add_working_time(start, work, calendar)


def forecasts_refresh(*, now: datetime | None = None, alert: bool = True) -> dict:
    """Beat: recompute the forecast of every open ticket (upsert), flag the newly at-risk ones, and
    alert the managers once per ticket at risk (alerted_at claimed by a conditional UPDATE, so a
    second sweep, at once or later, alerts nobody again). Forecasts of closed tickets are dropped."""
    now = now or timezone.now()
    with transaction.atomic():
        table = HandlingTable()
        rows = list(Ticket.objects.filter(status__in=OPEN_STATUSES).values(*QUEUE_FIELDS))
        assignees = {row["assignee_id"] for row in rows if row["assignee_id"]}
        calendars = {profile.agent_id: working_calendar(profile.calendar)
                     for profile in AgentProfile.objects.filter(agent_id__in=assignees).select_related("calendar")}
        levels = {row["level"] for row in rows}
        states = agent_states(levels=levels, at=now, table=table) if levels else {}
        capacity = {level: sum(1 for s in level_states if s.can_receive) for level, level_states in states.items()}
        level_calendar = {level: next((s.calendar for s in level_states if s.can_receive), None)
                          for level, level_states in states.items()}
        expected = forecast_rows(rows, now=now, table=table, calendars=calendars, capacity=capacity,
                                 level_calendar=level_calendar, states=states,
                                 dispatching=frozenset(level for level, setting in level_settings().items()
                                                       if setting.policy != Policy.OFF),
                                 deadline_aware=frozenset(level for level, setting in level_settings().items()
                                                          if setting.policy == Policy.DEADLINE_AWARE))
        existing = {f.ticket_id: f for f in Forecast.objects.filter(ticket_id__in=list(expected))}
        forecasts = []
        for pk, exp in expected.items():
            old = existing.get(pk)
            at_risk = exp.margin is not None and exp.margin < timedelta(0)
            flagged_at = (old.flagged_at if old and old.at_risk and old.flagged_at else now) if at_risk else None
            forecasts.append(Forecast(
                ticket_id=pk, response_expected_at=exp.response_at, resolution_expected_at=exp.resolution_at,
                margin_seconds=int(exp.margin.total_seconds()) if exp.margin is not None else None,
                at_risk=at_risk, risk_target=exp.target if at_risk else "", computed_at=now, flagged_at=flagged_at,
                alerted_at=old.alerted_at if old else None,
            ))
        Forecast.objects.bulk_create(
            forecasts, update_conflicts=True, unique_fields=["ticket"],
            update_fields=["response_expected_at", "resolution_expected_at", "margin_seconds", "at_risk",
                           "risk_target", "computed_at", "flagged_at"],
        )
        Forecast.objects.exclude(ticket__status__in=OPEN_STATUSES).delete()
        alerted = _alert(now) if alert else 0
    return {"tickets": len(forecasts), "at_risk": sum(f.at_risk for f in forecasts), "alerted": alerted}


def _alert(now: datetime) -> int:
    """One alert per ticket at risk: claim the unalerted ones, then write their timeline event and the
    managers' emails."""
    pending = list(Forecast.objects.select_for_update(skip_locked=True)
                   .filter(at_risk=True, alerted_at__isnull=True).values_list("ticket_id", flat=True))
    if not pending:
        return 0
    Forecast.objects.filter(ticket_id__in=pending, alerted_at__isnull=True).update(alerted_at=now)
    forecasts = list(Forecast.objects.filter(ticket_id__in=pending).select_related("ticket__assignee"))
    items = []
    for f in forecasts:
        ticket = f.ticket
        if f.risk_target == "response":
            items.append((ticket, "response", f.response_expected_at, ticket.response_due_at))
        else:
            items.append((ticket, "resolution", f.resolution_expected_at, ticket.resolution_due_at))
    events = ticket_services.tickets_record_forecast_alerts(items)
    managers = list(active_members(MANAGER_GROUP))
    ticket_services.notify_new_events([(event, managers, "sla_at_risk") for event in events])
    return len(events)
