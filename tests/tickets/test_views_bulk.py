"""Bulk actions: each ticket goes through its service; refusals are listed, the others proceed."""

import pytest
from django.urls import reverse

from escalation.models import Escalation
from tests.factories import advance, make_ticket


@pytest.fixture
def agent_client(client, agent_n1):
    client.force_login(agent_n1)
    return client


def test_bulk_take_with_a_mix_of_allowed_and_refused_tickets(agent_client, requester, agent_n1, agent_n2, category):
    new_one = make_ticket(requester=requester, category=category)
    new_two = make_ticket(requester=requester, category=category)
    already_taken = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n2)

    response = agent_client.post(reverse("agent:bulk"), {
        "tickets": [new_one.reference, already_taken.reference, new_two.reference], "action": "take",
    })

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="bulk-refused"' in page and already_taken.reference in page
    for ticket in (new_one, new_two):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.assignee) == ("in_progress", agent_n1)
        assert ticket.events.filter(kind="transition", data__transition="take").count() == 1
    already_taken.refresh_from_db()
    assert already_taken.assignee == agent_n2


def test_bulk_assign_all_allowed_redirects_back_to_the_queue(agent_client, requester, agent_n2, category):
    tickets = [make_ticket(requester=requester, category=category) for _ in range(3)]

    response = agent_client.post(reverse("agent:bulk"), {
        "tickets": [t.reference for t in tickets], "action": "assign", "assignee": agent_n2.pk,
        "next": "/agent/?view=unassigned",
    })

    assert response.status_code == 302
    assert response["Location"] == "/agent/?view=unassigned"
    assert {t.assignee for t in (type(tickets[0]).objects.filter(pk__in=[t.pk for t in tickets]))} == {agent_n2}


def test_bulk_redirect_never_leaves_the_site(agent_client, requester, category):
    ticket = make_ticket(requester=requester, category=category)

    response = agent_client.post(reverse("agent:bulk"), {
        "tickets": [ticket.reference], "action": "take", "next": "https://evil.example/",
    })

    assert response["Location"] == reverse("agent:queue")


def test_bulk_priority_change_needs_a_reason_and_keeps_it_in_each_history(agent_client, requester, category):
    tickets = [make_ticket(requester=requester, category=category) for _ in range(2)]

    refused = agent_client.post(reverse("agent:bulk"), {
        "tickets": [t.reference for t in tickets], "action": "priority", "priority": "P1",
    })
    assert refused.status_code == 400
    assert all(t.priority == "P3" for t in type(tickets[0]).objects.filter(pk__in=[t.pk for t in tickets]))

    agent_client.post(reverse("agent:bulk"), {
        "tickets": [t.reference for t in tickets], "action": "priority", "priority": "P1", "reason": "panne générale",
    })
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.priority == "P1"
        assert ticket.events.get(kind="priority_changed").data["reason"] == "panne générale"


FOLLOWUP = "Réseau du site B en cause : ping perdu vers la passerelle, pas pour le N1."


def test_bulk_escalation_goes_through_the_escalation_rules_and_log(agent_client, requester, category):
    ticket = make_ticket(requester=requester, category=category)

    agent_client.post(reverse("agent:bulk"), {
        "tickets": [ticket.reference], "action": "escalate", "reason_code": "skill_unavailable",
        "followup": FOLLOWUP,
    })

    ticket.refresh_from_db()
    assert ticket.level == "N2"
    escalation = Escalation.objects.get(ticket=ticket)
    assert (escalation.reason, escalation.followup.body) == ("skill_unavailable", FOLLOWUP)
    assert escalation.followup.is_public is False


@pytest.mark.parametrize("data", [{"reason_code": "", "followup": FOLLOWUP},
                                  {"reason_code": "skill_unavailable", "followup": "trop court"}])
def test_bulk_escalation_needs_a_reason_and_a_detailed_followup(agent_client, requester, category, data):
    ticket = make_ticket(requester=requester, category=category)

    response = agent_client.post(reverse("agent:bulk"), {"tickets": [ticket.reference], "action": "escalate", **data})

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.level == "N1"
    assert not Escalation.objects.filter(ticket=ticket).exists()


def test_unknown_references_are_listed_as_refused(agent_client, requester, category):
    ticket = make_ticket(requester=requester, category=category)

    response = agent_client.post(reverse("agent:bulk"), {
        "tickets": [ticket.reference, "2000-999999"], "action": "take",
    })

    assert "2000-999999" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_requester_gets_404_on_bulk(client, requester, category):
    ticket = make_ticket(requester=requester, category=category)
    client.force_login(requester)

    assert client.post(reverse("agent:bulk"), {"tickets": [ticket.reference], "action": "take"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "new"
