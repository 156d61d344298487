"""A requester reaches only their own tickets (and their organisation's where it shares), never the
agent side, never private notes; a 404 says nothing about whether a reference exists."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organisation
from tests.factories import UserFactory, advance, make_ticket
from tickets import services
from tickets.models import Attachment, Followup, Status
from tickets.views.agent import ACTIONS

# Every workspace action endpoint, as the view dispatches them, plus the presence poll and an unknown one.
AGENT_ENDPOINTS = [*sorted(ACTIONS), "presence", "no-such-action"]


def _text_file(name: str = "capture.txt", content: bytes = b"journal des erreurs\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


@pytest.fixture
def resolved_ticket(ticket, agent_n1):
    """The requester's ticket, resolved, with a file attached to the requester's public reply."""
    services.followup_add(ticket=ticket, author=ticket.requester, body="Voici le journal.",
                          attachments=[_text_file()])
    return advance(ticket, to="resolved", agent=agent_n1)


def _snapshot(ticket) -> tuple:
    ticket.refresh_from_db()
    return ticket.status, ticket.version, ticket.reopen_count, Followup.objects.filter(ticket=ticket).count()


# --- Another requester's ticket


def test_another_requester_gets_404_on_the_ticket_page(client, other_requester, ticket):
    client.force_login(other_requester)

    response = client.get(f"/tickets/{ticket.reference}/")

    assert response.status_code == 404
    assert ticket.title not in response.content.decode()


def test_another_requester_gets_404_on_reply_and_nothing_is_added(client, other_requester, ticket):
    before = _snapshot(ticket)
    client.force_login(other_requester)

    response = client.post(f"/tickets/{ticket.reference}/reply/", {"body": "Coucou", "version": ticket.version})

    assert response.status_code == 404
    assert _snapshot(ticket) == before


def test_another_requester_gets_404_on_confirm_and_the_ticket_stays_resolved(client, other_requester,
                                                                              resolved_ticket):
    before = _snapshot(resolved_ticket)
    client.force_login(other_requester)

    response = client.post(f"/tickets/{resolved_ticket.reference}/confirm/", {"version": resolved_ticket.version})

    assert response.status_code == 404
    assert _snapshot(resolved_ticket) == before
    assert resolved_ticket.status == Status.RESOLVED


def test_another_requester_gets_404_on_reject_and_the_ticket_stays_resolved(client, other_requester,
                                                                             resolved_ticket):
    before = _snapshot(resolved_ticket)
    client.force_login(other_requester)

    response = client.post(f"/tickets/{resolved_ticket.reference}/reject/",
                           {"version": resolved_ticket.version, "reason": "Non"})

    assert response.status_code == 404
    assert _snapshot(resolved_ticket) == before


def test_another_requester_gets_404_on_an_attachment(client, other_requester, resolved_ticket):
    attachment = Attachment.objects.get(ticket=resolved_ticket)
    client.force_login(other_requester)

    response = client.get(f"/tickets/{resolved_ticket.reference}/attachments/{attachment.pk}/")

    assert response.status_code == 404
    assert not hasattr(response, "streaming_content")


# --- The agent side is not there for a requester


def test_a_requester_gets_404_on_the_queue(client, requester):
    client.force_login(requester)

    assert client.get("/agent/").status_code == 404


def test_a_requester_gets_404_on_the_workspace_of_their_own_ticket(client, requester, ticket):
    client.force_login(requester)

    assert client.get(f"/agent/tickets/{ticket.reference}/").status_code == 404


@pytest.mark.parametrize("action", AGENT_ENDPOINTS)
def test_a_requester_gets_404_on_every_agent_action_and_nothing_changes(client, requester, category, ticket,
                                                                        action):
    before = _snapshot(ticket)
    client.force_login(requester)

    data = {"version": ticket.version, "ticket_type": "incident", "category": category.pk, "message": "x",
            "solution": "x", "reason": "x", "assignee": requester.pk, "priority": "P1", "body": "x",
            "is_public": "on"}
    post = client.post(f"/agent/tickets/{ticket.reference}/{action}/", data)
    get = client.get(f"/agent/tickets/{ticket.reference}/{action}/")

    assert post.status_code == 404
    assert get.status_code == 404
    assert _snapshot(ticket) == before


# --- Private notes


@pytest.fixture
def private_note_attachment(ticket, agent_n1):
    result = services.followup_add(ticket=ticket, author=agent_n1, body="Mot de passe admin : hunter2",
                                   is_public=False, attachments=[_text_file("interne.txt", b"secret\n")])
    return result.followup.attachments.get()


def test_an_attachment_on_a_private_note_is_404_to_the_requester_who_owns_the_ticket(client, requester,
                                                                                      private_note_attachment):
    client.force_login(requester)

    response = client.get(private_note_attachment.get_absolute_url())

    assert response.status_code == 404


def test_an_attachment_on_a_private_note_is_200_to_an_agent(client, agent_n2, private_note_attachment):
    client.force_login(agent_n2)

    response = client.get(private_note_attachment.get_absolute_url())

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"secret\n"


def test_a_requester_never_sees_a_private_note_in_the_page(client, requester, agent_n1, ticket,
                                                          private_note_attachment):
    services.followup_add(ticket=ticket, author=agent_n1, body="Réponse publique visible.", is_public=True)
    client.force_login(requester)

    html = client.get(f"/tickets/{ticket.reference}/").content.decode()

    assert "Réponse publique visible." in html
    assert "hunter2" not in html
    assert "interne.txt" not in html
    assert private_note_attachment.get_absolute_url() not in html


# --- A 404 says nothing


def _normalised(response, reference: str) -> str:
    """The page without what legitimately differs between two requests: CSRF tokens and the path."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', html)
    return html.replace(reference, "REFERENCE")


def test_a_404_is_the_same_for_another_requesters_ticket_and_a_reference_that_does_not_exist(
        client, other_requester, ticket):
    missing = "1999-999999"
    client.force_login(other_requester)

    existing_page = client.get(f"/tickets/{ticket.reference}/")
    missing_page = client.get(f"/tickets/{missing}/")

    assert existing_page.status_code == missing_page.status_code == 404
    assert _normalised(existing_page, ticket.reference) == _normalised(missing_page, missing)
    assert existing_page.headers.keys() == missing_page.headers.keys()


@pytest.mark.parametrize("action", ["reply", "confirm", "reject"])
def test_a_404_on_an_action_is_the_same_for_an_existing_and_a_missing_reference(client, other_requester, ticket,
                                                                                action):
    missing = "1999-999999"
    client.force_login(other_requester)

    existing = client.post(f"/tickets/{ticket.reference}/{action}/", {"version": 1, "body": "x", "reason": "x"})
    nonexistent = client.post(f"/tickets/{missing}/{action}/", {"version": 1, "body": "x", "reason": "x"})

    assert existing.status_code == nonexistent.status_code == 404
    assert _normalised(existing, ticket.reference) == _normalised(nonexistent, missing)


def test_a_404_on_an_attachment_is_the_same_whether_the_ticket_exists_or_not(client, other_requester,
                                                                             resolved_ticket):
    attachment = Attachment.objects.get(ticket=resolved_ticket)
    missing = "1999-999999"
    client.force_login(other_requester)

    existing = client.get(f"/tickets/{resolved_ticket.reference}/attachments/{attachment.pk}/")
    nonexistent = client.get(f"/tickets/{missing}/attachments/{attachment.pk}/")

    assert existing.status_code == nonexistent.status_code == 404
    assert _normalised(existing, resolved_ticket.reference) == _normalised(nonexistent, missing)


# --- Organisation sharing


def _organisation_pair(*, share_tickets: bool):
    organisation = Organisation.objects.create(name="Cabinet Dupont", share_tickets=share_tickets)
    author = UserFactory(username="claire", organisation=organisation)
    colleague = UserFactory(username="denis", organisation=organisation)
    return author, colleague


def test_a_colleague_sees_the_ticket_when_the_organisation_shares_tickets(client, category):
    author, colleague = _organisation_pair(share_tickets=True)
    ticket = make_ticket(requester=author, category=category, title="Serveur de fichiers lent")
    client.force_login(colleague)

    page = client.get(f"/tickets/{ticket.reference}/")
    listing = client.get("/tickets/")

    assert page.status_code == 200
    assert "Serveur de fichiers lent" in page.content.decode()
    assert ticket.reference in listing.content.decode()


def test_a_colleague_gets_404_when_the_organisation_does_not_share_tickets(client, category):
    author, colleague = _organisation_pair(share_tickets=False)
    ticket = make_ticket(requester=author, category=category, title="Serveur de fichiers lent")
    client.force_login(colleague)

    page = client.get(f"/tickets/{ticket.reference}/")
    listing = client.get("/tickets/")

    assert page.status_code == 404
    assert ticket.reference not in listing.content.decode()


def test_sharing_does_not_reach_requesters_of_another_organisation(client, category, other_requester):
    author, _colleague = _organisation_pair(share_tickets=True)
    ticket = make_ticket(requester=author, category=category)
    client.force_login(other_requester)

    assert client.get(f"/tickets/{ticket.reference}/").status_code == 404


@pytest.mark.parametrize("share_tickets", [True, False])
def test_a_ticket_says_who_may_see_it_as_the_visible_rows_do(category, other_requester, agent_n1, share_tickets):
    """tickets.selectors.get_ticket_for reads the ticket by its reference alone (one prepared statement for everyone)
    and asks the ticket (Ticket.is_visible_to) what TicketQuerySet.visible_to asks the rows: the two agree for the
    author, a colleague with and without sharing, a stranger, a requester without an organisation, an agent and
    someone not logged in."""
    from django.contrib.auth.models import AnonymousUser

    from tickets.models import Ticket

    author, colleague = _organisation_pair(share_tickets=share_tickets)
    loner = UserFactory(username="solo")
    tickets = [make_ticket(requester=person, category=category) for person in (author, colleague, loner,
                                                                              other_requester)]
    for person in (author, colleague, loner, other_requester, agent_n1, AnonymousUser()):
        visible = set(Ticket.objects.visible_to(person).filter(pk__in=[t.pk for t in tickets])
                      .values_list("pk", flat=True))
        assert {t.pk for t in tickets if t.is_visible_to(person)} == visible, person
    assert tickets[0].is_visible_to(colleague) is share_tickets
