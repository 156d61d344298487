"""Refusing an automatic assignment passes the ticket on; going away hands unstarted tickets over."""

from __future__ import annotations

import pytest

from core.exceptions import ActionRefused
from dispatch.models import AgentProfile, Assignment, Policy, Trigger
from dispatch.services import agent_set_availability, assignment_refuse
from tests.factories import advance, make_ticket
from tickets.models import EventKind

from .conftest import set_policy


def _assigned(requester, erp):
    ticket = make_ticket(requester=requester, category=erp)
    ticket.refresh_from_db()
    return ticket


def test_a_refused_ticket_goes_to_the_next_agent_with_the_reason(team, requester, erp):
    set_policy(Policy.ROUND_ROBIN)
    ticket = _assigned(requester, erp)
    assert ticket.assignee == team["julien"]
    row = assignment_refuse(ticket=ticket, actor=team["julien"], reason="Je ne connais pas ce module")
    ticket.refresh_from_db()
    assert row.agent == ticket.assignee == team["sarah"]
    assert row.trigger == Trigger.REFUSED
    refused = Assignment.objects.get(ticket=ticket, agent=team["julien"])
    assert refused.refusal_reason == "Je ne connais pas ce module" and refused.refused_at is not None
    event = ticket.events.filter(kind=EventKind.ASSIGNED).latest("pk")
    assert event.data["why"]["refusal"]["reason"] == "Je ne connais pas ce module"


def test_a_ticket_refused_by_everyone_goes_back_to_the_level(team, requester, erp):
    set_policy(Policy.ROUND_ROBIN)
    ticket = _assigned(requester, erp)
    for _i in range(3):
        assignment_refuse(ticket=ticket, actor=ticket.assignee, reason="Pas moi")
        ticket.refresh_from_db()
    assert ticket.assignee is None


def test_only_the_assignee_refuses_with_a_reason_before_taking_it(team, requester, erp):
    set_policy(Policy.ROUND_ROBIN)
    ticket = _assigned(requester, erp)
    with pytest.raises(ActionRefused):
        assignment_refuse(ticket=ticket, actor=team["sarah"], reason="Pas moi")
    with pytest.raises(ActionRefused):
        assignment_refuse(ticket=ticket, actor=team["julien"], reason="   ")
    with pytest.raises(ActionRefused):
        assignment_refuse(ticket=ticket, actor=requester, reason="Non")
    advance(ticket, to="in_progress", agent=team["julien"])
    with pytest.raises(ActionRefused):
        assignment_refuse(ticket=ticket, actor=team["julien"], reason="Trop tard")


def test_going_away_redistributes_the_unstarted_tickets_only(team, requester, erp):
    set_policy(Policy.ROUND_ROBIN)
    tickets = [_assigned(requester, erp) for _i in range(4)]  # julien, sarah, marc, julien
    started = advance(tickets[0], to="in_progress", agent=team["julien"])
    agent_set_availability(agent=team["julien"], actor=team["julien"], available=False)
    assert AgentProfile.objects.get(agent=team["julien"]).is_available is False
    started.refresh_from_db()
    tickets[3].refresh_from_db()
    assert started.assignee == team["julien"]
    assert tickets[3].assignee in (team["sarah"], team["marc"])
    assert Assignment.objects.filter(ticket=tickets[3], trigger=Trigger.AWAY).exists()


def test_going_away_with_nobody_to_take_over_hands_back_to_the_level(team, requester, erp):
    set_policy(Policy.ROUND_ROBIN)
    for name in ("sarah", "marc"):
        AgentProfile.objects.filter(agent=team[name]).update(is_available=False)
    ticket = _assigned(requester, erp)
    assert ticket.assignee == team["julien"]
    agent_set_availability(agent=team["julien"], actor=team["julien"], available=False)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_only_the_agent_or_a_manager_changes_the_availability(team, manager, requester):
    with pytest.raises(ActionRefused):
        agent_set_availability(agent=team["julien"], actor=team["sarah"], available=False)
    with pytest.raises(ActionRefused):
        agent_set_availability(agent=requester, actor=requester, available=False)
    agent_set_availability(agent=team["julien"], actor=manager, available=False)
    assert AgentProfile.objects.get(agent=team["julien"]).is_available is False
