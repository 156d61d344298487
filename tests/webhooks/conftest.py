from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.models import EventType
from webhooks.selectors import subscriptions_key


@pytest.fixture(autouse=True)
def _fresh_subscriptions(db):
    """The map of who listens to what is cached across tests (the database is not): start and end clean."""
    cache.delete(subscriptions_key())
    yield
    cache.delete(subscriptions_key())


@pytest.fixture
def allow_private(settings):
    settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE = True
    settings.HELPDESK_WEBHOOK_TIMEOUT = 2


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def endpoint(allow_private, receiver, manager, django_capture_on_commit_callbacks):
    """An endpoint listening to every event, registered by the manager; its secret is the receiver's."""
    with django_capture_on_commit_callbacks(execute=True):
        registered = services.endpoint_create(actor=manager, url=receiver.url, events=EventType.values)
    receiver.secret = registered.secret
    return registered
