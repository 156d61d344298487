"""Rendering and sending of one outbox notification (HTML and text bodies from templates)."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Notification
from .tasks import CLAIM_TIMEOUT


@functools.cache
def _text_engine() -> Engine:
    """Plain-text bodies are not HTML: render them without HTML escaping (the HTML part escapes)."""
    return Engine(
        dirs=[str(d) for d in settings.TEMPLATES[0]["DIRS"]], app_dirs=True, autoescape=False,
        libraries={"i18n": "django.templatetags.i18n"},
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


def _claimable(now):
    from django.db.models import Q

    return Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT)


def _survey_url(ticket) -> str | None:
    from .models import Survey
    from .surveys import survey_url

    survey = Survey.objects.filter(ticket=ticket).first()
    return survey_url(survey) if survey else None


def _parse_datetime(value):
    from django.utils.dateparse import parse_datetime

    return parse_datetime(value) if isinstance(value, str) else None


def build_message(notification: Notification) -> EmailMultiAlternatives:
    event = notification.event
    ticket = event.ticket
    recipient = notification.recipient
    base = settings.HELPDESK_BASE_URL
    from accounts.roles import is_agent

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
