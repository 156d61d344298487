"""User-written text (title, description, replies, notes) is always shown escaped, on every page."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from tests.factories import make_ticket
from tickets import services

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


@pytest.fixture(params=PAYLOADS, ids=["script", "img-onerror"])
def payload(request) -> str:
    return request.param


@pytest.fixture
def hostile_ticket(requester, agent_n1, category, payload):
    """Each field carries the payload behind its own marker, so each can be found in the page."""
    ticket = make_ticket(requester=requester, category=category, title=f"TITLE {payload}",
                         description=f"DESCRIPTION {payload}")
    services.followup_add(ticket=ticket, author=agent_n1, body=f"PUBLIC {payload}", is_public=True)
    services.followup_add(ticket=ticket, author=agent_n1, body=f"NOTE {payload}", is_public=False)
    ticket.refresh_from_db()
    return ticket


def _assert_escaped(html: str, payload: str, *markers: str) -> None:
    assert payload not in html
    for marker in markers:
        assert escape(f"{marker} {payload}") in html, marker
    if payload.startswith("<script>"):
        assert "&lt;script&gt;" in html


def test_the_requester_page_shows_title_description_and_reply_escaped(client, requester, hostile_ticket,
                                                                       payload):
    client.force_login(requester)

    html = client.get(f"/tickets/{hostile_ticket.reference}/").content.decode()

    _assert_escaped(html, payload, "TITLE", "DESCRIPTION", "PUBLIC")
    assert escape(f"NOTE {payload}") not in html  # a private note is not shown to the requester at all


def test_the_agent_workspace_shows_title_description_reply_and_note_escaped(client, agent_n1, hostile_ticket,
                                                                             payload):
    client.force_login(agent_n1)

    html = client.get(f"/agent/tickets/{hostile_ticket.reference}/").content.decode()

    _assert_escaped(html, payload, "TITLE", "DESCRIPTION", "PUBLIC", "NOTE")


def test_the_agent_queue_shows_the_title_escaped(client, agent_n1, hostile_ticket, payload):
    client.force_login(agent_n1)

    html = client.get("/agent/").content.decode()

    _assert_escaped(html, payload, "TITLE")


def test_the_htmx_queue_table_shows_the_title_escaped(client, agent_n1, hostile_ticket, payload):
    client.force_login(agent_n1)

    html = client.get("/agent/", HTTP_HX_REQUEST="true").content.decode()

    _assert_escaped(html, payload, "TITLE")


def test_the_requester_list_shows_the_title_escaped(client, requester, hostile_ticket, payload):
    client.force_login(requester)

    html = client.get("/tickets/").content.decode()

    _assert_escaped(html, payload, "TITLE")


def test_a_solution_and_a_rejection_reason_are_shown_escaped(client, requester, agent_n1, hostile_ticket,
                                                             payload):
    ticket = services.ticket_take(ticket=hostile_ticket, actor=agent_n1)
    ticket = services.ticket_resolve(ticket=ticket, actor=agent_n1, solution=f"SOLUTION {payload}")
    ticket = services.ticket_reopen(ticket=ticket, actor=requester, reason=f"REASON {payload}")
    client.force_login(agent_n1)

    workspace = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    client.force_login(requester)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()

    _assert_escaped(workspace, payload, "SOLUTION", "REASON")
    _assert_escaped(page, payload, "SOLUTION", "REASON")


def test_the_queue_filters_show_hostile_names_escaped(client, agent_n1, payload):
    # The queue's selects are written in Python (tickets.queue.Select) and marked safe: every label and
    # value in them must have been escaped.
    from tests.factories import CategoryFactory, OrganisationFactory, UserFactory

    CategoryFactory(name=f"CATEGORY {payload}")
    OrganisationFactory(name=f"ORGANISATION {payload}")
    UserFactory(username="hostile", first_name="AGENT", last_name=payload, groups=["N1"])  # choices show names
    client.force_login(agent_n1)

    html = client.get("/agent/").content.decode()

    _assert_escaped(html, payload, "CATEGORY", "ORGANISATION", "AGENT")
