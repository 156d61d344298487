"""The ticket's finite-state machine (the specification, "Status: a finite-state machine"), through the services.

Every (transition, source status) pair is tried; for the allowed ones, every member of the cast.
A refused move raises ActionRefused with a message and leaves the row as it was.
"""

from __future__ import annotations

import pytest
from django_fsm import can_proceed

from accounts.roles import Level, is_agent
from core.exceptions import ActionRefused
from tests.factories import advance, make_ticket
from tickets import services
from tickets.models import EventKind, Status, Ticket, TicketType
from tickets.services._rows import GUARD_MESSAGES

TRANSITIONS = {
    # name: (source, target), as in the specification's table
    "take": (Status.NEW, Status.IN_PROGRESS),
    "wait": (Status.IN_PROGRESS, Status.WAITING),
    "resume": (Status.WAITING, Status.IN_PROGRESS),
    "resolve": (Status.IN_PROGRESS, Status.RESOLVED),
    "reopen": (Status.RESOLVED, Status.IN_PROGRESS),
    "close": (Status.RESOLVED, Status.CLOSED),
}

# The source statuses the model declares: the table above, escalate (the level goes up, the status
# stays), and merge (an agent closes a duplicate into the ticket it duplicates).
MODEL_SOURCES = {
    **{name: {source} for name, (source, _target) in TRANSITIONS.items()},
    "escalate": {Status.IN_PROGRESS},
    "merge": {Status.NEW, Status.IN_PROGRESS, Status.WAITING},
}

# Who may do each transition, once the ticket is in its source status and assigned to agent_n1.
ROLES = ("requester", "other_requester", "agent_n1", "agent_n2", "manager")
ALLOWED_ROLES = {
    "take": {"agent_n1", "agent_n2", "manager"},
    "wait": {"agent_n1", "agent_n2", "manager"},
    "resume": {"agent_n1", "agent_n2", "manager", "requester"},  # the requester by replying
    "resolve": {"agent_n1"},  # the assigned agent only
    "reopen": {"agent_n1", "agent_n2", "manager", "requester"},
    "close": {"requester"},  # the requester confirms (the auto-close job acts as nobody)
}
# A member of the cast allowed to do the transition, for the source-status table.
ALLOWED_ACTOR = {"take": "agent_n1", "wait": "agent_n1", "resume": "agent_n1", "resolve": "agent_n1",
                 "reopen": "requester", "close": "requester"}


def do(name: str, *, ticket: Ticket, actor, by_reply: bool = True) -> Ticket:
    """Run transition `name` through its service, with valid inputs for its guard. A requester
    resumes a waiting ticket by replying to it (`by_reply`), not through ticket_resume."""
    if name == "take":
        return services.ticket_take(ticket=ticket, actor=actor)
    if name == "wait":
        return services.ticket_wait(ticket=ticket, actor=actor, message="Quelle version utilisez-vous ?")
    if name == "resume":
        if is_agent(actor) or not by_reply:
            return services.ticket_resume(ticket=ticket, actor=actor)
        return services.followup_add(ticket=ticket, author=actor, body="Version 2.4.").ticket
    if name == "resolve":
        return services.ticket_resolve(ticket=ticket, actor=actor, solution="Pilote réinstallé.")
    if name == "reopen":
        return services.ticket_reopen(ticket=ticket, actor=actor, reason="Toujours en panne.")
    if name == "close":
        return services.ticket_close(ticket=ticket, actor=actor)
    raise AssertionError(name)


def in_status(ticket: Ticket, status: str, *, agent) -> Ticket:
    """The ticket walked to `status` through the services, assigned to `agent`."""
    return ticket if status == Status.NEW else advance(ticket, to=status, agent=agent)


def row(ticket: Ticket) -> dict:
    return Ticket.objects.values("status", "version").get(pk=ticket.pk)


def assert_refused(call, ticket: Ticket) -> ActionRefused:
    """`call` raises ActionRefused with a message; the row and its history stay as they were."""
    before, events_before = row(ticket), ticket.events.count()
    with pytest.raises(ActionRefused) as excinfo:
        call()
    assert str(excinfo.value.message).strip()
    assert row(ticket) == before
    assert ticket.events.count() == events_before
    return excinfo.value


def transition_events(ticket: Ticket) -> list:
    return list(ticket.events.filter(kind=EventKind.TRANSITION).order_by("id"))


# --- The table: which transition from which status


@pytest.mark.parametrize("source", Status.values)
@pytest.mark.parametrize("name", TRANSITIONS)
def test_a_transition_is_allowed_from_its_source_status_only(request, ticket, agent_n1, name, source):
    ticket = in_status(ticket, source, agent=agent_n1)
    actor = request.getfixturevalue(ALLOWED_ACTOR[name])
    expected_source, target = TRANSITIONS[name]

    if source == expected_source:
        version = ticket.version
        moved = do(name, ticket=ticket, actor=actor)
        assert moved.status == target
        assert row(ticket)["status"] == target
        assert row(ticket)["version"] > version
    else:
        refused = assert_refused(lambda: do(name, ticket=ticket, actor=actor), ticket)
        assert str(Status(source).label) in str(refused.message)


@pytest.mark.parametrize("source", Status.values)
@pytest.mark.parametrize("name", MODEL_SOURCES)
def test_the_model_declares_each_transition_from_the_statuses_of_the_spec(name, source):
    unsaved = Ticket(status=source)

    assert can_proceed(getattr(unsaved, name), check_conditions=False) is (source in MODEL_SOURCES[name])


# --- Who may do each allowed transition


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", TRANSITIONS)
def test_only_the_roles_of_the_spec_may_do_a_transition(request, ticket, agent_n1, name, role):
    ticket = in_status(ticket, TRANSITIONS[name][0], agent=agent_n1)
    actor = request.getfixturevalue(role)

    if role in ALLOWED_ROLES[name]:
        assert do(name, ticket=ticket, actor=actor).status == TRANSITIONS[name][1]
        assert row(ticket)["status"] == TRANSITIONS[name][1]
    else:
        assert_refused(lambda: do(name, ticket=ticket, actor=actor), ticket)


def test_a_manager_counts_as_an_agent_and_resolves_the_tickets_they_took(ticket, manager):
    taken = services.ticket_take(ticket=ticket, actor=manager)

    resolved = services.ticket_resolve(ticket=taken, actor=manager, solution="Câble remplacé.")

    assert taken.assignee == manager
    assert resolved.status == Status.RESOLVED


def test_an_agent_may_not_close_a_resolved_ticket_in_the_requesters_place(ticket, agent_n1, manager):
    resolved = advance(ticket, to="resolved", agent=agent_n1)

    for actor in (agent_n1, manager):
        assert_refused(lambda actor=actor: services.ticket_close(ticket=resolved, actor=actor), resolved)


# --- Guards


def test_take_is_refused_until_the_category_is_set(requester, agent_n1, category):
    uncategorised = services.ticket_create(requester=requester, title="Wifi", description="Coupé.",
                                           ticket_type=TicketType.INCIDENT, urgency="medium", impact="medium")

    refused = assert_refused(lambda: services.ticket_take(ticket=uncategorised, actor=agent_n1), uncategorised)
    taken = services.ticket_take(ticket=uncategorised, actor=agent_n1, category=category)

    assert refused.message == GUARD_MESSAGES["take"]()
    assert taken.status == Status.IN_PROGRESS
    assert Ticket.objects.get(pk=taken.pk).category == category


def test_take_is_refused_until_the_type_is_set(requester, agent_n1, category):
    untyped = services.ticket_create(requester=requester, title="Wifi", description="Coupé.", ticket_type="",
                                     urgency="medium", impact="medium", category=category)

    refused = assert_refused(lambda: services.ticket_take(ticket=untyped, actor=agent_n1), untyped)
    taken = services.ticket_take(ticket=untyped, actor=agent_n1, ticket_type=TicketType.BUG_REPORT)

    assert refused.message == GUARD_MESSAGES["take"]()
    assert Ticket.objects.get(pk=taken.pk).ticket_type == TicketType.BUG_REPORT


@pytest.mark.parametrize("message", ["", "   \n "])
def test_wait_is_refused_without_a_message_saying_what_is_awaited(ticket, agent_n1, message):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)

    assert_refused(lambda: services.ticket_wait(ticket=ticket, actor=agent_n1, message=message), ticket)
    assert not ticket.followups.exists()


def test_wait_posts_its_message_as_a_public_followup(ticket, agent_n1):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)

    services.ticket_wait(ticket=ticket, actor=agent_n1, message="Envoyez une capture d'écran.")

    followup = ticket.followups.get()
    assert followup.is_public
    assert followup.body == "Envoyez une capture d'écran."


@pytest.mark.parametrize("solution", ["", "  \n\t"])
def test_resolve_is_refused_without_a_written_solution(ticket, agent_n1, solution):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)

    refused = assert_refused(
        lambda: services.ticket_resolve(ticket=ticket, actor=agent_n1, solution=solution), ticket
    )

    assert refused.message == GUARD_MESSAGES["resolve"]()
    assert Ticket.objects.get(pk=ticket.pk).solution == ""


def test_resolve_is_refused_to_an_agent_who_is_not_the_assignee(ticket, agent_n1, agent_n2):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)

    assert_refused(lambda: services.ticket_resolve(ticket=ticket, actor=agent_n2, solution="Fait."), ticket)
    services.ticket_assign(ticket=ticket, actor=agent_n1, assignee=agent_n2)
    resolved = services.ticket_resolve(ticket=ticket, actor=agent_n2, solution="Fait.")

    assert resolved.status == Status.RESOLVED


def test_resolve_on_an_unassigned_ticket_is_refused_to_whoever_is_not_of_its_level(ticket, agent_n1, agent_n2,
                                                                                   manager):
    # An agent of the ticket's level takes it over and resolves it (tests/tickets/test_views_workspace.py).
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    services.ticket_assign(ticket=ticket, actor=manager, assignee=None)

    for actor in (agent_n2, manager):
        assert_refused(lambda actor=actor: services.ticket_resolve(ticket=ticket, actor=actor, solution="Fait."),
                       ticket)


@pytest.mark.parametrize("reason", ["", "  "])
@pytest.mark.parametrize("role", ["requester", "agent_n1"])
def test_reopen_is_refused_without_a_reason(request, ticket, agent_n1, role, reason):
    ticket = advance(ticket, to="resolved", agent=agent_n1)

    assert_refused(lambda: services.ticket_reopen(ticket=ticket, actor=request.getfixturevalue(role),
                                                  reason=reason), ticket)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", TRANSITIONS)
def test_closed_is_final(request, ticket, agent_n1, name, role):
    ticket = advance(ticket, to="closed", agent=agent_n1)

    # (A requester's reply to a closed ticket opens a new ticket: see test_followups.py.)
    assert_refused(lambda: do(name, ticket=ticket, actor=request.getfixturevalue(role), by_reply=False),
                   ticket)
    assert row(ticket)["status"] == Status.CLOSED


def test_no_transition_of_the_model_leaves_closed(ticket, agent_n1):
    closed = Ticket.objects.get(pk=advance(ticket, to="closed", agent=agent_n1).pk)

    assert list(closed.get_available_status_transitions()) == []


def test_escalate_keeps_the_ticket_in_progress_and_raises_its_level(ticket, agent_n1, agent_n2):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)

    escalated = services.ticket_set_level(ticket=ticket, actor=agent_n1, level=Level.N2,
                                          reason="Compétence", assignee=agent_n2).ticket

    assert row(ticket)["status"] == Status.IN_PROGRESS
    assert Ticket.objects.get(pk=ticket.pk).level == Level.N2
    assert escalated.assignee == agent_n2


def test_escalate_is_not_available_at_the_top_level(ticket, agent_n1):
    ticket = Ticket.objects.get(pk=advance(ticket, to="in_progress", agent=agent_n1).pk)
    ticket.level = Level.N3
    below_top = can_proceed(ticket.escalate)
    ticket.level = Level.N4

    assert below_top
    assert not can_proceed(ticket.escalate)


# --- The status field is protected


def test_assigning_the_status_directly_raises(ticket):
    loaded = Ticket.objects.get(pk=ticket.pk)

    with pytest.raises(AttributeError):
        loaded.status = Status.CLOSED
    with pytest.raises(AttributeError):
        ticket.status = Status.RESOLVED
    assert row(ticket)["status"] == Status.NEW


def test_a_ticket_with_a_protected_status_can_still_be_refreshed_from_the_database(ticket, agent_n1):
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_take(ticket=ticket, actor=agent_n1)

    stale.refresh_from_db()

    assert stale.status == Status.IN_PROGRESS


# --- Effects and history


def test_take_assigns_the_agent_and_counts_as_the_first_response(ticket, agent_n1):
    assert ticket.first_response_at is None

    services.ticket_take(ticket=ticket, actor=agent_n1)

    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.assignee == agent_n1
    assert stored.first_response_at is not None


def test_take_keeps_the_first_response_time_it_already_had(ticket, agent_n1):
    services.followup_add(ticket=ticket, author=agent_n1, body="Nous regardons.")
    answered_at = Ticket.objects.get(pk=ticket.pk).first_response_at

    services.ticket_take(ticket=ticket, actor=agent_n1)

    assert Ticket.objects.get(pk=ticket.pk).first_response_at == answered_at


def test_resolve_sets_resolved_at_and_keeps_the_solution(ticket, agent_n1):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)

    services.ticket_resolve(ticket=ticket, actor=agent_n1, solution="  Pilote réinstallé.  ")

    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.resolved_at is not None
    assert stored.solution == "Pilote réinstallé."


def test_reopen_counts_each_reopening_and_clears_resolved_at(ticket, agent_n1, requester):
    ticket = advance(ticket, to="resolved", agent=agent_n1)

    services.ticket_reopen(ticket=ticket, actor=requester, reason="Toujours en panne.")
    first = Ticket.objects.get(pk=ticket.pk)
    services.ticket_resolve(ticket=first, actor=agent_n1, solution="Pilote réinstallé, encore.")
    services.ticket_reopen(ticket=first, actor=agent_n1, reason="Le requérant rappelle.")
    second = Ticket.objects.get(pk=ticket.pk)

    assert (first.reopen_count, first.resolved_at) == (1, None)
    assert (second.reopen_count, second.resolved_at) == (2, None)


def test_close_sets_closed_at(ticket, agent_n1):
    closed = advance(ticket, to="closed", agent=agent_n1)

    assert Ticket.objects.get(pk=closed.pk).closed_at is not None


@pytest.mark.parametrize("name", TRANSITIONS)
def test_each_transition_records_a_history_event_with_its_actor_and_statuses(request, ticket, agent_n1, name):
    source, target = TRANSITIONS[name]
    ticket = in_status(ticket, source, agent=agent_n1)
    actor = request.getfixturevalue(ALLOWED_ACTOR[name])
    before = len(transition_events(ticket))

    do(name, ticket=ticket, actor=actor)

    events = transition_events(ticket)
    assert len(events) == before + 1
    event = events[-1]
    assert event.actor == actor
    assert (event.data["transition"], event.data["from"], event.data["to"]) == (name, source, target)


def test_a_refused_transition_records_nothing(ticket, requester):
    assert_refused(lambda: services.ticket_take(ticket=ticket, actor=requester), ticket)

    assert transition_events(ticket) == []


def test_a_full_walk_records_every_transition_in_order(requester, agent_n1, category):
    ticket = make_ticket(requester=requester, category=category)

    ticket = services.ticket_take(ticket=ticket, actor=agent_n1)
    ticket = services.ticket_wait(ticket=ticket, actor=agent_n1, message="Quel modèle ?")
    ticket = services.ticket_resume(ticket=ticket, actor=agent_n1)
    ticket = services.ticket_resolve(ticket=ticket, actor=agent_n1, solution="Fait.")
    ticket = services.ticket_reopen(ticket=ticket, actor=requester, reason="Non.")
    ticket = services.ticket_resolve(ticket=ticket, actor=agent_n1, solution="Fait, vraiment.")
    ticket = services.ticket_close(ticket=ticket, actor=requester)

    assert [(e.data["transition"], e.data["from"], e.data["to"]) for e in transition_events(ticket)] == [
        ("take", "new", "in_progress"),
        ("wait", "in_progress", "waiting"),
        ("resume", "waiting", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("reopen", "resolved", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("close", "resolved", "closed"),
    ]
