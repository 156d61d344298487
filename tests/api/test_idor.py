"""A requester's token sees exactly what the requester sees: another requester's ticket, its followups,
attachments and actions are a 404 on every endpoint, as on the web; private notes and their files are
never shown to a requester."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import advance, make_ticket
from tickets import services
from tickets.models import Ticket

ACTIONS = ["take", "wait", "resume", "resolve", "reopen", "close", "escalate"]


@pytest.fixture
def theirs(requester, category, agent_n1):
    """The requester's ticket in progress, with a public reply and a private note, each with a file."""
    ticket = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    services.followup_add(ticket=ticket, author=agent_n1, body="Pouvez-vous redémarrer ?", is_public=True,
                          attachments=[SimpleUploadedFile("public.txt", b"public\n", "text/plain")])
    services.followup_add(ticket=ticket, author=agent_n1, body="NOTE INTERNE: le VIP râle", is_public=False,
                          attachments=[SimpleUploadedFile("private.txt", b"secret\n", "text/plain")])
    return Ticket.objects.get(pk=ticket.pk)


def _paths(ticket):
    public, private = ticket.attachments.order_by("id")
    base = f"/api/v1/tickets/{ticket.reference}"
    return {"public": public, "private": private, "gets": [
        f"{base}/", f"{base}/followups/", f"{base}/attachments/", f"{base}/attachments/{public.pk}/",
        f"{base}/attachments/{private.pk}/",
    ], "posts": [f"{base}/followups/", f"{base}/attachments/", *(f"{base}/{action}/" for action in ACTIONS)]}


def test_another_requesters_ticket_is_a_404_on_every_read(as_other_requester, theirs):
    for path in _paths(theirs)["gets"]:
        response = as_other_requester.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json"
        assert theirs.title not in response.content.decode()


def test_another_requesters_ticket_is_a_404_on_every_write(as_other_requester, theirs):
    for path in _paths(theirs)["posts"]:
        response = as_other_requester.post(path, {"body": "coucou", "reason": "x", "message": "x", "solution": "x"})
        assert response.status_code == 404, path
    upload = as_other_requester.post(f"/api/v1/tickets/{theirs.reference}/attachments/", {
        "attachments": SimpleUploadedFile("x.txt", b"x\n", "text/plain")}, multipart=True)
    assert upload.status_code == 404
    fresh = Ticket.objects.get(pk=theirs.pk)
    assert (fresh.version, fresh.followups.count()) == (theirs.version, 2)


def test_a_404_for_a_forbidden_ticket_reads_as_for_one_that_does_not_exist(as_other_requester, theirs):
    forbidden = as_other_requester.get(f"/api/v1/tickets/{theirs.reference}/")
    missing = as_other_requester.get("/api/v1/tickets/1999-999999/")

    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()


def test_another_requesters_tickets_are_not_listed_nor_found_by_search(as_other_requester, theirs):
    listed = as_other_requester.get("/api/v1/tickets/", {"q": theirs.reference})
    closed = as_other_requester.get("/api/v1/tickets/", {"status": "in_progress"})

    assert listed.json()["results"] == closed.json()["results"] == []


def test_the_requester_never_sees_private_notes_nor_their_files(as_requester, theirs):
    paths = _paths(theirs)

    detail = as_requester.get(f"/api/v1/tickets/{theirs.reference}/")
    followups = as_requester.get(f"/api/v1/tickets/{theirs.reference}/followups/")
    attachments = as_requester.get(f"/api/v1/tickets/{theirs.reference}/attachments/")

    for response in (detail, followups, attachments):
        assert response.status_code == 200
        assert "NOTE INTERNE" not in response.content.decode()
        assert "private.txt" not in response.content.decode()
    assert [f["body"] for f in followups.json()] == ["Pouvez-vous redémarrer ?"]
    assert {event["kind"] for event in detail.json()["events"]} <= {"created", "transition", "followup",
                                                                     "assigned"}
    assert as_requester.get(f"/api/v1/tickets/{theirs.reference}/attachments/{paths['private'].pk}/").status_code == 404
    download = as_requester.get(f"/api/v1/tickets/{theirs.reference}/attachments/{paths['public'].pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"public\n"


def test_the_agent_sees_private_notes_and_their_files(as_agent, theirs):
    paths = _paths(theirs)

    followups = as_agent.get(f"/api/v1/tickets/{theirs.reference}/followups/").json()
    download = as_agent.get(f"/api/v1/tickets/{theirs.reference}/attachments/{paths['private'].pk}/")

    assert [f["is_public"] for f in followups] == [True, False]
    assert download.status_code == 200


def test_an_attachment_of_another_ticket_is_a_404_through_ones_own_ticket(as_requester, requester, theirs,
                                                                          other_requester, category):
    other = make_ticket(requester=other_requester, category=category,
                        attachments=[SimpleUploadedFile("autre.txt", b"autre\n", "text/plain")])
    attachment = other.attachments.get()

    response = as_requester.get(f"/api/v1/tickets/{theirs.reference}/attachments/{attachment.pk}/")

    assert response.status_code == 404


def test_requester_events_carry_no_internal_data(as_requester, theirs, agent_n1):
    services.ticket_change_priority(ticket=theirs, actor=agent_n1, priority="P2", reason="Client VIP furieux")

    body = as_requester.get(f"/api/v1/tickets/{theirs.reference}/").content.decode()

    assert "furieux" not in body


def test_agent_endpoints_are_a_404_to_requesters_as_on_the_web(as_requester, theirs):
    for action in ["take", "wait", "resume", "resolve", "escalate"]:
        response = as_requester.post(f"/api/v1/tickets/{theirs.reference}/{action}/",
                                     {"message": "x", "solution": "x", "reason": "skill_unavailable", "followup": "x" * 50})
        assert response.status_code == 404, action
    assert as_requester.get("/api/v1/dashboard/").status_code == 404
    assert as_requester.post("/api/v1/kb/articles/", {"title": "x", "body": "y"}).status_code == 404
