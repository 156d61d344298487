"""Followups: public replies and private notes (the specification, "The ticket" and "Status")."""

from __future__ import annotations

import pytest

from core.exceptions import ActionRefused
from tests.factories import advance
from tickets import services
from tickets.models import EventKind, Followup, Status, Ticket
from tickets.selectors import ticket_timeline


def _stored(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# --- Public and private


def test_a_requesters_followup_is_always_public_even_if_asked_to_be_private(ticket, requester):
    result = services.followup_add(ticket=ticket, author=requester, body="Une précision.", is_public=False)

    assert result.followup.is_public
    assert Followup.objects.get(pk=result.followup.pk).is_public
    event = ticket.events.get(followup=result.followup)
    assert (event.kind, event.is_public, event.actor) == (EventKind.FOLLOWUP, True, requester)


def test_a_private_note_is_hidden_from_the_requesters_timeline_but_shown_to_agents(ticket, requester, agent_n1,
                                                                                    agent_n2):
    note = services.followup_add(ticket=ticket, author=agent_n1, body="Client difficile.", is_public=False).followup

    assert not note.is_public
    event = ticket.events.get(followup=note)
    assert (event.kind, event.is_public) == (EventKind.NOTE, False)
    assert all(e.followup_id != note.pk for e in ticket_timeline(ticket=ticket, user=requester))
    assert event in ticket_timeline(ticket=ticket, user=agent_n1)
    assert event in ticket_timeline(ticket=ticket, user=agent_n2)


def test_a_public_agent_reply_is_in_the_requesters_timeline(ticket, requester, agent_n1):
    reply = services.followup_add(ticket=ticket, author=agent_n1, body="Avez-vous redémarré ?").followup

    assert reply.is_public
    assert ticket.events.get(followup=reply) in ticket_timeline(ticket=ticket, user=requester)


# --- A requester's reply resumes a waiting ticket


def test_a_requesters_reply_on_a_waiting_ticket_resumes_it(ticket, requester, agent_n1):
    ticket = advance(ticket, to="waiting", agent=agent_n1)

    result = services.followup_add(ticket=ticket, author=requester, body="Version 2.4.")

    assert result.ticket.pk == ticket.pk
    stored = _stored(ticket)
    assert stored.status == Status.IN_PROGRESS
    assert stored.waiting_since is None
    resume = ticket.events.filter(kind=EventKind.TRANSITION).latest("id")
    assert resume.actor == requester
    assert (resume.data["transition"], resume.data["from"], resume.data["to"]) == (
        "resume", Status.WAITING, Status.IN_PROGRESS,
    )


def test_an_agents_reply_leaves_a_waiting_ticket_waiting(ticket, agent_n1):
    ticket = advance(ticket, to="waiting", agent=agent_n1)

    services.followup_add(ticket=ticket, author=agent_n1, body="Une relance.")

    assert _stored(ticket).status == Status.WAITING


@pytest.mark.parametrize("status", ["new", "in_progress", "resolved"])
def test_a_requesters_reply_does_not_change_the_status_of_a_ticket_that_is_not_waiting(ticket, requester,
                                                                                       agent_n1, status):
    if status != "new":
        ticket = advance(ticket, to=status, agent=agent_n1)

    services.followup_add(ticket=ticket, author=requester, body="Une précision.")

    assert _stored(ticket).status == status


# --- First response


def test_an_agents_first_public_reply_is_the_first_response(ticket, agent_n1):
    reply = services.followup_add(ticket=ticket, author=agent_n1, body="Nous regardons.").followup

    assert _stored(ticket).first_response_at == reply.created_at


def test_a_later_public_reply_does_not_move_the_first_response(ticket, agent_n1, agent_n2):
    first = services.followup_add(ticket=ticket, author=agent_n1, body="Nous regardons.").followup
    services.followup_add(ticket=ticket, author=agent_n2, body="Toujours en cours.")

    assert _stored(ticket).first_response_at == first.created_at


def test_a_private_note_is_not_a_first_response(ticket, agent_n1):
    services.followup_add(ticket=ticket, author=agent_n1, body="À voir demain.", is_public=False)

    assert _stored(ticket).first_response_at is None


def test_a_requesters_reply_is_not_a_first_response(ticket, requester):
    services.followup_add(ticket=ticket, author=requester, body="Alors ?")

    assert _stored(ticket).first_response_at is None


# --- Closed tickets


def test_a_requester_writing_on_a_closed_ticket_gets_a_new_ticket_linked_to_it(ticket, requester, agent_n1):
    closed = advance(ticket, to="closed", agent=agent_n1)
    followups_before = closed.followups.count()

    result = services.followup_add(ticket=closed, author=requester, body="La panne est revenue.")

    new = result.ticket
    assert result.followup is None
    assert new.pk != closed.pk
    assert new.parent == closed
    assert Ticket.objects.get(pk=new.pk).parent_id == closed.pk
    assert (new.requester, new.status, new.description) == (requester, Status.NEW, "La panne est revenue.")
    assert closed.reference in new.title
    stored = _stored(closed)
    assert stored.status == Status.CLOSED
    assert closed.followups.count() == followups_before
    linked = closed.events.get(kind=EventKind.LINKED)
    assert (linked.actor, linked.data["reference"]) == (requester, new.reference)
    assert list(closed.follow_on_tickets.all()) == [new]


def test_an_agents_public_reply_on_a_closed_ticket_is_refused(ticket, agent_n1):
    closed = advance(ticket, to="closed", agent=agent_n1)
    before = (closed.followups.count(), closed.events.count(), Ticket.objects.count())

    with pytest.raises(ActionRefused) as excinfo:
        services.followup_add(ticket=closed, author=agent_n1, body="Un dernier mot.")

    assert str(excinfo.value.message).strip()
    assert (closed.followups.count(), closed.events.count(), Ticket.objects.count()) == before
    assert _stored(closed).status == Status.CLOSED


def test_an_agent_may_still_add_a_private_note_to_a_closed_ticket(ticket, agent_n1):
    closed = advance(ticket, to="closed", agent=agent_n1)

    note = services.followup_add(ticket=closed, author=agent_n1, body="Pour mémoire.", is_public=False).followup

    assert not note.is_public
    assert _stored(closed).status == Status.CLOSED


# --- Empty messages


@pytest.mark.parametrize("body", ["", "  \n\t "])
@pytest.mark.parametrize("role", ["requester", "agent_n1"])
def test_an_empty_followup_is_refused(request, ticket, role, body):
    before = (ticket.followups.count(), ticket.events.count())

    with pytest.raises(ActionRefused) as excinfo:
        services.followup_add(ticket=ticket, author=request.getfixturevalue(role), body=body)

    assert str(excinfo.value.message).strip()
    assert (ticket.followups.count(), ticket.events.count()) == before


def test_an_empty_reply_on_a_closed_ticket_opens_no_new_ticket(ticket, requester, agent_n1):
    closed = advance(ticket, to="closed", agent=agent_n1)
    count = Ticket.objects.count()

    with pytest.raises(ActionRefused):
        services.followup_add(ticket=closed, author=requester, body="   ")

    assert Ticket.objects.count() == count
