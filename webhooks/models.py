"""Outbound webhooks: the endpoints managers register, the outbox of deliveries written in the same
transaction as their cause, and each attempt's log (docs/api.md, "Webhooks")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_STATUS_CHANGED = "ticket.status_changed", _("Ticket status changed")
    TICKET_LEVEL_CHANGED = "ticket.level_changed", _("Ticket level changed")
    TICKET_PRIORITY_CHANGED = "ticket.priority_changed", _("Ticket priority changed")
    SLA_WARNING = "sla.warning", _("SLA warning")
    SLA_BREACHED = "sla.breached", _("SLA breach")
    INCIDENT_DECLARED = "incident.declared", _("Major incident declared")
    INCIDENT_UPDATED = "incident.updated", _("Major incident updated")
    INCIDENT_RESOLVED = "incident.resolved", _("Major incident resolved")
    POSTMORTEM_PUBLISHED = "postmortem.published", _("Postmortem published")
    SURVEY_ANSWERED = "survey.answered", _("Satisfaction survey answered")


# Sent by the test button only; no endpoint subscribes to it.
TEST_EVENT = "webhook.test"


class WebhookEndpoint(models.Model):
    """A URL that receives the events it subscribed to, signed with its secret (Standard Webhooks)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_endpoints",
                              verbose_name=_("owner"))
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # "whsec_" + base64 of 32 random bytes; the receiver needs it to check the signatures.
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # The first failure of the current run of failures; a day of them disables the endpoint.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    # One sender per endpoint at a time (the deliveries of a ticket go out in order): the lease's end.
    sending_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["url", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])

    def event_labels(self) -> list[str]:
        return [str(EventType(code).label) for code in self.events if code in EventType.values]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (no more retries)")


class WebhookDelivery(models.Model):
    """One event owed to one endpoint: the outbox row, written in the transaction of its cause, then
    sent by a worker (retried with backoff; the beat drain sends what the broker missed)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(_("webhook-id"), max_length=40, unique=True)
    event_type = models.CharField(_("event"), max_length=40)
    # Deliveries of one ticket go out in the order of their causes in its history: `position` is the id
    # of the TicketEvent that caused it (the receivers of one change do not run in history order).
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    position = models.BigIntegerField(null=True, blank=True, editable=False)
    payload = models.JSONField()
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The sender reads an endpoint's pending deliveries in id order; the drain, the due ones.
            models.Index(fields=["endpoint", "id"], condition=Q(status="pending"), name="webhook_pending"),
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One try at sending a delivery: the delivery log of its endpoint."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
