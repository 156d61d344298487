"""Ticket.transitions_offered: the status moves the workspace offers, decided beside the state machine."""

from __future__ import annotations

from tests.factories import UserFactory, advance, make_ticket


def test_a_new_ticket_offers_take_to_an_agent_even_before_its_form_supplies_what_the_guard_checks(
        requester, agent_n1):
    ticket = make_ticket(requester=requester)
    ticket.ticket_type = ""  # the take form collects the type: the stored ticket fails the guard

    assert "take" in ticket.transitions_offered(agent_n1)
    assert ticket.transitions_offered(requester) == set()


def test_the_assignee_is_offered_wait_and_resolve_and_the_requester_nothing_of_the_agents(requester, agent_n1):
    ticket = advance(make_ticket(requester=requester), to="in_progress", agent=agent_n1)

    offered = ticket.transitions_offered(agent_n1)

    assert {"wait", "resolve"} <= offered  # resolve although no solution is stored yet: its form supplies it
    assert not {"wait", "resolve", "take"} & ticket.transitions_offered(requester)


def test_another_agent_of_the_level_may_take_over_to_resolve_but_not_one_of_another_level(requester, agent_n1):
    ticket = advance(make_ticket(requester=requester), to="in_progress", agent=agent_n1)
    colleague = UserFactory(username="agent1b", groups=[ticket.level])
    elsewhere = UserFactory(username="agent4", groups=["N4" if ticket.level != "N4" else "N3"])

    assert "resolve" in ticket.transitions_offered(colleague)
    assert "resolve" not in ticket.transitions_offered(elsewhere)
