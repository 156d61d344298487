"""Reads of the webhooks app: which endpoints listen to an event (cached), the managers' lists, the
delivery log."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from core.cache import reference

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def subscriptions_key() -> str:
    # Per database: a developer's server and the test run may share one Redis.
    return f"webhooks:subscriptions:{connection.settings_dict['NAME']}"


def subscriptions_from_database() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for pk, events in WebhookEndpoint.objects.filter(is_active=True).values_list("pk", "events"):
        for event in events or ():
            found.setdefault(event, []).append(pk)
    return found


# The map in the reference cache (core.cache): a ticket change reads this process's copy, one cache round trip
# per LOCAL_TRUST seconds at most, where each change asked the cache (issue 16). Its builder reads the map kept
# under subscriptions_key(), which is all there is where the reference cache is off (the embedded demo's
# per-process memory cache).
SUBSCRIPTIONS = "webhooks.subscriptions"


def cached_subscriptions() -> dict[str, list[int]]:
    subscriptions = cache.get(subscriptions_key())
    if subscriptions is None:
        subscriptions = subscriptions_from_database()
        cache.set(subscriptions_key(), subscriptions, None)
    return subscriptions


def subscribed_endpoint_ids(event_type: str) -> list[int]:
    """The active endpoints that listen to `event_type`, from the cache: a ticket change costs no query
    for webhooks when none listens. Endpoint changes forget the cached map (services), and the beat
    drain writes it afresh every minute, so a cache that missed a change is right again within one."""
    return list(reference(SUBSCRIPTIONS, cached_subscriptions).get(event_type, ()))


def endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("owner").order_by("url", "id")


def endpoint_log(*, endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookAttempt]:
    """The endpoint's latest attempts, newest first, each with its delivery."""
    return list(WebhookAttempt.objects.filter(delivery__endpoint=endpoint).select_related("delivery")
                .order_by("-at", "-id")[:limit])


def endpoint_pending_count(*, endpoint: WebhookEndpoint) -> int:
    return WebhookDelivery.objects.filter(endpoint=endpoint, status="pending").count()
