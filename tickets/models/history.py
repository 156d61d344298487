"""The ticket's append-only history (its timeline) and the notification outbox rows."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.db import insert_rows

from .. import labels
from ..signals import events_recorded
from .choices import EventKind
from .conversation import Followup
from .ticket import Ticket


class TicketEventQuerySet(models.QuerySet):
    def public(self) -> TicketEventQuerySet:
        return self.filter(is_public=True)


class TicketEventManager(models.Manager.from_queryset(TicketEventQuerySet)):
    """The one way to write history, for one event or many (as Django's LogEntry.objects.log_actions):
    services call it inside their transaction."""

    def record_many(self, rows: Iterable[tuple[Ticket, str, dict]], *, actor=None, public: bool = True,
                    followup: Followup | None = None, now=None) -> list[TicketEvent]:
        """One INSERT for the (ticket, kind, data) rows; the events, in the order of `rows`."""
        actor = actor if getattr(actor, "pk", None) else None
        now = now or timezone.now()
        return self.write([
            TicketEvent(ticket=ticket, kind=kind, actor=actor, is_public=public, data=data or {},
                        followup=followup, created_at=now)
            for ticket, kind, data in rows
        ])

    def write(self, events: list[TicketEvent]) -> list[TicketEvent]:
        """One INSERT for the new events, each with its own actor and visibility (a ticket's creation: the
        requester's "created" and the system's internal lines); events_recorded sent."""
        events = insert_rows(events)
        if events:
            events_recorded.send(sender=TicketEvent, events=events)
        return events

    def record(self, *, ticket: Ticket, kind: str, actor=None, public: bool = True,
               data: dict | None = None, followup: Followup | None = None) -> TicketEvent:
        return self.record_many([(ticket, kind, data or {})], actor=actor, public=public, followup=followup)[0]


class TicketEvent(models.Model):
    """Append-only history of a ticket: its timeline. Rows are never updated nor deleted."""

    # Looked up by the index event_ticket_created (ticket, created_at), which starts with it: Django's own index
    # on the key alone would be a second B-tree to write for every event (issue 16, session 13).
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("by"),
    )
    is_public = models.BooleanField(_("visible to the requester"), default=True)
    data = models.JSONField(default=dict, blank=True)
    followup = models.ForeignKey(Followup, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    objects = TicketEventManager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("history event")
        verbose_name_plural = _("history events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Ticket history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ticket history is append-only.")

    # Properties rather than template filters: the plain-text emails are rendered by an engine that
    # loads no custom tag library (tickets.outbox._text_engine).

    @property
    def reason_label(self) -> str:
        """The label of the reason code in the data (an escalation reason), in the active language."""
        return labels.reason_label((self.data or {}).get("reason") or "")

    @property
    def rule_label(self) -> str:
        """The label of the automatic rule that acted ("" when a person did)."""
        return labels.rule_label((self.data or {}).get("rule") or "")


class Notification(models.Model):
    """An email owed to someone, written in the same transaction as its cause (an outbox).

    The task that sends it claims it by a conditional update, so a retried or duplicated task
    never sends twice, and a broker outage loses nothing: a beat job re-enqueues the unsent.
    """

    # Looked up by the constraint notification_once (event, recipient, template), which starts with it.
    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    template = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient", "template"], name="notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient_id}"
