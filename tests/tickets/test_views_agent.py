"""The agent side: the queue at /agent/, the workspace and its action endpoints."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from tests.factories import UserFactory, advance, make_ticket
from tickets import services
from tickets.models import EventKind, Followup, Scale, Status, TicketType
from tickets.views.agent import ACTIONS


def _references(response) -> set[str]:
    return {ticket.reference for ticket in response.context["tickets"]}


def _action_url(ticket, action: str) -> str:
    return f"/agent/tickets/{ticket.reference}/{action}/"


# --- Who gets in


@pytest.mark.parametrize("groups", [["N1"], ["N2"], ["N3"], ["N4"], ["Manager"]])
def test_agents_of_every_level_and_managers_reach_the_queue(client, db, groups):
    client.force_login(UserFactory(groups=groups))

    assert client.get("/agent/").status_code == 200


def test_a_requester_gets_a_404_on_the_queue(client, requester):
    client.force_login(requester)

    assert client.get("/agent/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login_page_from_the_queue(client):
    response = client.get("/agent/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/agent/"


# --- The queue and its filters


@pytest.fixture
def queue_tickets(requester, agent_n1, agent_n2, category):
    """One ticket per situation the filters tell apart."""
    new_p3 = make_ticket(requester=requester, category=category, title="Nouveau P3")
    new_p1 = make_ticket(requester=requester, category=category, title="Nouveau P1",
                         urgency=Scale.HIGH, impact=Scale.HIGH)
    mine = advance(make_ticket(requester=requester, category=category, title="Le mien"), to="in_progress",
                   agent=agent_n1)
    waiting = advance(make_ticket(requester=requester, category=category, title="En attente"), to="waiting",
                      agent=agent_n1)
    at_n2 = advance(make_ticket(requester=requester, category=category, title="Au N2"), to="in_progress",
                    agent=agent_n2)
    services.ticket_set_level(ticket=at_n2, actor=agent_n2, level="N2", reason="Compétence", assignee=agent_n2)
    resolved = advance(make_ticket(requester=requester, category=category, title="Résolu"), to="resolved",
                       agent=agent_n1)
    return {"new_p3": new_p3, "new_p1": new_p1, "mine": mine, "waiting": waiting, "at_n2": at_n2,
            "resolved": resolved}


def _refs(tickets: dict, *names: str) -> set[str]:
    return {tickets[name].reference for name in names}


def test_the_queue_shows_the_open_tickets_by_default(client, agent_n1, queue_tickets):
    client.force_login(agent_n1)

    response = client.get("/agent/")

    assert _references(response) == _refs(queue_tickets, "new_p3", "new_p1", "mine", "waiting", "at_n2")


def test_the_queue_filters_by_status(client, agent_n1, queue_tickets):
    client.force_login(agent_n1)

    assert _references(client.get("/agent/?status=waiting")) == _refs(queue_tickets, "waiting")
    assert _references(client.get("/agent/?status=resolved")) == _refs(queue_tickets, "resolved")


def test_the_queue_filters_by_priority(client, agent_n1, queue_tickets):
    client.force_login(agent_n1)

    assert _references(client.get("/agent/?priority=P1")) == _refs(queue_tickets, "new_p1")


def test_the_queue_filters_by_level(client, agent_n1, queue_tickets):
    client.force_login(agent_n1)

    assert _references(client.get("/agent/?level=N2")) == _refs(queue_tickets, "at_n2")


def test_the_queue_filters_by_assignee(client, agent_n1, agent_n2, queue_tickets):
    client.force_login(agent_n1)

    response = client.get(f"/agent/?assignee={agent_n2.pk}")

    assert _references(response) == _refs(queue_tickets, "at_n2")


def test_the_mine_view_shows_the_open_tickets_assigned_to_me(client, agent_n1, queue_tickets):
    client.force_login(agent_n1)

    assert _references(client.get("/agent/?view=mine")) == _refs(queue_tickets, "mine", "waiting")


def test_the_unassigned_view_shows_the_tickets_nobody_has(client, agent_n1, queue_tickets):
    client.force_login(agent_n1)

    assert _references(client.get("/agent/?view=unassigned")) == _refs(queue_tickets, "new_p3", "new_p1")


def test_the_level_view_shows_the_tickets_at_my_level(client, agent_n1, agent_n2, queue_tickets):
    client.force_login(agent_n2)
    assert _references(client.get("/agent/?view=level")) == _refs(queue_tickets, "at_n2")

    client.force_login(agent_n1)
    assert _references(client.get("/agent/?view=level")) == _refs(
        queue_tickets, "new_p3", "new_p1", "mine", "waiting"
    )


def test_an_htmx_request_gets_only_the_queue_table(client, agent_n1, queue_tickets):
    client.force_login(agent_n1)

    response = client.get("/agent/?priority=P1", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    template_names = [template.name for template in response.templates]
    assert template_names[0] == "tickets/agent/partials/queue_table.html"
    assert "tickets/agent/queue.html" not in template_names
    assert "base.html" not in template_names
    html = response.content.decode()
    assert "<html" not in html
    assert 'data-testid="queue"' in html
    assert queue_tickets["new_p1"].reference in html
    assert queue_tickets["new_p3"].reference not in html


def test_a_plain_request_gets_the_whole_queue_page(client, agent_n1, queue_tickets):
    client.force_login(agent_n1)

    response = client.get("/agent/")

    html = response.content.decode()
    assert "<html" in html
    assert 'id="queue-table"' in html


# --- The workspace shows what the state machine allows


def test_the_workspace_of_a_new_ticket_shows_the_take_form_and_not_resolve(client, agent_n1, ticket):
    client.force_login(agent_n1)

    response = client.get(f"/agent/tickets/{ticket.reference}/")

    assert response.status_code == 200
    allowed = {t.name for t in ticket.get_available_user_status_transitions(agent_n1)}
    assert allowed <= response.context["transitions"]
    assert "take" in response.context["transitions"]
    assert "resolve" not in response.context["transitions"]
    html = response.content.decode()
    assert f'action="{_action_url(ticket, "take")}"' in html
    for action in ("resolve", "wait", "resume", "reopen"):
        assert f'action="{_action_url(ticket, action)}"' not in html


def test_the_assignees_workspace_of_a_ticket_in_progress_shows_resolve_and_wait(client, agent_n1, ticket):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    client.force_login(agent_n1)

    html = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()

    assert f'action="{_action_url(ticket, "resolve")}"' in html
    assert f'action="{_action_url(ticket, "wait")}"' in html
    assert f'action="{_action_url(ticket, "take")}"' not in html
    assert f'action="{_action_url(ticket, "reopen")}"' not in html


def test_another_agent_cannot_see_resolve_on_a_ticket_assigned_to_someone_else(client, agent_n1, agent_n2, ticket):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    client.force_login(agent_n2)

    response = client.get(f"/agent/tickets/{ticket.reference}/")

    assert "resolve" not in response.context["transitions"]
    assert f'action="{_action_url(ticket, "resolve")}"' not in response.content.decode()


def test_the_workspace_of_a_waiting_ticket_shows_resume(client, agent_n1, ticket):
    ticket = advance(ticket, to="waiting", agent=agent_n1)
    client.force_login(agent_n1)

    html = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()

    assert f'action="{_action_url(ticket, "resume")}"' in html
    assert f'action="{_action_url(ticket, "resolve")}"' not in html


def test_the_workspace_of_a_resolved_ticket_shows_reopen(client, agent_n1, ticket):
    ticket = advance(ticket, to="resolved", agent=agent_n1)
    client.force_login(agent_n1)

    html = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()

    assert f'action="{_action_url(ticket, "reopen")}"' in html
    assert f'action="{_action_url(ticket, "resolve")}"' not in html


# --- Each action endpoint


def test_take_qualifies_and_assigns_the_ticket(client, agent_n1, ticket, category):
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "take"), {
        "version": ticket.version, "ticket_type": TicketType.BUG_REPORT, "category": category.pk,
    })

    assert response.status_code == 302
    assert response["Location"] == f"/agent/tickets/{ticket.reference}/"
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.assignee == agent_n1
    assert ticket.ticket_type == TicketType.BUG_REPORT
    assert ticket.first_response_at is not None


def test_wait_puts_the_ticket_on_hold_with_a_public_message(client, agent_n1, ticket):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "wait"),
                           {"version": ticket.version, "message": "Quel est le modèle ?"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    followup = Followup.objects.get(ticket=ticket)
    assert followup.body == "Quel est le modèle ?"
    assert followup.is_public


def test_resume_takes_a_waiting_ticket_back_in_progress(client, agent_n1, ticket):
    ticket = advance(ticket, to="waiting", agent=agent_n1)
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "resume"), {"version": ticket.version})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.waiting_since is None


def test_resolve_records_the_solution(client, agent_n1, ticket):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "resolve"),
                           {"version": ticket.version, "solution": "Toner remplacé."})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.solution == "Toner remplacé."
    assert ticket.resolved_at is not None


def test_reopen_with_a_reason_reopens_a_resolved_ticket(client, agent_n1, ticket):
    ticket = advance(ticket, to="resolved", agent=agent_n1)
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "reopen"),
                           {"version": ticket.version, "reason": "Le client rappelle."})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.reopen_count == 1


def test_assign_gives_the_ticket_to_another_agent(client, agent_n1, agent_n2, ticket):
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "assign"), {"version": ticket.version, "assignee": agent_n2.pk})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == agent_n2
    assert ticket.events.filter(kind=EventKind.ASSIGNED, actor=agent_n1).exists()


def test_priority_overrides_the_matrix_with_a_reason_kept_in_history(client, agent_n1, ticket):
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "priority"),
                           {"version": ticket.version, "priority": "P1", "reason": "Toute la compta est bloquée."})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "P1"
    assert ticket.priority_overridden
    event = ticket.events.get(kind=EventKind.PRIORITY_CHANGED)
    assert event.data == {"from": "P3", "to": "P1", "reason": "Toute la compta est bloquée."}


def test_a_public_reply_is_a_public_followup(client, agent_n1, ticket):
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "reply"),
                           {"version": ticket.version, "body": "Nous regardons.", "is_public": "on"})

    assert response.status_code == 302
    followup = Followup.objects.get(ticket=ticket)
    assert followup.is_public
    assert followup.body == "Nous regardons."
    assert ticket.events.filter(kind=EventKind.FOLLOWUP, followup=followup, is_public=True).exists()


def test_a_private_note_is_a_private_followup(client, agent_n1, ticket):
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "reply"), {"version": ticket.version, "body": "Pilote HP 3.2."})

    assert response.status_code == 302
    followup = Followup.objects.get(ticket=ticket)
    assert not followup.is_public
    assert ticket.events.filter(kind=EventKind.NOTE, followup=followup, is_public=False).exists()


# --- Refusals


def test_wait_without_a_message_is_a_400_with_the_error_in_the_page(client, agent_n1, ticket):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "wait"), {"version": ticket.version, "message": ""})

    assert response.status_code == 400
    form = response.context["wait_form"]
    assert "message" in form.errors
    assert escape(form.errors["message"][0]) in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_resolving_a_new_ticket_by_post_is_a_409_with_a_message(client, agent_n1, ticket):
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "resolve"), {"version": ticket.version, "solution": "Fait."})

    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="conflict"' in html
    assert escape("Impossible de résoudre un ticket au statut « Nouveau ».") in html
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.solution == ""


def test_an_unknown_action_is_a_404(client, agent_n1, ticket):
    client.force_login(agent_n1)

    response = client.post(_action_url(ticket, "explode"), {"version": ticket.version})

    assert response.status_code == 404


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_get_on_an_action_url_is_a_405(client, agent_n1, ticket, action):
    client.force_login(agent_n1)

    response = client.get(_action_url(ticket, action))

    assert response.status_code == 405
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
