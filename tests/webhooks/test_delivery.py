"""Events reach a real receiver once, signed, in order per ticket; the outbox loses nothing when the
receiver is down; a slow receiver never slows a request."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import time_machine
from django.core import mail
from django.utils import timezone

from api.serializers import TicketSerializer
from tests.api.conftest import ApiClient, token_for
from tests.factories import make_ticket
from tickets import services as ticket_services
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from webhooks.tasks import deliver_webhooks


def _walk(ticket, agent, requester):
    ticket = ticket_services.ticket_take(ticket=ticket, actor=agent)
    ticket = ticket_services.ticket_wait(ticket=ticket, actor=agent, message="Quelle version ?")
    ticket = ticket_services.ticket_resume(ticket=ticket, actor=agent)
    ticket = ticket_services.ticket_resolve(ticket=ticket, actor=agent, solution="Mise à jour.")
    return ticket_services.ticket_close(ticket=ticket, actor=requester)


def test_events_arrive_once_signed_and_in_order(endpoint, receiver, requester, agent_n1, category,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _walk(ticket, agent_n1, requester)

    assert receiver.refused == []
    assert receiver.types() == ["ticket.created"] + ["ticket.status_changed"] * 5
    assert [p["data"]["transition"] for p in receiver.received[1:]] == ["take", "wait", "resume", "resolve", "close"]
    assert len({p["id"] for p in receiver.received}) == len(receiver.received) == receiver.requests
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 6
    last = receiver.received[-1]["data"]["ticket"]
    assert last["status"] == "closed" and last["reference"] == ticket.reference


def test_the_payload_is_the_apis_representation(endpoint, receiver, requester, category,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category)

    [payload] = receiver.received
    assert payload["type"] == "ticket.created" and payload["timestamp"]
    assert payload["data"]["ticket"] == dict(TicketSerializer(ticket).data)
    assert payload["data"]["actor"] == "requester"


def test_receiver_down_then_up_loses_nothing_and_keeps_the_order(endpoint, receiver, requester, agent_n1,
                                                                 category, django_capture_on_commit_callbacks):
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category)
    with django_capture_on_commit_callbacks(execute=True):
        _walk(ticket, agent_n1, requester)

    # Every delivery is kept; the later ones of the ticket wait behind the first, which failed.
    assert receiver.received == []
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 6
    failed = WebhookAttempt.objects.get()
    assert failed.status_code == 503 and failed.response_excerpt == "receiver says no" and failed.retry_at

    receiver.status = 200
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        services.webhooks_drain()

    assert receiver.types() == ["ticket.created"] + ["ticket.status_changed"] * 5
    assert [p["data"]["transition"] for p in receiver.received[1:]] == ["take", "wait", "resume", "resolve", "close"]
    assert not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()
    services.webhooks_drain()
    assert len(receiver.received) == 6  # nothing twice


def test_a_receiver_that_is_not_listening_is_retried_with_backoff(endpoint, receiver, requester, category,
                                                                  django_capture_on_commit_callbacks):
    receiver.stop()
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(requester=requester, category=category)

    delivery = WebhookDelivery.objects.get()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error
    assert delivery.attempts == 1 and delivery.next_attempt_at > timezone.now()
    # Not due yet: the drain leaves it alone.
    assert services.webhooks_drain().sent == 0 and WebhookAttempt.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=15)):
        services.webhooks_drain()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at - timezone.now() > services.BACKOFF[0]


def test_a_slow_receiver_never_slows_the_request(endpoint, receiver, requester, category,
                                                 django_capture_on_commit_callbacks):
    receiver.delay = 1.5
    client = ApiClient(token_for(requester))
    # The broker takes the message; a worker sends it later. The clock runs until the request's
    # after-commit callbacks (the publish) have run too.
    started = time.monotonic()
    with mock.patch.object(deliver_webhooks, "apply_async") as broker, \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/tickets/", {"title": "Lent", "description": "Très lent.",
                                                    "category": category.pk})
    elapsed = time.monotonic() - started

    assert response.status_code == 201
    assert elapsed < 1.0 and receiver.requests == 0
    broker.assert_called_once_with((endpoint.pk,), retry=False)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING

    deliver_webhooks(endpoint.pk)

    assert receiver.types() == ["ticket.created"]


def test_a_broker_outage_costs_the_request_nothing_and_the_drain_sends(endpoint, receiver, requester, category,
                                                                        django_capture_on_commit_callbacks):
    with mock.patch.object(deliver_webhooks, "apply_async", side_effect=OSError("broker down")), django_capture_on_commit_callbacks(execute=True):
        make_ticket(requester=requester, category=category)

    assert receiver.received == []
    services.webhooks_drain()
    assert receiver.types() == ["ticket.created"]


def test_redirects_are_not_followed(endpoint, receiver, requester, category, django_capture_on_commit_callbacks):
    receiver.status = 302
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(requester=requester, category=category)

    assert receiver.requests == 1
    assert WebhookAttempt.objects.get().status_code == 302
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_told(endpoint, receiver, requester, category,
                                                                      django_capture_on_commit_callbacks):
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(requester=requester, category=category)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.is_active

    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)), django_capture_on_commit_callbacks(execute=True):
        result = services.webhooks_drain()

    endpoint.refresh_from_db()
    assert result.disabled == 1 and not endpoint.is_active and endpoint.disabled_reason
    assert [message.to for message in mail.outbox if endpoint.url in message.subject] == [["manager@example.org"]]
    # Its events are kept for when it is enabled again.
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def test_no_query_for_webhooks_when_nobody_listens(requester, category, django_assert_num_queries):
    make_ticket(requester=requester, category=category)  # the map of listeners is cached

    with django_assert_num_queries(0):
        assert services.deliveries_enqueue(event_type="ticket.created", items=[(None, {}, None)]) == 0
