"""A requester cannot set what the rules decide: status, level, priority (override), assignee."""

from __future__ import annotations

from tickets.models import Ticket


def test_creating_a_ticket_ignores_status_level_priority_and_assignee(as_requester, requester, agent_n1, category):
    response = as_requester.post("/api/v1/tickets/", {
        "title": "Imprimante", "description": "Bourrage papier.", "category": category.pk,
        "urgency": "low", "impact": "low",
        "status": "closed", "level": "N4", "priority": "P1", "priority_overridden": True,
        "assignee": agent_n1.pk, "requester": agent_n1.pk, "reference": "2000-000001", "version": 99,
        "sla_state": "breached", "solution": "rien",
    })

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.level, ticket.priority, ticket.priority_overridden) == ("new", "N1", "P4", False)
    assert ticket.assignee is None and ticket.requester == requester
    assert ticket.reference != "2000-000001" and ticket.version == 1 and ticket.solution == ""


def test_there_is_no_way_to_edit_a_ticket_directly(as_requester, as_agent, ticket):
    for client in (as_requester, as_agent):
        for method in (client.put, client.patch):
            response = method(f"/api/v1/tickets/{ticket.reference}/", {"status": "closed", "assignee": 1})
            assert response.status_code == 405
        assert client.delete(f"/api/v1/tickets/{ticket.reference}/").status_code == 405
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.version) == ("new", 1)


def test_a_requesters_reply_is_public_whatever_it_says(as_requester, ticket):
    response = as_requester.post(f"/api/v1/tickets/{ticket.reference}/followups/",
                                 {"body": "Toujours rien.", "is_public": False})

    assert response.status_code == 201
    assert ticket.followups.get().is_public is True


def test_a_requester_cannot_take_or_escalate_their_own_ticket(as_requester, ticket):
    for action in ("take", "escalate"):
        assert as_requester.post(f"/api/v1/tickets/{ticket.reference}/{action}/", {}).status_code == 404
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.level, fresh.assignee_id) == ("new", "N1", None)
