"""Automatic assignment (docs/dispatch.md): one set-based decision for a batch of locked tickets,
through tickets.services.tickets_assign, each choice explained in the ticket's timeline and logged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_agent, is_manager
from core.cache import invalidate
from core.exceptions import ActionRefused
from sla.calendar import add_working_time
from tickets import services as ticket_services
from tickets.models import Status, Ticket

from ..models import AgentProfile, Assignment, Policy, Skill, Trigger
from ..selectors import (
    SKILLED_LEVELS,
    AgentState,
    CategoryTree,
    HandlingTable,
    QueuedTicket,
    agent_states,
    level_settings,
    needing_dispatch,
    needs_dispatch,
)

# Two margins in the same hour are a tie: the open count, then the rotation, decide (fair counts).
MARGIN_TIE = timedelta(hours=1)


@dataclass
class Choice:
    ticket: Ticket
    state: AgentState | None
    skill: int | None = None
    margin: timedelta | None = None
    open_count: int = 0


def _advance(start: datetime, work: timedelta, state: AgentState) -> datetime:
    """When `work` of the agent's working time is done, starting at `start`."""
    if state.calendar is None:
        return start + work
    return add_working_time(start, work, state.calendar)


def _key(ticket: Ticket) -> datetime | None:
    return ticket.resolution_due_at if ticket.first_response_at else ticket.response_due_at


def margin_with(state: AgentState, ticket: Ticket, work: timedelta, *, at: datetime) -> timedelta | None:
    """How much time this ticket would have left at its deadline in the agent's queue, the tickets they
    have taken first, then the others earliest deadline first, and how much the tickets it would
    overtake would keep: the least of those margins (None: no deadline at all). The queue holds the
    expected remaining work of each ticket."""
    key = _key(ticket)
    far = datetime.max.replace(tzinfo=at.tzinfo)
    # The tickets the agent has taken are in hand: finished before a new one is started.
    ahead = [q for q in state.queue if q.started or (q.key or far) <= (key or far)]
    behind = sorted((q for q in state.queue if not q.started and (q.key or far) > (key or far)),
                    key=lambda q: (q.key or far, q.pk))
    start = _advance(at, sum((q.work for q in ahead), timedelta()), state)
    finish = _advance(start, work, state)
    margins = []
    if ticket.first_response_at is None and ticket.response_due_at:
        margins.append(ticket.response_due_at - start)
    if ticket.resolution_due_at:
        margins.append(ticket.resolution_due_at - finish)
    # The tickets behind now start `work` later: their margins shrink by that much. One already late
    # without this ticket is not counted: its lateness is not this choice's doing, and would make every
    # agent holding one look alike.
    before, after = _advance(at, sum((q.work for q in ahead), timedelta()), state), finish
    for q in behind:
        begin_before, before = before, _advance(before, q.work, state)
        begin_after, after = after, _advance(after, q.work, state)
        if not q.responded and q.response_due_at and q.response_due_at >= begin_before:
            margins.append(q.response_due_at - begin_after)
        if q.resolution_due_at and q.resolution_due_at >= before:
            margins.append(q.resolution_due_at - after)
    return min(margins) if margins else None


def _rotation(state: AgentState):
    """Who waited longest since their last automatic ticket first; then the agent's id (stable)."""
    return (state.rotation, state.agent.pk)


def _choose(policy: str, ticket: Ticket, candidates: list[tuple[AgentState, int | None]], *, at: datetime,
            table: HandlingTable) -> Choice | None:
    if not candidates:
        return None
    if policy == Policy.ROUND_ROBIN:
        state, skill = min(candidates, key=lambda c: _rotation(c[0]))
        return Choice(ticket, state, skill)
    if policy == Policy.LEAST_LOADED:
        state, skill = min(candidates, key=lambda c: (c[0].open_count, _rotation(c[0])))
        return Choice(ticket, state, skill)
    return _deadline_aware(ticket, candidates, at=at, table=table)


def _deadline_aware(ticket: Ticket, candidates: list[tuple[AgentState, int | None]], *, at: datetime,
                    table: HandlingTable) -> Choice:
    """The agents whose queue leaves the ticket (and the tickets it would overtake) the margin it needs
    are equally good: the least loaded of them, ties by rotation. The margin it needs is the spread of
    its handling time (p90 − p50): the margin is computed with the median, so a smaller one is noise
    away from a breach. Only when no queue leaves that much does the largest margin decide (by the
    hour; within the hour the load, then the rotation): then the deadline is what is at stake."""
    work, p90 = table.handling(ticket.category_id, ticket.level)
    need = max(p90 - work, timedelta(0))
    scored = [(margin_with(state, ticket, work, at=at), state, skill) for state, skill in candidates]
    safe = [(margin, state, skill) for margin, state, skill in scored if margin is None or margin >= need]
    if safe:
        margin, state, skill = min(safe, key=lambda s: (s[1].open_count, _rotation(s[1])))
    else:
        margin, state, skill = min(scored, key=lambda s: (-(s[0] // MARGIN_TIE), s[1].open_count, _rotation(s[1])))
    return Choice(ticket, state, skill, margin)


def _candidates(ticket: Ticket, states: list[AgentState], tree: CategoryTree, *, max_open: int,
                excluded: set[int]) -> list[tuple[AgentState, int | None]]:
    """Present, available agents of the ticket's level with the skill, below the maximum load."""
    wanted = tree.ancestors(ticket.category_id)
    found = []
    for state in states:
        if not state.can_receive or state.agent.pk in excluded or state.open_count >= max_open:
            continue
        skill = next((pk for pk in wanted if pk in state.skills), "none")
        if skill == "none":
            if None not in state.skills:
                continue
            skill = None
        found.append((state, skill))
    return found


def _why(choice: Choice, policy: str, trigger: str, max_open: int, refusal: dict | None) -> dict:
    state = choice.state
    why = {
        "by": "dispatch", "policy": policy, "trigger": trigger,
        "skill": state.skill_names.get(choice.skill, ""), "open": choice.open_count, "max": max_open,
        "until": state.until.isoformat() if state.until else None,
        "margin": int(choice.margin.total_seconds()) if choice.margin is not None else None,
    }
    if refusal:
        why["refusal"] = refusal
    return why


def tickets_dispatch(*, tickets: Sequence[Ticket], trigger: str, now: datetime | None = None,
                     excluded: dict[int, set[int]] | None = None, refusal: dict | None = None,
                     unassign_unmatched: bool = False) -> list[Assignment]:
    """Choose an agent for each locked open ticket by its level's policy and give it through
    tickets_assign, with the explanation in its timeline, one Assignment row each in the log, and the
    rotation moved on. A level whose policy is off, or a ticket no one can take now, is left as it
    is (or, with `unassign_unmatched`, handed back to its level's group). A fixed number of queries
    for the whole batch: the decisions are made in memory, each counting the ones before it."""
    now = now or timezone.now()
    excluded = excluded or {}
    settings = level_settings()
    tickets = needing_dispatch(tickets, settings=settings)
    if not tickets:
        return []
    table = HandlingTable()
    states = agent_states(levels={t.level for t in tickets}, at=now, table=table)
    if not any(states.values()):
        return []  # nobody holds a skill at these levels: two queries, and the tickets stay with their level
    tree = CategoryTree()
    far = datetime.max.replace(tzinfo=now.tzinfo)
    turn = max((s.rotation for level_states in states.values() for s in level_states), default=0)
    choices: list[Choice] = []
    unmatched: list[Ticket] = []
    # Earliest deadline first, so the most urgent ticket gets the first pick.
    for ticket in sorted(tickets, key=lambda t: (_key(t) or far, t.pk)):
        setting = settings[ticket.level]
        candidates = _candidates(ticket, states[ticket.level], tree, max_open=setting.max_open,
                                 excluded=excluded.get(ticket.pk, set()))
        choice = _choose(setting.policy, ticket, candidates, at=now, table=table)
        if choice is None:
            unmatched.append(ticket)
            continue
        state = choice.state
        choice.open_count = state.open_count
        work, _p90 = table.handling(ticket.category_id, ticket.level)
        # The next decisions of this batch see this ticket in the agent's queue and the rotation moved.
        state.queue.append(QueuedTicket(pk=ticket.pk, key=_key(ticket), response_due_at=ticket.response_due_at,
                                        resolution_due_at=ticket.resolution_due_at,
                                        responded=ticket.first_response_at is not None, work=work))
        turn += 1
        state.rotation = turn
        choices.append(choice)
    choices = [c for c in choices if c.ticket.assignee_id != c.state.agent.pk]
    release = [t for t in unmatched if unassign_unmatched and t.assignee_id is not None]
    return _apply(choices, release, settings=settings, trigger=trigger, now=now, refusal=refusal)


def _apply(choices: list[Choice], release: list[Ticket], *, settings: dict, trigger: str, now: datetime,
           refusal: dict | None = None) -> list[Assignment]:
    """Give the chosen tickets (and hand the released ones back to their level) through tickets_assign,
    with the explanations; log the choices and move the agents' rotation on."""
    if not choices and not release:
        return []
    assignees = {c.ticket.pk: c.state.agent for c in choices} | {t.pk: None for t in release}
    why = {c.ticket.pk: _why(c, settings[c.ticket.level].policy, trigger, settings[c.ticket.level].max_open,
                             refusal) for c in choices}
    why |= {t.pk: {"by": "dispatch", "trigger": trigger, "nobody": True, **({"refusal": refusal} if refusal else {})}
            for t in release}
    ticket_services.tickets_assign(tickets=[c.ticket for c in choices] + release, assignees=assignees, why=why)
    rows = [Assignment(ticket=c.ticket, agent=c.state.agent, level=c.ticket.level,
                       policy=settings[c.ticket.level].policy, trigger=trigger,
                       skill=c.state.skill_names.get(c.skill, ""), open_count=c.open_count,
                       max_open=settings[c.ticket.level].max_open, present_until=c.state.until,
                       margin_seconds=int(c.margin.total_seconds()) if c.margin is not None else None,
                       created_at=now) for c in choices]
    Assignment.objects.bulk_create(rows)
    agents = {c.state.agent.pk: c.state.rotation for c in choices}
    if agents:
        AgentProfile.objects.bulk_create(
            [AgentProfile(agent_id=pk, last_assigned_at=now, rotation=turn) for pk, turn in agents.items()],
            update_conflicts=True, unique_fields=["agent"], update_fields=["last_assigned_at", "rotation"],
        )
    return rows


def _lock(pks, *, skip_locked: bool = False) -> list[Ticket]:
    return list(Ticket.objects.select_for_update(of=("self",), skip_locked=skip_locked)
                .select_related("assignee", "requester").filter(pk__in=list(pks)).order_by("pk"))


def ticket_dispatch(*, ticket: Ticket, trigger: str, now: datetime | None = None) -> Assignment | None:
    """tickets_dispatch for one ticket that has no agent (re-read under its lock: a receiver before
    this one may have changed it). Where no decision could give it an agent (policy off, nobody skilled
    at its level), no query at all: a submission pays nothing for a dispatch that is not used."""
    if not needs_dispatch(ticket):
        return None
    with transaction.atomic():
        locked = [t for t in _lock([ticket.pk]) if t.assignee_id is None]
        rows = tickets_dispatch(tickets=locked, trigger=trigger, now=now)
    return rows[0] if rows else None


def dispatch_sweep(*, now: datetime | None = None, batch: int = 200) -> int:
    """Beat: give the unassigned tickets (new, or escalated without an agent) of the levels that assign
    automatically to the agents who can take them now (someone came back, a shift began, a load went
    down); hand on the unstarted tickets of agents off duty (`_off_duty_tickets`); at the levels that
    assign by load, even the loads out (`_rebalance`). Rows another sweep or a person holds are skipped
    (SKIP LOCKED) and seen next time; a ticket no one can take stays. Returns the assignments made."""
    from ..selectors import active_policy_levels

    levels = active_policy_levels()
    if not levels:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(of=("self",), skip_locked=True).select_related("assignee", "requester")
            .filter(status__in=[Status.NEW, Status.IN_PROGRESS], assignee__isnull=True, level__in=levels)
            .order_by("response_due_at", "pk")[:batch]
        )
        made = len(tickets_dispatch(tickets=tickets, trigger=Trigger.SWEEP, now=now))
        holders = _off_duty_tickets(levels=levels, now=now)
        if holders:
            locked = [t for t in _lock(holders, skip_locked=True)
                      if t.status == Status.NEW and t.assignee_id == holders[t.pk]]
            made += len(tickets_dispatch(tickets=locked, trigger=Trigger.OFF_DUTY, now=now,
                                         excluded={t.pk: {t.assignee_id} for t in locked}))
        made += _rebalance(levels=levels, now=now)
    return made


def _off_duty_tickets(*, levels, now: datetime) -> dict[int, int]:
    """The unstarted tickets held by agents who cannot receive any now, at a level where someone can,
    and that would wait too long for them: the agent is away or absent, or will not be back in time to
    meet the ticket's next deadline (a lunch break does not move a ticket due tomorrow). {ticket: agent}."""
    states = agent_states(levels=levels, at=now, table=HandlingTable())
    found: dict[int, int] = {}
    for level_states in states.values():
        if not any(s.can_receive for s in level_states):
            continue
        for state in level_states:
            if state.can_receive or not state.queue:
                continue
            back = None
            if state.available and not state.absent and state.calendar is not None:
                back = add_working_time(now, timedelta(0), state.calendar)
            for queued_ticket in state.queue:
                if queued_ticket.started:
                    continue
                if back is None or queued_ticket.key is None or back + queued_ticket.work > queued_ticket.key:
                    found[queued_ticket.pk] = state.agent.pk
    return found


# An agent with this many more unstarted tickets than a present colleague hands one over.
REBALANCE_GAP = 2


def _rebalance(*, levels, now: datetime) -> int:
    """At the levels that assign by load (least-loaded, deadline-aware): while a present agent holds
    REBALANCE_GAP more open tickets than a present colleague who has the skill, hand the colleague the
    unstarted ticket the first would start last (the one that waits the longest), if the dispatch gave
    it (a person's choice of agent is kept). A shift that begins receives its share of the waiting work
    at once instead of waiting for new arrivals. Returns the tickets moved."""
    settings = level_settings()
    levels = [level for level in levels
              if settings.get(level) and settings[level].policy in (Policy.LEAST_LOADED, Policy.DEADLINE_AWARE)]
    if not levels:
        return 0
    table = HandlingTable()
    states = agent_states(levels=levels, at=now, table=table)
    present = {level: [s for s in level_states if s.can_receive] for level, level_states in states.items()}
    unstarted = [q.pk for level_states in present.values() for s in level_states for q in s.queue if not q.started]
    if not unstarted or not any(len(p) > 1 for p in present.values()):
        return 0
    automatic = set(Assignment.objects.filter(ticket_id__in=unstarted, refused_at__isnull=True)
                    .values_list("ticket_id", "agent_id"))
    tree = CategoryTree()
    far = datetime.max.replace(tzinfo=now.tzinfo)
    turn = max((s.rotation for level_states in states.values() for s in level_states), default=0)
    moves: dict[int, tuple[AgentState, int | None, AgentState]] = {}
    for level, agents in present.items():
        max_open = settings[level].max_open
        moved = True
        while moved:
            moved = False
            for donor in sorted(agents, key=lambda s: (-s.open_count, _rotation(s))):
                movable = sorted((q for q in donor.queue if not q.started and (q.pk, donor.agent.pk) in automatic),
                                 key=lambda q: (q.key or far, q.pk), reverse=True)
                for queued_ticket in movable:
                    wanted = tree.ancestors(queued_ticket.category_id)
                    receivers = []
                    for state in agents:
                        if state is donor or state.open_count > min(donor.open_count - REBALANCE_GAP, max_open - 1):
                            continue
                        skill = next((pk for pk in wanted if pk in state.skills), "none")
                        if skill == "none" and None not in state.skills:
                            continue
                        receivers.append((state, None if skill == "none" else skill))
                    if not receivers:
                        continue
                    state, skill = min(receivers, key=lambda r: (r[0].open_count, _rotation(r[0])))
                    donor.queue.remove(queued_ticket)
                    state.queue.append(queued_ticket)
                    turn += 1
                    state.rotation = turn
                    moves[queued_ticket.pk] = (state, skill, donor)
                    moved = True
                    break
                if moved:
                    break
    rescues: dict[int, tuple[AgentState, int | None, AgentState]] = {}
    for level, agents in present.items():
        if settings[level].policy == Policy.DEADLINE_AWARE and len(agents) > 1:
            rescues |= _rescue(agents, automatic, tree=tree, table=table, now=now, max_open=settings[level].max_open,
                               turn=turn)
            turn = max((s.rotation for s in agents), default=turn)
    moves = {pk: move for pk, move in moves.items() if pk not in rescues}
    if not moves and not rescues:
        return 0
    locked = [t for t in _lock(list(moves) + list(rescues), skip_locked=True)
              if t.status == Status.NEW and t.assignee_id == (moves.get(t.pk) or rescues[t.pk])[2].agent.pk]
    made = 0
    for chosen, trigger in ((moves, Trigger.REBALANCE), (rescues, Trigger.AT_RISK)):
        choices = []
        for ticket in (t for t in locked if t.pk in chosen):
            state, skill, _donor = chosen[ticket.pk]
            work, _p90 = table.handling(ticket.category_id, ticket.level)
            mine = [q for q in state.queue if q.pk != ticket.pk]
            margin = margin_with(_with_queue(state, mine), ticket, work, at=now)
            choices.append(Choice(ticket, state, skill, margin, open_count=len(mine)))
        made += len(_apply(choices, [], settings=settings, trigger=trigger, now=now))
    return made


def _with_queue(state: AgentState, queue: list[QueuedTicket]) -> AgentState:
    return AgentState(agent=state.agent, calendar=state.calendar, available=True, absent=False, present=True,
                      until=state.until, rotation=state.rotation, queue=queue)


@dataclass
class _Queued:
    """A queued ticket as margin_with and the choice read a ticket."""

    pk: int
    category_id: int | None
    level: str
    first_response_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None


def _rescue(agents: list[AgentState], automatic: set, *, tree: CategoryTree, table: HandlingTable, now: datetime,
            max_open: int, turn: int) -> dict[int, tuple[AgentState, int | None, AgentState]]:
    """At a deadline-aware level: an untaken ticket the dispatch gave, whose place in its agent's queue
    (the taken tickets first, then earliest deadline first) passes its next deadline, goes to the present colleague with the
    skill and room whose queue meets it, chosen as a new ticket is (_deadline_aware: the margin it needs,
    then the load); the most urgent tickets first. Only a colleague who meets the deadline receives it
    (a margin of zero or more, overtaken tickets included), so a ticket never moves back and forth.
    Returns {ticket: (receiver, skill, donor)} with the queues moved in memory."""
    far = datetime.max.replace(tzinfo=now.tzinfo)
    waiting = sorted(((q, donor) for donor in agents for q in donor.queue
                      if not q.started and q.key is not None and (q.pk, donor.agent.pk) in automatic),
                     key=lambda item: (item[0].key or far, item[0].pk))
    moves: dict[int, tuple[AgentState, int | None, AgentState]] = {}
    for queued_ticket, donor in waiting:
        ticket = _Queued(pk=queued_ticket.pk, category_id=queued_ticket.category_id, level=queued_ticket.level,
                         first_response_at=now if queued_ticket.responded else None,
                         response_due_at=queued_ticket.response_due_at,
                         resolution_due_at=queued_ticket.resolution_due_at)
        ahead = [q for q in donor.queue
                 if q.started or (q.key or far, q.pk) < (queued_ticket.key, queued_ticket.pk)]
        here = margin_with(_with_queue(donor, ahead), ticket, queued_ticket.work, at=now)
        if here is None or here >= timedelta(0):
            continue
        wanted = tree.ancestors(queued_ticket.category_id)
        candidates = []
        for state in agents:
            if state is donor or state.open_count >= max_open:
                continue
            skill = next((pk for pk in wanted if pk in state.skills), "none")
            if skill == "none" and None not in state.skills:
                continue
            candidates.append((state, None if skill == "none" else skill))
        if not candidates:
            continue
        choice = _deadline_aware(ticket, candidates, at=now, table=table)
        if choice.margin is None or choice.margin < timedelta(0):
            continue
        donor.queue.remove(queued_ticket)
        choice.state.queue.append(queued_ticket)
        turn += 1
        choice.state.rotation = turn
        moves[queued_ticket.pk] = (choice.state, choice.skill, donor)
    return moves


@transaction.atomic
def assignment_refuse(*, ticket: Ticket, actor, reason: str, now: datetime | None = None) -> Assignment | None:
    """The agent given the ticket refuses it, with a reason: the refusal is kept in the log and the
    timeline, and the ticket goes to the next agent the level's policy chooses (never one who already
    refused it), or back to the level's group. Only the ticket's assignee refuses, before taking it."""
    now = now or timezone.now()
    if not is_agent(actor):
        raise ActionRefused(_("Only agents refuse a ticket."), ticket=ticket)
    if not reason.strip():
        raise ActionRefused(_("Give the reason for refusing the ticket."), ticket=ticket)
    locked = _lock([ticket.pk])[0]
    if locked.assignee_id != actor.pk:
        raise ActionRefused(_("Only the agent the ticket is assigned to can refuse it."), ticket=locked)
    if locked.status != Status.NEW:
        raise ActionRefused(_("A ticket already taken cannot be refused; escalate it instead."), ticket=locked)
    last = (Assignment.objects.filter(ticket=locked, agent=actor, refused_at__isnull=True)
            .order_by("-created_at", "-pk").first())
    if last is not None:
        last.refused_at, last.refusal_reason = now, reason.strip()
        last.save(update_fields=["refused_at", "refusal_reason"])
    refused = set(Assignment.objects.filter(ticket=locked, refused_at__isnull=False).values_list("agent_id", flat=True))
    refusal = {"name": actor.get_full_name() or actor.get_username(), "reason": reason.strip()}
    rows = tickets_dispatch(tickets=[locked], trigger=Trigger.REFUSED, now=now,
                            excluded={locked.pk: refused | {actor.pk}}, refusal=refusal, unassign_unmatched=True)
    return rows[0] if rows else None


@transaction.atomic
def agent_set_availability(*, agent, actor, available: bool, now: datetime | None = None) -> AgentProfile:
    """Switch the agent's available/away toggle (the agent or a manager). Going away hands the tickets
    they have not started yet to the others (tickets_dispatch) or back to the level's group."""
    if not is_agent(agent):
        raise ActionRefused(_("Only agents have an availability."))
    if actor.pk != agent.pk and not is_manager(actor):
        raise ActionRefused(_("Only the agent or a manager changes this availability."))
    now = now or timezone.now()
    profile, _created = AgentProfile.objects.select_for_update().get_or_create(agent=agent)
    if profile.is_available == available:
        return profile
    profile.is_available = available
    profile.updated_at = now
    profile.save(update_fields=["is_available", "updated_at"])
    if not available:
        unstarted = (Ticket.objects.filter(assignee=agent, status=Status.NEW).values_list("pk", flat=True))
        tickets = _lock(unstarted)
        tickets_dispatch(tickets=tickets, trigger=Trigger.AWAY, now=now,
                         excluded={t.pk: {agent.pk} for t in tickets}, unassign_unmatched=True)
    return profile


@transaction.atomic
def agent_dispatch_save(*, agent, actor, calendar, skills: dict[str, list[int | None]]) -> AgentProfile:
    """A manager sets an agent's working hours and their skills at each level given ({level: category
    ids, or [None] for every category}; an empty list removes the level's skills). The rows are
    replaced, and the reference cache of the skilled levels renewed (skills_changed receives the
    deletes; the bulk insert sends no signal)."""
    if not is_manager(actor):
        raise ActionRefused(_("Only a manager sets the agents' skills and hours."))
    if not is_agent(agent):
        raise ActionRefused(_("Only agents have skills and working hours."))
    profile, _created = AgentProfile.objects.select_for_update().get_or_create(agent=agent)
    if profile.calendar_id != (calendar.pk if calendar else None):
        profile.calendar = calendar
        profile.updated_at = timezone.now()
        profile.save(update_fields=["calendar", "updated_at"])
    Skill.objects.filter(agent=agent, level__in=list(skills)).delete()
    Skill.objects.bulk_create([Skill(agent=agent, level=level, category_id=category_id)
                               for level, categories in skills.items() for category_id in categories])
    invalidate(SKILLED_LEVELS)
    return profile
