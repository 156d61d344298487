"""The requester portal: /tickets/, /tickets/new/, /tickets/<reference>/ and its actions."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from tests.factories import advance, make_ticket
from tickets import services
from tickets.models import Followup, Status, Ticket


@pytest.fixture(autouse=True)
def _page_size(settings):
    settings.HELPDESK_PAGE_SIZE = 25


def _references(response) -> list[str]:
    return [ticket.reference for ticket in response.context["tickets"]]


def _new_ticket_data(category, **overrides) -> dict:
    data = {
        "ticket_type": "incident", "category": category.pk, "title": "Le VPN ne se connecte plus",
        "description": "Depuis ce matin, erreur 809.", "urgency": "high", "impact": "medium",
    }
    data.update(overrides)
    return data


# --- The list


def test_the_list_shows_only_my_tickets(client, requester, other_requester, category):
    mine = make_ticket(requester=requester, category=category, title="Mon imprimante")
    theirs = make_ticket(requester=other_requester, category=category, title="Son imprimante")
    client.force_login(requester)

    response = client.get("/tickets/")

    assert response.status_code == 200
    assert _references(response) == [mine.reference]
    assert mine.reference in response.content.decode()
    assert theirs.reference not in response.content.decode()


def test_the_list_shows_the_newest_ticket_first(client, requester, category):
    older = make_ticket(requester=requester, category=category, title="Ancien")
    newer = make_ticket(requester=requester, category=category, title="Récent")
    client.force_login(requester)

    response = client.get("/tickets/")

    assert _references(response) == [newer.reference, older.reference]
    html = response.content.decode()
    assert html.index(newer.reference) < html.index(older.reference)


def test_thirty_tickets_are_split_into_two_pages_of_25_and_5(client, requester, category):
    tickets = [make_ticket(requester=requester, category=category, title=f"Ticket {n}") for n in range(30)]
    client.force_login(requester)

    first = client.get("/tickets/")
    older = first.context["page"].older
    second = client.get("/tickets/", {"older": older})

    assert len(_references(first)) == 25 and first.context["page"].newer is None
    assert len(_references(second)) == 5 and second.context["page"].older is None
    assert set(_references(first)) | set(_references(second)) == {t.reference for t in tickets}
    assert f'href="?tab=active&amp;older={older}"' in first.content.decode() and "Plus anciens" in first.content.decode()
    back = client.get("/tickets/", {"newer": second.context["page"].newer})
    assert _references(back) == _references(first)


def test_an_anonymous_visitor_is_redirected_to_the_login_page(client):
    response = client.get("/tickets/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/tickets/"


# --- Creation


def test_the_new_ticket_form_creates_a_ticket_with_the_matrix_priority(client, requester, category):
    client.force_login(requester)

    response = client.post("/tickets/new/", _new_ticket_data(category, urgency="high", impact="medium"))

    ticket = Ticket.objects.get(requester=requester)
    assert ticket.requester == requester
    assert ticket.priority == "P2"  # impact medium × urgency high
    assert ticket.status == Status.NEW
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.reference}/"


def test_the_new_tickets_page_shows_its_status_in_french(client, requester, category):
    client.force_login(requester)

    response = client.post("/tickets/new/", _new_ticket_data(category), follow=True)

    ticket = Ticket.objects.get(requester=requester)
    assert response.redirect_chain[-1][0] == f"/tickets/{ticket.reference}/"
    assert response.status_code == 200
    assert 'data-testid="status">Nouveau</span>' in response.content.decode()


def test_an_empty_title_re_renders_the_form_with_its_error_and_creates_nothing(client, requester, category):
    client.force_login(requester)

    response = client.post("/tickets/new/", _new_ticket_data(category, title="   "))

    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    for message in response.context["form"].errors["title"]:
        assert escape(message) in response.content.decode()
    assert 'id="error_1_id_title"' in response.content.decode()
    assert not Ticket.objects.filter(requester=requester).exists()


# --- Reply, confirm, reject


def test_a_reply_adds_a_public_followup_and_returns_to_the_ticket(client, requester, ticket):
    client.force_login(requester)

    response = client.post(f"/tickets/{ticket.reference}/reply/",
                           {"body": "Toujours en panne.", "version": ticket.version})

    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.reference}/"
    followup = Followup.objects.get(ticket=ticket)
    assert followup.body == "Toujours en panne."
    assert followup.is_public
    assert followup.author == requester


def test_confirming_the_solution_closes_the_ticket(client, requester, agent_n1, ticket):
    ticket = advance(ticket, to="resolved", agent=agent_n1)
    client.force_login(requester)

    response = client.post(f"/tickets/{ticket.reference}/confirm/", {"version": ticket.version})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at is not None


def test_rejecting_the_solution_with_a_reason_reopens_the_ticket(client, requester, agent_n1, ticket):
    ticket = advance(ticket, to="resolved", agent=agent_n1)
    client.force_login(requester)

    response = client.post(f"/tickets/{ticket.reference}/reject/",
                           {"version": ticket.version, "reason": "L'imprimante bourre encore."})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.reopen_count == 1
    event = ticket.events.filter(kind="transition").order_by("-id").first()
    assert event.data["transition"] == "reopen"
    assert event.data["reason"] == "L'imprimante bourre encore."


def test_rejecting_without_a_reason_is_a_400_with_the_error_and_changes_nothing(client, requester, agent_n1,
                                                                                 ticket):
    ticket = advance(ticket, to="resolved", agent=agent_n1)
    client.force_login(requester)

    response = client.post(f"/tickets/{ticket.reference}/reject/", {"version": ticket.version, "reason": ""})

    assert response.status_code == 400
    form = response.context["reject_form"]
    assert "reason" in form.errors
    assert escape(form.errors["reason"][0]) in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.reopen_count == 0


def test_confirming_a_ticket_that_is_not_resolved_is_a_409_with_a_message(client, requester, ticket):
    client.force_login(requester)

    response = client.post(f"/tickets/{ticket.reference}/confirm/", {"version": ticket.version})

    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="conflict"' in html
    assert escape("Impossible de clore un ticket au statut « Nouveau ».") in html
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_a_stale_form_is_a_409_page_showing_the_ticket_as_it_is_now(client, requester, agent_n1, agent_n2, ticket):
    ticket = advance(ticket, to="resolved", agent=agent_n1)
    stale_version = ticket.version
    # An agent acts while the requester's page is open (a reply from a stale page is added instead:
    # tests/tickets/test_views_conflict.py; rejecting the solution is a state change).
    services.ticket_assign(ticket=ticket, actor=agent_n1, assignee=agent_n2)
    client.force_login(requester)

    response = client.post(f"/tickets/{ticket.reference}/reject/",
                           {"reason": "Toujours en panne.", "version": stale_version})

    assert response.status_code == 409
    html = response.content.decode()
    assert response.context["stale"] is True
    assert response.context["ticket"].status == Status.RESOLVED
    assert ticket.reference in html
    assert 'data-testid="status">Résolu</span>' in html
    assert "Hugo Bernard" in html  # now assigned to the agent it was handed to
    assert f'href="/tickets/{ticket.reference}/"' in html
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
