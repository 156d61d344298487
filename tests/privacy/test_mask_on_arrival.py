"""HELPDESK_REDACT_CARDS_ON_ARRIVAL (issue 22): a card number never reaches the database, whichever way it
comes (web form, reply, email in, API), and the timeline keeps a private mark of it."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from tests.api.conftest import ApiClient, token_for
from tickets import services
from tickets.inbound import inbound_receive
from tickets.models import EventKind, Followup, InboundEmail, Ticket, TicketEvent
from webhooks.models import WebhookDelivery

CARD = "4111 1111 1111 1111"  # Luhn-valid
NOT_A_CARD = "4111 1111 1111 1112"  # Luhn-invalid: left alone
IBAN = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture
def masking(settings):
    settings.HELPDESK_REDACT_CARDS_ON_ARRIVAL = True
    settings.HELPDESK_INBOUND_SECRET = "s"


def _marks(ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=EventKind.NOTE, data__privacy="redacted"))


def _nowhere_in_the_database(digits: str) -> None:
    """No text column of the tables a ticket writes holds the number."""
    with connection.cursor() as cursor:
        for table, columns in (("tickets_ticket", ("title", "description")), ("tickets_followup", ("body",)),
                               ("tickets_ticketevent", ("data",)), ("tickets_inboundemail", ("subject", "body")),
                               ("webhooks_webhookdelivery", ("payload",))):
            for column in columns:
                cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE CAST({column} AS TEXT) LIKE %s",  # noqa: S608 - fixed names
                               [f"%{digits}%"])
                assert cursor.fetchone()[0] == 0, (table, column)


def test_the_web_form_masks_the_card_and_marks_the_timeline(masking, client, requester, category):
    client.force_login(requester)
    response = client.post("/tickets/new/", {
        "title": f"Paiement refusé {CARD}", "description": f"Ma carte {CARD}, IBAN {IBAN}, réf {NOT_A_CARD}.",
        "ticket_type": "incident", "category": category.pk, "urgency": "medium", "impact": "medium"})
    assert response.status_code == 302

    ticket = Ticket.objects.get()
    assert ticket.description == f"Ma carte [numéro de carte], IBAN {IBAN}, réf {NOT_A_CARD}."
    assert ticket.title == "Paiement refusé [numéro de carte]"
    [mark] = _marks(ticket)
    assert not mark.is_public and mark.actor is None and mark.data["kinds"] == ["card"]
    assert mark.data["reason"] == "données personnelles masquées à l’arrivée : numéro de carte"
    _nowhere_in_the_database("1111 1111 1111 1111")


def test_the_agent_sees_the_mark_in_the_timeline(masking, client, requester, agent_n1, category):
    from tests.factories import make_ticket

    ticket = make_ticket(requester=requester, category=category, description=f"Carte {CARD}")
    client.force_login(agent_n1)
    page = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert "données personnelles masquées à l’arrivée : numéro de carte" in page and CARD not in page


def test_a_reply_is_masked_and_marked(masking, requester, agent_n1, category):
    from tests.factories import make_ticket

    ticket = make_ticket(requester=requester, category=category)
    services.followup_add(ticket=ticket, author=requester, body=f"Voici le numéro : {CARD.replace(' ', '-')}")
    services.followup_add(ticket=ticket, author=agent_n1, body="Merci, rien à masquer ici.")

    assert list(Followup.objects.filter(ticket=ticket).order_by("pk").values_list("body", flat=True)) == [
        "Voici le numéro : [numéro de carte]", "Merci, rien à masquer ici."]
    assert len(_marks(ticket)) == 1
    _nowhere_in_the_database("1111-1111-1111-1111")


def test_an_incoming_mail_is_masked_in_the_ticket_and_in_the_stored_mail(masking, requester):
    requester.email = "alice@example.org"
    requester.save()
    message = (f"From: Alice <alice@example.org>\r\nTo: support@helpdesk.localhost\r\nSubject: Carte {CARD}\r\n"
               f"Message-ID: <card1@example.org>\r\n\r\nMa carte est la {CARD}, merci.\r\n").encode()
    record = inbound_receive(message)

    ticket = Ticket.objects.get()
    assert ticket.description.startswith("Ma carte est la [numéro de carte]")
    assert len(_marks(ticket)) == 1
    stored = InboundEmail.objects.get(pk=record.pk)
    assert CARD not in stored.subject and CARD not in stored.body and CARD.encode() not in bytes(stored.raw)
    _nowhere_in_the_database("1111 1111 1111 1111")


def test_a_base64_mail_loses_its_raw_message(masking, requester):
    import base64

    requester.email = "alice@example.org"
    requester.save()
    encoded = base64.b64encode(f"Ma carte {CARD}".encode()).decode()
    message = ("From: alice@example.org\r\nSubject: Paiement\r\nMessage-ID: <card2@example.org>\r\n"
               "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
               f"{encoded}\r\n").encode()
    record = inbound_receive(message)
    stored = InboundEmail.objects.get(pk=record.pk)
    assert encoded.encode() not in bytes(stored.raw) and bytes(stored.raw) == stored.body.encode()
    assert "[numéro de carte]" in stored.body


def test_the_api_masks_tickets_and_followups_and_the_webhook_payload(masking, requester, manager, category,
                                                                      settings, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from webhooks.models import EventType
    from webhooks.selectors import subscriptions_key
    from webhooks.services import endpoint_create

    settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE = True
    cache.delete(subscriptions_key())
    with django_capture_on_commit_callbacks(execute=False):
        endpoint_create(actor=manager, url="http://127.0.0.1:9/hook", events=EventType.values)
    client = ApiClient(token_for(requester))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/v1/tickets/", {
            "title": f"Paiement {CARD}", "description": f"Carte {CARD}", "ticket_type": "incident",
            "category": category.pk, "urgency": "low", "impact": "low"})
    assert response.status_code == 201
    reference = response.json()["reference"]
    assert client.get(f"/api/v1/tickets/{reference}/").json()["description"] == "Carte [numéro de carte]"
    assert client.post(f"/api/v1/tickets/{reference}/followups/", {"body": f"Encore {CARD}"}).status_code == 201
    ticket = Ticket.objects.get(reference=reference)
    assert len(_marks(ticket)) == 2
    payloads = [json.dumps(d.payload, ensure_ascii=False) for d in WebhookDelivery.objects.all()]
    assert payloads and all(CARD not in p for p in payloads)
    assert any("[numéro de carte]" in p for p in payloads)
    cache.delete(subscriptions_key())
    _nowhere_in_the_database("1111 1111 1111 1111")


def test_off_by_default_nothing_is_masked(requester, category, settings):
    from tests.factories import make_ticket

    assert settings.HELPDESK_REDACT_CARDS_ON_ARRIVAL is False
    ticket = make_ticket(requester=requester, category=category, description=f"Carte {CARD}")
    assert CARD in Ticket.objects.get(pk=ticket.pk).description and not _marks(ticket)
