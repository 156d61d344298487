"""Outbound webhooks (docs/api.md, "Webhooks"; docs/architecture.md, "The notification outbox", which
they follow): endpoints are registered here; the receivers write one delivery per listening endpoint
in the transaction of the change; after commit one broker message asks a worker to send them
(core.broker.publish, no retry in the request); the worker sends an endpoint's deliveries one at a
time, in order per ticket, signed per Standard Webhooks, retries with exponential backoff, and the beat
drain sends what the broker missed. An endpoint that has failed for a day is disabled and its owner told.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from accounts.roles import is_manager
from api.serializers import ticket_representation
from core.broker import publish
from core.cache import invalidate, reference
from core.exceptions import ActionRefused

from . import net
from .models import TEST_EVENT, DeliveryStatus, EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .selectors import (
    SUBSCRIPTIONS,
    cached_subscriptions,
    subscribed_endpoint_ids,
    subscriptions_from_database,
    subscriptions_key,
)

logger = logging.getLogger(__name__)

# Waits before each retry: 10 s, 30 s, 2 min … 12 h (about a day in all, when the endpoint is disabled).
BACKOFF = tuple(timedelta(seconds=s) for s in (10, 30, 120, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200))
MAX_ATTEMPTS = len(BACKOFF) + 1
DISABLE_AFTER = timedelta(days=1)
# One sender per endpoint: it holds the endpoint for at most this long (a killed worker's lease ends).
LEASE = timedelta(minutes=5)
BATCH = 100
USER_AGENT = "Helpdesk-Webhooks/1.0 (Standard Webhooks)"


# --- Endpoints


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def subscriptions_forget() -> None:
    """Forget the cached map of who listens to what, now and again once the change is committed."""
    cache.delete(subscriptions_key())
    transaction.on_commit(lambda: cache.delete(subscriptions_key()))
    invalidate(SUBSCRIPTIONS)


def subscriptions_refresh() -> dict[str, list[int]]:
    """The map from the database, written to the cache; the processes' copies forgotten if they differ (a
    change whose forgetting was lost: the cache was down)."""
    subscriptions = subscriptions_from_database()
    cache.set(subscriptions_key(), subscriptions, None)
    if reference(SUBSCRIPTIONS, cached_subscriptions) != subscriptions:
        invalidate(SUBSCRIPTIONS)
    return subscriptions


def _check(*, actor, url: str, events: Iterable[str]) -> list[str]:
    if not is_manager(actor):
        raise ActionRefused(_("Only managers and administrators register webhooks."))
    try:
        net.check_url(url, allow_private=settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE)
    except net.UnsafeDestination as error:
        raise ActionRefused(str(error)) from None
    events = [event for event in EventType.values if event in set(events)]
    if not events:
        raise ActionRefused(_("Choose at least one event."))
    return events


@transaction.atomic
def endpoint_create(*, actor, url: str, events: Iterable[str], description: str = "") -> WebhookEndpoint:
    """Register an endpoint (a manager or an admin, who becomes its owner) with a new signing secret.
    Refused for an address we never send to (net.check_url)."""
    events = _check(actor=actor, url=url, events=events)
    endpoint = WebhookEndpoint.objects.create(owner=actor, url=url, events=events, description=description.strip(),
                                              secret=_new_secret())
    subscriptions_forget()
    return endpoint


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, actor, url: str, events: Iterable[str], description: str = "",
                    is_active: bool = True) -> WebhookEndpoint:
    """Change an endpoint; enabling a disabled one clears its failures (its pending deliveries go out)."""
    events = _check(actor=actor, url=url, events=events)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.url, endpoint.events, endpoint.description = url, events, description.strip()
    if is_active and not endpoint.is_active:
        endpoint.failing_since = endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    endpoint.is_active = is_active
    endpoint.save(update_fields=["url", "events", "description", "is_active", "failing_since", "disabled_at",
                                 "disabled_reason"])
    subscriptions_forget()
    if is_active:
        transaction.on_commit(partial(_publish, endpoint.pk))
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    if not is_manager(actor):
        raise ActionRefused(_("Only managers and administrators register webhooks."))
    endpoint.delete()
    subscriptions_forget()


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor) -> WebhookEndpoint:
    if not is_manager(actor):
        raise ActionRefused(_("Only managers and administrators register webhooks."))
    endpoint.secret = _new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint


@transaction.atomic
def endpoint_test(*, endpoint: WebhookEndpoint, actor) -> WebhookDelivery:
    """The test button: a `webhook.test` delivery through the same outbox, sent after commit."""
    if not is_manager(actor):
        raise ActionRefused(_("Only managers and administrators register webhooks."))
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, message_id=_message_id(), event_type=TEST_EVENT, next_attempt_at=now, created_at=now,
        payload=_payload(TEST_EVENT, now, {"endpoint": endpoint.pk, "by": actor.get_username()}),
    )
    transaction.on_commit(partial(_publish, endpoint.pk))
    return delivery


# --- The outbox


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _payload(event_type: str, at, data: dict) -> dict:
    """{"type", "timestamp", "data"} as Standard Webhooks suggests, made JSON once (dates as ISO text)."""
    return json.loads(json.dumps({"type": event_type, "timestamp": at.isoformat(), "data": data},
                                 cls=DjangoJSONEncoder))


def _publish(endpoint_id: int) -> None:
    from .tasks import deliver_webhooks

    publish(deliver_webhooks, endpoint_id, what=f"webhook deliveries of endpoint {endpoint_id}")


def deliveries_enqueue(*, event_type: str, items: Sequence[tuple[object, dict, int | None]]) -> int:
    """Write, in the caller's transaction, one delivery per (ticket, data, position) item and listening
    endpoint, the payload being the API's representation of the ticket and `data`, `position` the id of
    the history event that caused it; after commit, one broker message per endpoint. No endpoint
    listening: no query at all. Returns how many were written."""
    listening = subscribed_endpoint_ids(event_type)
    if not listening or not items:
        return 0
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(pk__in=listening, is_active=True)
                 .only("pk", "events") if event_type in endpoint.events]
    if not endpoints:
        subscriptions_forget()  # the cached map was stale
        return 0
    now = timezone.now()
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for ticket, data, position in items:
            body = {"ticket": ticket_representation(ticket), **data} if ticket is not None else data
            payload = _payload(event_type, now, body)
            rows += [WebhookDelivery(endpoint_id=endpoint.pk, message_id=_message_id(), event_type=event_type,
                                     ticket=ticket, position=position, payload=payload, created_at=now,
                                     next_attempt_at=now)
                     for endpoint in endpoints]
    WebhookDelivery.objects.bulk_create(rows)
    for endpoint in endpoints:
        transaction.on_commit(partial(_publish, endpoint.pk))
    return len(rows)


# --- Sending


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    busy: bool = False  # another worker holds the endpoint
    more: bool = False  # a full batch was read: call again
    retry_in: float | None = None  # seconds until the earliest retry that is waiting


def signed_headers(*, endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: str, at) -> dict[str, str]:
    signature = Webhook(endpoint.secret).sign(delivery.message_id, at, body)
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[bool, bool]:
    """Send one delivery once and log it; returns (delivered, the receiver answered at all)."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    at = timezone.now()
    headers = signed_headers(endpoint=endpoint, delivery=delivery, body=body, at=at)
    started = time.monotonic()
    status_code, excerpt, error = None, "", ""
    try:
        answer = net.post(endpoint.url, body.encode(), headers, timeout=settings.HELPDESK_WEBHOOK_TIMEOUT,
                          allow_private=settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE)
    except net.UnsafeDestination as refused:
        error = str(refused)
    except OSError as failure:
        error = f"{failure.__class__.__name__}: {failure}"[:300] if str(failure) else failure.__class__.__name__
    else:
        status_code, excerpt = answer.status, answer.excerpt
    duration = round((time.monotonic() - started) * 1000)
    delivered = status_code is not None and 200 <= status_code < 300
    now = timezone.now()
    delivery.attempts += 1
    if delivered:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    with transaction.atomic():
        WebhookAttempt.objects.create(delivery=delivery, at=at, status_code=status_code, duration_ms=duration,
                                      response_excerpt=excerpt[:500], error=error[:300],
                                      retry_at=delivery.next_attempt_at)
        delivery.save(update_fields=["attempts", "status", "delivered_at", "next_attempt_at"])
        _record_health(endpoint, delivered=delivered, now=now)
    return delivered, status_code is not None


def _record_health(endpoint: WebhookEndpoint, *, delivered: bool, now) -> None:
    if delivered:
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            endpoint.failing_since = None
        return
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
        endpoint.failing_since = now
    elif now - endpoint.failing_since >= DISABLE_AFTER:
        endpoint_disable_failing(endpoint=endpoint, now=now)


def endpoint_disable_failing(*, endpoint: WebhookEndpoint, now=None) -> bool:
    """Disable an endpoint that has failed for DISABLE_AFTER and tell its owner, once (conditional
    update): its pending deliveries wait until someone enables it again."""
    now = now or timezone.now()
    reason = _("Every delivery failed for a day.")
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason)
    endpoint.is_active = False
    if disabled:
        subscriptions_forget()
        transaction.on_commit(partial(_tell_owner, endpoint.pk))
    return bool(disabled)


def _tell_owner(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("owner").filter(pk=endpoint_id).first()
    if endpoint is None or not endpoint.owner.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Webhook disabled: %(url)s") % {"url": endpoint.url}
        body = _("Every delivery to %(url)s failed for a day, so it has been disabled. Its pending events are "
                 "kept: fix the receiver, then enable the endpoint again on %(page)s.") % {
            "url": endpoint.url, "page": settings.HELPDESK_BASE_URL + endpoint.get_absolute_url()}
    try:
        send_mail(subject, body, None, [endpoint.owner.email])
    except Exception:  # noqa: BLE001 - the endpoint page says it is disabled either way
        logger.warning("Could not tell the owner of webhook %s that it was disabled", endpoint_id, exc_info=True)


def endpoint_send_pending(*, endpoint_id: int, limit: int = BATCH, time_budget: float = 40.0) -> SendResult:
    """Send the endpoint's due deliveries, oldest first, one at a time. A delivery waits while an older
    one of the same ticket is not delivered (events arrive in order per ticket); when the receiver does
    not answer at all, the rest waits for the next try. One sender per endpoint (a lease, which the run
    never outlives: it stops after `time_budget` seconds, well within LEASE and the task's time limit,
    and asks for another run)."""
    result = SendResult()
    started = time.monotonic()
    now = timezone.now()
    claimed = (WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True)
               .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=now))
               .update(sending_until=now + LEASE))
    if not claimed:
        result.busy = True
        return result
    try:
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        deliveries = list(WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.PENDING)
                          .order_by("id")[:limit])
        result.more = len(deliveries) == limit
        # A ticket's deliveries in the order of their causes in its history (ids order the rest).
        deliveries.sort(key=lambda delivery: (delivery.ticket_id or 0, delivery.position or 0, delivery.id))
        waiting: set[int] = set()
        for delivery in deliveries:
            if not endpoint.is_active:
                break
            if time.monotonic() - started > time_budget:
                result.more = True
                break
            if delivery.ticket_id is not None and delivery.ticket_id in waiting:
                continue
            if delivery.next_attempt_at and delivery.next_attempt_at > timezone.now():
                _note_retry(result, delivery)
                if delivery.ticket_id is not None:
                    waiting.add(delivery.ticket_id)
                continue
            delivered, answered = _attempt(endpoint, delivery)
            if delivered:
                result.sent += 1
                continue
            result.failed += 1
            _note_retry(result, delivery)
            if delivery.ticket_id is not None:
                waiting.add(delivery.ticket_id)
            if not answered:
                result.more = False
                break
    finally:
        WebhookEndpoint.objects.filter(pk=endpoint_id).update(sending_until=None)
    return result


def _note_retry(result: SendResult, delivery: WebhookDelivery) -> None:
    if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
        wait = max(0.0, (delivery.next_attempt_at - timezone.now()).total_seconds())
        result.retry_in = wait if result.retry_in is None else min(result.retry_in, wait)


@dataclass
class DrainResult:
    endpoints: int = 0
    sent: int = 0
    failed: int = 0
    disabled: int = 0


def webhooks_drain(*, now=None, time_budget: float = 50.0) -> DrainResult:
    """The beat job: refresh the cached subscriptions, disable the endpoints failing for a day, and send
    the due deliveries (what the broker missed, the retries that are due), endpoint by endpoint."""
    now = now or timezone.now()
    started = time.monotonic()
    result = DrainResult()
    for endpoint in WebhookEndpoint.objects.filter(is_active=True, failing_since__lte=now - DISABLE_AFTER):
        result.disabled += endpoint_disable_failing(endpoint=endpoint, now=now)
    subscriptions_refresh()
    due = (WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
                                          endpoint__is_active=True)
           .values_list("endpoint_id", flat=True).distinct())
    for endpoint_id in sorted(set(due)):
        if time.monotonic() - started > time_budget:
            break
        sent = endpoint_send_pending(endpoint_id=endpoint_id)
        result.endpoints += 1
        result.sent += sent.sent
        result.failed += sent.failed
    return result
