"""Tickets through the API: the same services and rules as the web, refusals as problems."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from escalation.models import Escalation
from tests.factories import UserFactory, advance, make_ticket
from tickets.models import Ticket


def test_the_agent_list_uses_the_queues_filters_and_keyset_pages(as_agent, requester, category, agent_n1):
    tickets = [make_ticket(requester=requester, category=category, title=f"Panne {n}") for n in range(5)]
    advance(tickets[0], to="in_progress", agent=agent_n1)

    first = as_agent.get("/api/v1/tickets/", {"limit": 2}).json()
    second = as_agent.get(first["next"].replace("http://testserver", "")).json()
    third = as_agent.get(second["next"].replace("http://testserver", "")).json()
    mine = as_agent.get("/api/v1/tickets/", {"view": "mine"}).json()

    seen = [row["reference"] for page in (first, second, third) for row in page["results"]]
    assert seen == [t.reference for t in reversed(tickets)] and third["next"] is None
    assert "limit=2" in first["next"]
    assert [row["reference"] for row in mine["results"]] == [tickets[0].reference]


def test_an_invalid_filter_is_a_400_problem(as_agent, ticket):
    response = as_agent.get("/api/v1/tickets/", {"status": "nonsense"})

    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_the_requester_lists_their_tickets_with_search(as_requester, requester, other_requester, category):
    mine = make_ticket(requester=requester, category=category, title="Écran bleu")
    make_ticket(requester=requester, category=category, title="Souris")
    make_ticket(requester=other_requester, category=category, title="Écran bleu aussi")

    rows = as_requester.get("/api/v1/tickets/", {"q": "bleu"}).json()["results"]

    assert [row["reference"] for row in rows] == [mine.reference]


def test_creating_a_p1_from_a_script(as_requester, category):
    response = as_requester.post("/api/v1/tickets/", {
        "title": "Site marchand en erreur 500", "description": "Détecté par la supervision.",
        "ticket_type": "incident", "category": category.pk, "urgency": "high", "impact": "high"})

    assert response.status_code == 201
    body = response.json()
    assert body["priority"] == "P1" and body["status"] == "new"
    assert response["Location"] == f"/api/v1/tickets/{body['reference']}/"
    assert response["ETag"] == '"1"'


def test_creating_validates_as_the_web_form_does(as_requester):
    response = as_requester.post("/api/v1/tickets/", {"title": "   ", "description": ""})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title", "description"}


def test_creating_with_files_checks_them_as_the_web_does(as_requester, category):
    ok = as_requester.post("/api/v1/tickets/", {
        "title": "Journal", "description": "Voir le fichier.", "ticket_type": "incident", "urgency": "low",
        "impact": "low", "attachments": [SimpleUploadedFile("app.log", b"ERROR\n", "text/plain")]}, multipart=True)
    refused = as_requester.post("/api/v1/tickets/", {
        "title": "Programme", "description": "Voir le fichier.", "ticket_type": "incident", "urgency": "low",
        "impact": "low", "attachments": [SimpleUploadedFile("outil.pdf", b"MZ\x90\x00", "application/pdf")]},
        multipart=True)

    assert ok.status_code == 201
    assert Ticket.objects.get(reference=ok.json()["reference"]).attachments.count() == 1
    assert refused.status_code == 400 and "attachments" in refused.json()["errors"]


def test_take_and_resolve_through_the_api(as_agent, ticket, agent_n1):
    taken = as_agent.post(f"/api/v1/tickets/{ticket.reference}/take/", {}, **{"If-Match": '"1"'})
    resolved = as_agent.post(f"/api/v1/tickets/{ticket.reference}/resolve/", {"solution": "Pilote réinstallé."},
                             **{"If-Match": taken["ETag"]})

    assert taken.status_code == 200 and taken.json()["assignee"]["username"] == "agent1"
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert resolved["ETag"] == f'"{Ticket.objects.get(pk=ticket.pk).version}"'


def test_a_refused_move_is_a_409_problem(as_agent, ticket):
    response = as_agent.post(f"/api/v1/tickets/{ticket.reference}/resolve/", {"solution": "Trop tôt."})

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 409 and body["ticket"] == ticket.reference and body["detail"]
    assert body["type"].endswith("/refused")


def test_a_stale_if_match_is_a_412_with_the_current_etag(as_agent, ticket, agent_n2):
    version = ticket.version
    advance(ticket, to="in_progress", agent=agent_n2)

    response = as_agent.post(f"/api/v1/tickets/{ticket.reference}/wait/", {"message": "Quelle version ?"},
                             **{"If-Match": f'"{version}"'})

    assert response.status_code == 412
    assert response["ETag"] == f'"{Ticket.objects.get(pk=ticket.pk).version}"'
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"


def test_a_malformed_if_match_is_a_400(as_agent, ticket):
    response = as_agent.post(f"/api/v1/tickets/{ticket.reference}/take/", {}, **{"If-Match": "soon"})

    assert response.status_code == 400


def test_wait_resume_reopen_and_close_follow_the_web_rules(as_agent, as_requester, ticket):
    base = f"/api/v1/tickets/{ticket.reference}"
    assert as_agent.post(f"{base}/take/", {}).status_code == 200
    assert as_agent.post(f"{base}/wait/", {"message": "Quel navigateur ?"}).json()["status"] == "waiting"
    assert as_agent.post(f"{base}/resume/", {}).json()["status"] == "in_progress"
    assert as_agent.post(f"{base}/resolve/", {"solution": "Cache vidé."}).json()["status"] == "resolved"
    assert as_requester.post(f"{base}/reopen/", {"reason": "Toujours lent."}).json()["status"] == "in_progress"
    assert as_agent.post(f"{base}/resolve/", {"solution": "Cache vidé, vraiment."}).status_code == 200
    assert as_agent.post(f"{base}/close/", {}).status_code == 409  # only the requester confirms
    assert as_requester.post(f"{base}/close/", {}).json()["status"] == "closed"


def test_escalate_uses_the_escalation_service(as_agent, ticket, agent_n1):
    UserFactory(username="n2", groups=["N2"])
    as_agent.post(f"/api/v1/tickets/{ticket.reference}/take/", {})

    short = as_agent.post(f"/api/v1/tickets/{ticket.reference}/escalate/", {"reason": "skill_unavailable", "followup": "court"})
    response = as_agent.post(f"/api/v1/tickets/{ticket.reference}/escalate/", {
        "reason": "skill_unavailable", "followup": "Journaux lus, pilote réinstallé, le problème vient du serveur."})

    assert short.status_code == 400
    assert response.status_code == 200 and response.json()["level"] == "N2"
    assert Escalation.objects.filter(ticket=ticket).count() == 1


def test_an_agent_writes_a_private_note_and_a_requester_replies(as_agent, as_requester, ticket):
    note = as_agent.post(f"/api/v1/tickets/{ticket.reference}/followups/", {"body": "Interne", "is_public": False})
    reply = as_requester.post(f"/api/v1/tickets/{ticket.reference}/followups/", {"body": "Merci"})

    assert note.status_code == reply.status_code == 201
    assert note.json()["is_public"] is False and reply.json()["is_public"] is True


def test_a_reply_to_a_closed_ticket_opens_a_new_one(as_requester, ticket, agent_n1):
    advance(ticket, to="closed", agent=agent_n1)

    response = as_requester.post(f"/api/v1/tickets/{ticket.reference}/followups/", {"body": "Ça recommence."})

    assert response.status_code == 201
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response["Location"] == f"/api/v1/tickets/{new.reference}/" and new.parent_id == ticket.pk


def test_uploading_files_adds_them_with_a_message(as_requester, ticket):
    response = as_requester.post(f"/api/v1/tickets/{ticket.reference}/attachments/", {
        "attachments": [SimpleUploadedFile("capture.png", b"\x89PNG\r\n\x1a\nxx", "image/png")]}, multipart=True)
    refused = as_requester.post(f"/api/v1/tickets/{ticket.reference}/attachments/", {
        "attachments": [SimpleUploadedFile("capture.png", b"not a png", "image/png")]}, multipart=True)

    assert response.status_code == 201
    [attachment] = response.json()
    assert attachment["name"] == "capture.png" and attachment["url"].endswith(f"/attachments/{attachment['id']}/")
    assert "capture.png" in ticket.followups.get().body
    assert refused.status_code == 400


def test_the_detail_shows_followups_events_clocks_and_attachments(as_agent, ticket, requester):
    as_agent.post(f"/api/v1/tickets/{ticket.reference}/take/", {})

    body = as_agent.get(f"/api/v1/tickets/{ticket.reference}/").json()

    assert [event["kind"] for event in body["events"]][:2] == ["created", "transition"]
    assert {clock["target"] for clock in body["sla_clocks"]} == {"response", "resolution"}
    assert body["followups"] == [] and body["attachments"] == []


def test_a_file_written_to_disk_by_the_upload_handler_is_accepted(as_requester, ticket, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # every upload goes to a temporary file

    response = as_requester.post(f"/api/v1/tickets/{ticket.reference}/followups/", {
        "body": "Le journal complet.", "attachments": [SimpleUploadedFile("big.log", b"line\n" * 1000, "text/plain")]},
        multipart=True)

    assert response.status_code == 201
    assert response.json()["attachments"][0]["size"] == 5000
