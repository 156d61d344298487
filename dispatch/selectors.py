"""Reads of the dispatch: who can receive a level's tickets right now (skills, presence, load), the
observed handling times, and the at-risk view. Each is a fixed number of queries whatever the size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from core.cache import reference
from sla.calendar import WorkingCalendar, add_working_time
from tickets.models import OPEN_STATUSES, Category, Status, Ticket

from .models import Absence, AgentProfile, Forecast, HandlingStat, LevelSetting, Policy, Skill

# When nothing was observed yet for a category × level, nor for the level.
DEFAULT_HANDLING = (timedelta(hours=1), timedelta(hours=3))
DEFAULT_RESPONSE = (timedelta(minutes=30), timedelta(hours=2))

_calendars: dict[tuple[int, datetime], WorkingCalendar] = {}


def working_calendar(calendar) -> WorkingCalendar | None:
    """The agent's calendar as arithmetic (None: always present), cached until the calendar is saved
    again (sla_calendar_save bumps updated_at), so a decision costs no query for it."""
    if calendar is None:
        return None
    key = (calendar.pk, calendar.updated_at)
    if key not in _calendars:
        _calendars[key] = calendar.as_working_calendar()
    return _calendars[key]


def present_until(calendar: WorkingCalendar | None, at: datetime) -> tuple[bool, datetime | None]:
    """Whether `at` falls in working hours, and when that stretch of work ends (None: open-ended)."""
    if calendar is None or calendar.always_open:
        return True, None
    day = timezone.localtime(at, calendar.tz).date()
    for begin, finish in calendar.intervals_on(day - timedelta(days=1)) + calendar.intervals_on(day):
        if begin <= at < finish:
            return True, finish
    return False, None


@dataclass
class QueuedTicket:
    pk: int
    key: datetime | None  # the next deadline: response if not yet answered, else resolution
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    responded: bool
    work: timedelta  # expected working time still needed
    started: bool = True  # taken by its agent (a new ticket can still be handed to someone else)
    category_id: int | None = None
    level: str = ""


@dataclass
class AgentState:
    """One agent of a level as the decision sees them."""

    agent: object
    calendar: WorkingCalendar | None
    available: bool
    absent: bool
    present: bool
    until: datetime | None
    rotation: int
    skills: list[int | None] = field(default_factory=list)  # category ids; None: every category
    skill_names: dict[int | None, str] = field(default_factory=dict)
    queue: list[QueuedTicket] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return len(self.queue)

    @property
    def can_receive(self) -> bool:
        return self.available and not self.absent and self.present


class CategoryTree:
    """The category tree in memory (one query): a skill on a category covers its sub-categories."""

    def __init__(self) -> None:
        self.parent: dict[int, int | None] = dict(Category.objects.values_list("pk", "parent_id"))

    def ancestors(self, pk: int | None) -> list[int]:
        found, seen = [], set()
        while pk is not None and pk not in seen:
            seen.add(pk)
            found.append(pk)
            pk = self.parent.get(pk)
        return found


class HandlingTable:
    """Observed times by (category, level), falling back to the level, then to the defaults."""

    def __init__(self, rows=None) -> None:
        self._given = rows
        self._rows = None

    @property
    def rows(self) -> dict:
        """Read on first use (one query): a decision nobody can receive never reads it."""
        if self._rows is None:
            rows = HandlingStat.objects.all() if self._given is None else self._given
            self._rows = {(row.category_id, row.level): row for row in rows}
        return self._rows

    def _row(self, category_id, level):
        return self.rows.get((category_id, level)) or self.rows.get((None, level))

    def handling(self, category_id, level) -> tuple[timedelta, timedelta]:
        row = self._row(category_id, level)
        if row is None or not row.samples:
            return DEFAULT_HANDLING
        return timedelta(seconds=row.handling_p50), timedelta(seconds=row.handling_p90)

    def response(self, category_id, level) -> tuple[timedelta, timedelta]:
        row = self._row(category_id, level)
        if row is None or not row.samples:
            return DEFAULT_RESPONSE
        return timedelta(seconds=row.response_p50), timedelta(seconds=row.response_p90)


def remaining_work(row: dict, table: HandlingTable) -> timedelta:
    """Expected working time an open ticket still needs from its agent: all of its median handling
    time before it is taken, half of it once in progress, none while waiting for the requester."""
    p50, _p90 = table.handling(row["category_id"], row["level"])
    if row["status"] == Status.NEW:
        return p50
    if row["status"] == Status.IN_PROGRESS:
        return p50 / 2
    return timedelta(0)


def queued(row: dict, table: HandlingTable) -> QueuedTicket:
    responded = row["first_response_at"] is not None
    key = row["resolution_due_at"] if responded else row["response_due_at"]
    return QueuedTicket(pk=row["pk"], key=key, response_due_at=row["response_due_at"],
                        resolution_due_at=row["resolution_due_at"], responded=responded,
                        work=remaining_work(row, table), started=row["status"] != Status.NEW,
                        category_id=row["category_id"], level=row["level"])


QUEUE_FIELDS = ("pk", "assignee_id", "status", "category_id", "level", "first_response_at", "response_due_at",
                "resolution_due_at")


LEVEL_SETTINGS = "dispatch.level_settings"
SKILLED_LEVELS = "dispatch.skilled_levels"


def level_settings() -> dict[str, LevelSetting]:
    """Each level's policy and maximum, from the reference cache (core.cache; dispatch.receivers renews it)."""
    return reference(LEVEL_SETTINGS, lambda: {setting.level: setting for setting in LevelSetting.objects.all()})


def skilled_levels() -> frozenset[str]:
    """The levels at which at least one active agent holds a skill, from the reference cache: where nobody
    does, a ticket needs no decision and costs no query."""
    return reference(SKILLED_LEVELS, lambda: frozenset(
        Skill.objects.filter(agent__is_active=True).values_list("level", flat=True).distinct()))


def needs_dispatch(ticket) -> bool:
    """Whether a decision could give `ticket` an agent: open, at a level whose policy is on and where
    someone holds a skill. Answered from the reference cache, without a query when it is warm."""
    return bool(needing_dispatch([ticket]))


def needing_dispatch(tickets, *, settings: dict[str, LevelSetting] | None = None) -> list:
    """The tickets of `tickets` that need_dispatch, the level settings and skilled levels read once for all of
    them: without the reference cache (the embedded default, or Redis down) two queries for a sweep's hundreds of
    tickets, not two per ticket; the skilled levels not read at all when no ticket's policy is on."""
    settings = level_settings() if settings is None else settings
    on = [ticket for ticket in tickets if ticket.status in OPEN_STATUSES
          and (setting := settings.get(ticket.level)) is not None and setting.policy != Policy.OFF]
    if not on:
        return []
    skilled = skilled_levels()
    return [ticket for ticket in on if ticket.level in skilled]


def agent_states(*, levels, at: datetime, table: HandlingTable) -> dict[str, list[AgentState]]:
    """The agents who hold a skill at each of `levels`, with their presence at `at` and their open
    tickets (four queries: skills with agents and profiles, absences, open tickets, and the calendars
    the first time they are seen)."""
    skills = list(Skill.objects.filter(level__in=list(levels), agent__is_active=True)
                  .select_related("agent", "agent__dispatch_profile__calendar", "category")
                  .order_by("agent_id", "category_id"))
    agent_ids = {skill.agent_id for skill in skills}
    if not agent_ids:
        return {level: [] for level in levels}
    today = timezone.localdate(at)
    absent = set(Absence.objects.filter(agent_id__in=agent_ids, starts_on__lte=today, ends_on__gte=today)
                 .values_list("agent_id", flat=True))
    queues: dict[int, list[QueuedTicket]] = {pk: [] for pk in agent_ids}
    for row in Ticket.objects.filter(assignee_id__in=agent_ids, status__in=OPEN_STATUSES).values(*QUEUE_FIELDS):
        queues[row["assignee_id"]].append(queued(row, table))
    by_level: dict[str, dict[int, AgentState]] = {level: {} for level in levels}
    for skill in skills:
        states = by_level[skill.level]
        state = states.get(skill.agent_id)
        if state is None:
            try:
                profile = skill.agent.dispatch_profile
            except AgentProfile.DoesNotExist:
                profile = None
            calendar = working_calendar(profile.calendar) if profile else None
            present, until = present_until(calendar, at)
            state = states[skill.agent_id] = AgentState(
                agent=skill.agent, calendar=calendar, available=profile.is_available if profile else True,
                absent=skill.agent_id in absent, present=present, until=until,
                rotation=profile.rotation if profile else 0, queue=queues[skill.agent_id],
            )
        state.skills.append(skill.category_id)
        state.skill_names[skill.category_id] = skill.category.full_name if skill.category else ""
    return {level: list(states.values()) for level, states in by_level.items()}


def active_policy_levels() -> list[str]:
    return list(LevelSetting.objects.exclude(policy=Policy.OFF).values_list("level", flat=True))


def at_risk_queue(queryset, agent):
    """The queue's "À risque" view (tickets.queue_views): open tickets whose forecast passes a deadline,
    with their margin to sort on, least first (a join, no query of its own)."""
    return queryset.filter(forecast__at_risk=True).annotate(risk_margin=F("forecast__margin_seconds"))


def forecast_for(ticket: Ticket) -> Forecast | None:
    return Forecast.objects.filter(ticket=ticket).first()


def _finish_after(start: datetime, work: timedelta, calendar: WorkingCalendar | None) -> datetime:
    return start + work if calendar is None else add_working_time(start, work, calendar)


def still_met(item: QueuedTicket, start: datetime, finish: datetime) -> bool:
    """Whether a ticket started at `start` and done at `finish` meets its next deadline (the first response
    if not yet answered: started in time; else the resolution: done in time). No deadline: met."""
    if item.key is None:
        return True
    return (start if not item.responded else finish) <= item.key


# How long past its deadline a lost ticket waits behind the tickets still met before it comes back among
# them, as if due that much later (None: it would wait until the agent has nothing left they can meet; in
# the four-week replays that left breaches up to 20 days late, against under 6 with a day).
LOST_GRACE: timedelta | None = timedelta(hours=24)


def work_order(queue: list[QueuedTicket], *, now: datetime, calendar: WorkingCalendar | None,
               deadline_aware=lambda item: True) -> list[QueuedTicket]:
    """The order in which an agent works their open tickets, one at a time in their working hours.

    Earliest next deadline first; where `deadline_aware(ticket)` (its level's policy is deadline-aware),
    a ticket whose next deadline can no longer be met, after the tickets still met ahead of it and its own
    expected work (from now), is *lost* and goes after all the tickets still met: serving a lost ticket
    first only makes the ones behind it late too (the domino of earliest-deadline-first under overload).
    The lost tickets keep their order, earliest deadline first, and none is starved: a lost ticket comes
    back among the others as if due LOST_GRACE (a day) after its deadline, so a ticket a day past its
    deadline goes before one still met that is due later than now. Elsewhere (round-robin, least-loaded,
    no policy): plain earliest deadline first. Pure arithmetic: no query."""
    far = datetime.max.replace(tzinfo=now.tzinfo)
    ordered = sorted(queue, key=lambda q: (q.key or far, q.pk))
    met, lost = [], []
    start = now
    for item in ordered:
        finish = _finish_after(start, item.work, calendar)
        if deadline_aware(item) and not still_met(item, _finish_after(start, timedelta(0), calendar), finish):
            lost.append(item)
            continue
        met.append(item)
        start = finish
    if LOST_GRACE is None or not lost:
        return met + lost
    # A lost ticket comes back among the others as if due LOST_GRACE later: it is never starved longer.
    late = {q.pk for q in lost}
    return sorted(met + lost, key=lambda q: ((q.key + LOST_GRACE if q.pk in late else q.key) or far, q.pk))


def agent_work_order(agent, *, now: datetime | None = None, level: str | None = None) -> list[QueuedTicket]:
    """The agent's open tickets (at `level` if given) in the order they should work them (`work_order`:
    at a deadline-aware level, the tickets whose next deadline can still be met first, then the lost
    ones). A fixed number of queries whatever the queue: the tickets, the observed times, the agent's
    calendar (and the level settings, from the reference cache)."""
    now = now or timezone.now()
    tickets = Ticket.objects.filter(assignee=agent, status__in=OPEN_STATUSES)
    if level is not None:
        tickets = tickets.filter(level=level)
    rows = list(tickets.values(*QUEUE_FIELDS))
    if not rows:
        return []
    table = HandlingTable()
    profile = AgentProfile.objects.filter(agent=agent).select_related("calendar").first()
    calendar = working_calendar(profile.calendar) if profile else None
    settings = level_settings()
    aware = {level for level, setting in settings.items() if setting.policy == Policy.DEADLINE_AWARE}
    return work_order([queued(row, table) for row in rows], now=now, calendar=calendar,
                      deadline_aware=lambda item: item.level in aware)


def next_queue(queryset, agent):
    """The queue's "Prochains" view (tickets.queue_views): the agent's own open tickets in the order they
    should work them (`agent_work_order`), annotated with that rank to sort on. The order is computed
    once per page in a fixed number of queries (see agent_work_order), then applied as an annotation."""
    from django.db.models import Case, IntegerField, Value, When

    order = [item.pk for item in agent_work_order(agent)]
    if not order:
        return queryset.none().annotate(next_rank=Value(0, output_field=IntegerField()))
    return queryset.filter(pk__in=order).annotate(next_rank=Case(
        *(When(pk=pk, then=Value(rank)) for rank, pk in enumerate(order)), output_field=IntegerField()))
