"""Who listens to what, read on every ticket change: from this process's copy (core.cache's reference cache),
not from the cache server each time (issue 16); an endpoint's change reaches it at once, and the beat drain
corrects a copy whose forgetting was lost."""

from __future__ import annotations

from unittest import mock

from django.core.cache import cache

from webhooks import services
from webhooks.models import EventType, WebhookEndpoint
from webhooks.selectors import subscribed_endpoint_ids


def test_a_ticket_change_asks_the_cache_nothing_within_the_trust_window(db):
    assert subscribed_endpoint_ids(EventType.TICKET_CREATED) == []  # the copy made, the version checked

    with mock.patch.object(cache, "get", side_effect=AssertionError("a cache round trip")):
        for _ in range(5):
            assert subscribed_endpoint_ids(EventType.TICKET_CREATED) == []


def test_an_endpoint_registered_is_listening_at_once(manager, allow_private):
    assert subscribed_endpoint_ids(EventType.TICKET_CREATED) == []

    endpoint = services.endpoint_create(actor=manager, url="http://127.0.0.1:9/hook",
                                        events=[EventType.TICKET_CREATED])

    assert subscribed_endpoint_ids(EventType.TICKET_CREATED) == [endpoint.pk]
    assert subscribed_endpoint_ids(EventType.TICKET_STATUS_CHANGED) == []


def test_the_drain_corrects_a_copy_whose_forgetting_was_lost(manager):
    assert subscribed_endpoint_ids(EventType.TICKET_CREATED) == []
    # Written behind the services' back, as when the cache was down at the change: nobody forgot the map.
    endpoint = WebhookEndpoint.objects.create(owner=manager, url="https://hooks.example.com/helpdesk",
                                              events=[EventType.TICKET_CREATED], secret="whsec_x")
    assert subscribed_endpoint_ids(EventType.TICKET_CREATED) == []

    services.subscriptions_refresh()

    assert subscribed_endpoint_ids(EventType.TICKET_CREATED) == [endpoint.pk]
