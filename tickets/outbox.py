"""The notification outbox, one concept in one module.

A change writes its email as a Notification row in the change's own transaction (`notify`,
`notify_new_events`); once that commits, one broker message asks a worker to send it (`enqueue`). The
worker claims each row by a conditional UPDATE before sending (`deliver`), so a retried task, a
redelivered message or the drain never sends twice; `pending_ids` is what the beat drain
(tickets.tasks.send_pending_notifications) sends again when the broker was down or a worker died.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from accounts.roles import is_agent
from core.broker import publish_ids
from core.db import insert_rows

from .models import Notification, Survey, TicketEvent
from .surveys import survey_url

# A claimed notification whose worker died is claimable again after this long.
CLAIM_TIMEOUT = timedelta(minutes=5)
# The drain leaves the newest rows to their own broker message, and gives up on a row after this many tries.
DRAIN_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 10


# --- Writing: in the change's transaction


def notify(*, event: TicketEvent, recipients: Sequence, template: str) -> None:
    """Write the outbox rows now, in one INSERT; enqueue their sending once the transaction commits.

    Idempotent: a recipient already notified of this event with this template gets no second row.
    """
    rows = _rows([(event, recipients, template)])
    if not rows:
        return
    already = set(
        Notification.objects.filter(event=event, template=template, recipient_id__in=[r for _e, r, _t in rows])
        .values_list("recipient_id", flat=True)
    )
    _write([notification for (_e, recipient, _t), notification in rows.items() if recipient not in already])


def notify_new_events(items: Iterable[tuple[TicketEvent, Sequence, str]]) -> None:
    """notify for many (event, recipients, template) at once, the events created in this transaction:
    none has a notification yet, so the outbox rows of all go in with one INSERT."""
    _write(list(_rows(items).values()))


def _rows(items: Iterable[tuple[TicketEvent, Sequence, str]]) -> dict[tuple, Notification]:
    """One unsaved Notification per (event, recipient with an email, template), keyed by those ids."""
    rows = {}
    for event, recipients, template in items:
        for recipient in recipients:
            if recipient is not None and recipient.email:
                rows[(event.pk, recipient.pk, template)] = Notification(event=event, recipient=recipient,
                                                                        template=template)
    return rows


def _write(notifications: list[Notification]) -> None:
    """Insert the rows; once the transaction commits, one broker message for the rows it wrote.

    A transaction that writes several times (a new ticket's receipt, then the recurring rule's alert to
    N2) publishes once: each write appends its ids to the transaction's list and registers a hook that
    sends the ids of its write and of the writes after it not sent yet; the first hook sends them all,
    the later ones find nothing left. A write whose savepoint rolled back loses its hook, and its ids
    may go with an earlier write's: their rows do not exist, and `deliver` skips a row it cannot claim.
    """
    ids = [notification.pk for notification in insert_rows(notifications)]
    if not ids:
        return
    conn = transaction.get_connection()
    writes = getattr(conn, "_helpdesk_outbox_writes", None)
    if writes is None or not conn.run_on_commit:
        # No hook waits in this transaction: a list of its own (the ids of one that rolled back stay out;
        # a transaction opened by another's after-commit hook sends its own).
        writes = conn._helpdesk_outbox_writes = []
    writes.append(ids)
    position = len(writes) - 1
    transaction.on_commit(lambda: _enqueue_writes(writes, position))


def _enqueue_writes(writes: list[list[int]], position: int) -> None:
    ids = [pk for written in writes[position:] for pk in written]
    writes[position:] = [[] for _written in writes[position:]]
    if ids:
        enqueue(ids)


# --- Sending: after commit, in a worker


def enqueue(notification_ids: list[int]) -> None:
    """A broker message for these notifications, with the ones this process sends meanwhile
    (core.broker.publish_ids). A broker outage loses nothing and does not slow the request: the rows stay
    unsent and the drain sends them (no retry)."""
    from .tasks import send_notifications  # the task module imports this one; this is the way back

    publish_ids(send_notifications, notification_ids, what="{count} notifications")


def pending_ids(*, now=None, limit: int = 500) -> list[int]:
    """Notifications the drain sends again: unsent, old enough, not claimed by a live worker."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS,
                                    created_at__lte=now - DRAIN_AFTER)
        .filter(_claimable(now)).values_list("pk", flat=True)[:limit]
    )


def deliver(notification_id: int) -> str:
    """Claim the notification by a conditional update, send it, mark it sent.

    Only the worker whose update changed the row sends, so duplicates of the task (a retry, the
    outbox drain, a redelivered message) send nothing twice.
    """
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, sent_at__isnull=True)
        .filter(_claimable(now))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "skipped"
    notification = Notification.objects.select_related(
        "recipient", "event__ticket", "event__actor", "event__followup"
    ).get(pk=notification_id)
    try:
        message = build_message(notification)
        message.send(fail_silently=False)
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(claimed_at=None, last_error=str(exc)[:2000])
        raise
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now(), last_error="")
    return "sent"


def _claimable(now) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT)


# --- Rendering


@functools.cache
def _text_engine() -> Engine:
    """Plain-text bodies are not HTML: render them without HTML escaping (the HTML part escapes)."""
    return Engine(
        dirs=[str(d) for d in settings.TEMPLATES[0]["DIRS"]], app_dirs=True, autoescape=False,
        libraries={"i18n": "django.templatetags.i18n", "people": "accounts.templatetags.people"},
    )


def _survey_url(ticket) -> str | None:
    survey = Survey.objects.filter(ticket=ticket).first()
    return survey_url(survey) if survey else None


def _parse_datetime(value):
    return parse_datetime(value) if isinstance(value, str) else None


def build_message(notification: Notification) -> EmailMultiAlternatives:
    event = notification.event
    ticket = event.ticket
    recipient = notification.recipient
    base = settings.HELPDESK_BASE_URL
    url = base + (ticket.get_agent_url() if is_agent(recipient) else ticket.get_absolute_url())
    context = {
        "ticket": ticket,
        "event": event,
        "recipient": recipient,
        "url": url,
        "base_url": base,
        "followup": event.followup if event.followup_id and event.followup.is_public else None,
        "data": event.data,
        "due_at": _parse_datetime(event.data.get("due_at")),
        "survey_url": _survey_url(ticket) if notification.template == "survey" else None,
    }
    with translation.override(settings.LANGUAGE_CODE):
        name = notification.template
        engine = _text_engine()
        subject = engine.get_template(f"emails/{name}_subject.txt").render(Context(context, autoescape=False))
        subject = " ".join(subject.split())
        text = engine.get_template(f"emails/{name}.txt").render(Context(context, autoescape=False))
        html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[recipient.email],
        headers={"X-Helpdesk-Ticket": ticket.reference,
                 "References": f"<{ticket.reference}@helpdesk>"},
    )
    message.attach_alternative(html, "text/html")
    return message
