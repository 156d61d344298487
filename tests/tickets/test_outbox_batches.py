"""A task of many notifications (tickets.outbox.deliver_many, issue 16): one connection to the mail server, one claim
and one read for two emails as for eight, each email sent once, a failure kept to its own notification."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import OrganisationFactory, UserFactory, make_ticket
from tests.mail_backends import OPENED
from tickets import outbox, tasks
from tickets.models import Notification

COUNTING = "tests.mail_backends.CountingBackend"


@pytest.fixture
def counting(settings):
    settings.EMAIL_BACKEND = COUNTING
    OPENED.clear()
    return OPENED


def unsent(count: int, category, *, agents: bool = False) -> list[int]:
    """The notifications of `count` new tickets, none sent yet (their after-commit messages never run). With
    `agents`, tickets of a VIP organisation, whose alert goes to N2 as well: links to the agents' workspace."""
    organisation = OrganisationFactory(is_vip=True) if agents else None
    ids = []
    for n in range(count):
        requester = UserFactory(organisation=organisation, email=f"person{n}@example.com")
        ticket = make_ticket(requester=requester, category=category)
        ids += Notification.objects.filter(event__ticket=ticket).order_by("pk").values_list("pk", flat=True)
    mail.outbox = []
    return ids


def test_a_task_of_many_notifications_opens_one_connection_and_sends_each_once(counting, category, agent_n2):
    ids = unsent(4, category, agents=True)
    assert len(ids) == 8  # each ticket's acknowledgement and its alert to N2

    assert tasks.send_notifications(ids) == 8

    assert counting == [1]
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        [f"person{n}@example.com" for n in range(4)] + [agent_n2.email] * 4)
    assert not Notification.objects.filter(pk__in=ids, sent_at__isnull=True).exists()
    assert set(Notification.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    # Redelivered (acks_late) or sent again by the drain: nothing twice.
    assert tasks.send_notifications(ids) == 0
    assert len(mail.outbox) == 8


def test_each_email_links_to_the_page_its_recipient_works_on(counting, category, agent_n2):
    ids = unsent(2, category, agents=True)

    tasks.send_notifications(ids)

    assert len(mail.outbox) == 4
    for pk, message in zip(ids, mail.outbox, strict=True):  # sent in the order of the ids
        notification = Notification.objects.select_related("event__ticket", "recipient").get(pk=pk)
        ticket = notification.event.ticket
        assert message.to == [notification.recipient.email]
        if message.to == [agent_n2.email]:
            assert ticket.get_agent_url() in message.body
        else:
            assert ticket.get_absolute_url() in message.body and "/agent/" not in message.body


def test_the_claim_and_the_reads_are_the_same_for_two_emails_as_for_eight(counting, category, agent_n2):
    two, eight = unsent(1, category, agents=True), unsent(4, category, agents=True)
    tasks.send_notifications(unsent(1, category, agents=True))  # the templates loaded once

    with CaptureQueriesContext(connection) as for_two:
        assert tasks.send_notifications(two) == 2
    with CaptureQueriesContext(connection) as for_eight:
        assert tasks.send_notifications(eight) == 8

    # The claim, the read and the recipients' groups once; each email marked sent as it goes (one UPDATE each).
    assert len(for_two) == 3 + 2
    assert len(for_eight) == 3 + 8


def test_more_notifications_than_a_chunk_are_sent_a_chunk_at_a_time(counting, category, monkeypatch):
    monkeypatch.setattr(outbox, "DELIVERY_CHUNK", 2)
    ids = unsent(5, category)

    with CaptureQueriesContext(connection) as captured:
        assert tasks.send_notifications(ids) == 5

    assert len(mail.outbox) == 5 and counting == [1]
    claims = [q["sql"] for q in captured if q["sql"].startswith("UPDATE") and "attempts" in q["sql"]]
    assert len(claims) == 3


def test_a_notification_claimed_by_a_live_worker_is_left_to_it_and_the_others_are_sent(counting, category):
    ids = unsent(3, category)
    Notification.objects.filter(pk=ids[1]).update(claimed_at=timezone.now())

    assert tasks.send_notifications(ids) == 2

    assert len(mail.outbox) == 2
    assert Notification.objects.get(pk=ids[1]).sent_at is None


def test_one_refused_email_leaves_the_others_sent_and_goes_on_alone(counting, category, monkeypatch):
    ids = unsent(3, category)
    refused = Notification.objects.get(pk=ids[1])
    UserFactory._meta.model.objects.filter(pk=refused.recipient_id).update(email="refuse@example.com")
    published = []
    monkeypatch.setattr(tasks, "publish", lambda task, *args, what: published.append((task.name, args)))

    assert tasks.send_notifications(ids) == 2

    assert len(mail.outbox) == 2
    refused.refresh_from_db()
    assert (refused.sent_at, refused.claimed_at, refused.attempts) == (None, None, 1)
    assert "550 mailbox unavailable" in refused.last_error
    assert published == [(tasks.send_notification.name, (ids[1],))]  # its own task, with its retries
    assert counting == [1, 1]  # after the refusal, the next email opened a connection anew


def test_a_database_failure_mid_task_hands_every_notification_to_its_own_task(counting, category, monkeypatch):
    ids = unsent(2, category)
    published = []
    monkeypatch.setattr(tasks, "publish", lambda task, *args, what: published.append(args))

    def database_gone(notification_ids):
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(outbox, "_claim", database_gone)

    assert tasks.send_notifications(ids) == 0
    assert published == [(pk,) for pk in ids]
    assert mail.outbox == []


class WorkerKilled(BaseException):  # noqa: N818 - like SIGKILL: not an Exception, nothing catches it
    """Stands for the worker process dying in the middle of the task."""


def test_a_worker_killed_mid_task_leaves_each_email_to_be_sent_once(counting, category, monkeypatch):
    ids = unsent(3, category)
    send = EmailMultiAlternatives.send
    calls = []

    def dies_at_the_second(self, fail_silently=False):
        calls.append(self.to)
        if len(calls) == 2:
            raise WorkerKilled
        return send(self, fail_silently)

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", dies_at_the_second)
        with pytest.raises(WorkerKilled):
            tasks.send_notifications(ids)
    assert [m.to for m in mail.outbox] == [["person0@example.com"]]
    # The broker redelivers the task (acks_late): the first is sent, the others claimed by the dead worker.
    assert tasks.send_notifications(ids) == 0
    # Once their claim is stale, the drain sends the two others, once.
    with time_machine.travel(timezone.now() + outbox.CLAIM_TIMEOUT + timedelta(minutes=1)):
        tasks.send_pending_notifications()
        tasks.send_pending_notifications()

    assert sorted(address for m in mail.outbox for address in m.to) == [f"person{n}@example.com" for n in range(3)]
