"""Email notifications: an outbox written with the change, sent by Celery after commit, once (the specification)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from tests.factories import make_ticket
from tickets import outbox, services, tasks
from tickets.models import EventKind, Notification
from tickets.outbox import deliver

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
FAILING = "tests.tickets.test_outbox.FailingEmailBackend"


class FailingEmailBackend(BaseEmailBackend):
    """An SMTP server that refuses everything."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def _html(message) -> str:
    htmls = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert len(htmls) == 1
    return htmls[0]


def _acknowledgement(ticket) -> Notification:
    return Notification.objects.get(event__ticket=ticket, template="ticket_created")


# --- Acknowledgement of receipt, after commit


def test_creating_a_ticket_sends_one_acknowledgement_to_the_requester(requester, category,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [requester.email]
    assert ticket.reference in message.subject
    assert ticket.reference in _html(message)
    assert ticket.reference in message.body
    notification = _acknowledgement(ticket)
    assert notification.recipient == requester
    assert notification.sent_at is not None
    assert notification.attempts == 1


def test_nothing_is_sent_before_the_transaction_commits(requester, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = make_ticket(requester=requester, category=category)

    assert mail.outbox == []
    assert callbacks  # the sending waits for the commit
    assert _acknowledgement(ticket).sent_at is None


def test_a_creation_that_rolls_back_sends_nothing_and_leaves_no_notification(requester, category,
                                                                              django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_ticket(requester=requester, category=category)
        raise RuntimeError("the request failed after the ticket was created")

    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


# --- The outbox claim


def test_delivering_the_same_notification_twice_sends_one_email(ticket):
    pk = _acknowledgement(ticket).pk

    assert deliver(pk) == "sent"
    assert deliver(pk) == "skipped"

    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=pk).attempts == 1


def test_a_duplicated_task_sends_one_email(ticket):
    pk = _acknowledgement(ticket).pk

    tasks.send_notification.delay(pk)
    tasks.send_notification.delay(pk)

    assert len(mail.outbox) == 1


def test_a_notification_claimed_by_a_live_worker_is_not_sent_by_another(ticket):
    notification = _acknowledgement(ticket)
    Notification.objects.filter(pk=notification.pk).update(claimed_at=timezone.now())

    assert deliver(notification.pk) == "skipped"
    assert mail.outbox == []


def test_a_notification_whose_worker_died_is_claimable_again_after_the_claim_timeout(ticket):
    notification = _acknowledgement(ticket)
    Notification.objects.filter(pk=notification.pk).update(
        claimed_at=timezone.now() - outbox.CLAIM_TIMEOUT - timedelta(seconds=1)
    )

    assert deliver(notification.pk) == "sent"
    assert len(mail.outbox) == 1


# --- Failures and retries


def test_a_failing_email_backend_leaves_the_notification_unsent_with_its_error(settings, ticket):
    settings.EMAIL_BACKEND = FAILING
    pk = _acknowledgement(ticket).pk

    with pytest.raises(ConnectionRefusedError):
        deliver(pk)

    notification = Notification.objects.get(pk=pk)
    assert notification.sent_at is None
    assert "SMTP server unreachable" in notification.last_error
    assert notification.claimed_at is None  # claimable again at once
    assert notification.attempts == 1
    settings.EMAIL_BACKEND = LOCMEM
    assert deliver(pk) == "sent"
    assert Notification.objects.get(pk=pk).last_error == ""


def test_a_failing_email_backend_does_not_break_the_ticket_creation(settings, requester, category,
                                                                    django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = FAILING

    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category)

    notification = _acknowledgement(ticket)
    assert notification.sent_at is None
    assert notification.last_error
    assert notification.claimed_at is None


def test_the_outbox_drain_re_enqueues_a_failed_notification_after_a_minute(settings, ticket):
    settings.EMAIL_BACKEND = FAILING
    pk = _acknowledgement(ticket).pk
    with pytest.raises(ConnectionRefusedError):
        deliver(pk)
    settings.EMAIL_BACKEND = LOCMEM

    assert tasks.send_pending_notifications() == 0  # too recent: its own retry may still be on the way
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert tasks.send_pending_notifications() == 1
        assert tasks.send_pending_notifications() == 0

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [ticket.requester.email]
    assert Notification.objects.get(pk=pk).sent_at is not None


def test_a_broker_outage_does_not_break_the_creation_and_keeps_the_notification(monkeypatch, requester,
                                                                                category,
                                                                                django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_notification, "apply_async", broker_down)
    monkeypatch.setattr(tasks.send_notifications, "apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category)

    assert ticket.pk is not None
    notification = _acknowledgement(ticket)
    assert (notification.sent_at, notification.claimed_at, notification.attempts) == (None, None, 0)
    assert mail.outbox == []

    monkeypatch.undo()  # the broker is back: the beat job's drain sends it
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        tasks.send_pending_notifications()
    assert [m.to for m in mail.outbox] == [[ticket.requester.email]]


# --- Replies


def test_a_public_agent_reply_emails_the_requester(ticket, agent_n1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_add(ticket=ticket, author=agent_n1, body="Avez-vous essayé de redémarrer ?")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [ticket.requester.email]
    assert ticket.reference in message.subject
    assert "Avez-vous essayé de redémarrer ?" in message.body
    assert Notification.objects.get(event__kind=EventKind.FOLLOWUP).template == "public_reply"


def test_a_private_note_emails_nobody(ticket, agent_n1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_add(ticket=ticket, author=agent_n1, body="Client difficile.", is_public=False)

    assert mail.outbox == []
    assert not Notification.objects.filter(event__kind=EventKind.NOTE).exists()


# --- Bodies


def test_the_text_body_is_not_html_escaped_while_the_html_part_is(requester, category,
                                                                  django_capture_on_commit_callbacks):
    title = "Écran <b>noir</b> & clignotant"

    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(requester=requester, category=category, title=title)

    message = mail.outbox[0]
    assert title in message.body
    assert "&lt;b&gt;" not in message.body
    assert "&amp;" not in message.body
    assert title in message.subject
    html = _html(message)
    assert title not in html
    assert "Écran &lt;b&gt;noir&lt;/b&gt; &amp; clignotant" in html
