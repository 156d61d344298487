"""Nothing is lost when the broker is down or a worker dies, and nothing is sent twice.

The Redis test runs real processes against a Redis of its own on another port, stopped and then
started, and the PostgreSQL test database; it is skipped without PostgreSQL (CI has it).
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests import live
from tests.factories import make_ticket
from tickets import outbox
from tickets.models import Notification
from tickets.outbox import CLAIM_TIMEOUT
from tickets.tasks import send_pending_notifications


class WorkerKilled(BaseException):  # noqa: N818 - like SIGKILL: not an Exception, nothing catches it
    """Stands for the worker process dying in the middle of the task."""


def test_a_task_killed_once_then_retried_sends_the_email_once(requester, category, mailoutbox, monkeypatch):
    ticket = make_ticket(requester=requester, category=category)
    notification = Notification.objects.get(event__ticket=ticket, template="ticket_created")
    Notification.objects.filter(pk=notification.pk).update(sent_at=None, claimed_at=None)
    mailoutbox.clear()

    def die(self, fail_silently=False):
        raise WorkerKilled

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", die)
        with pytest.raises(WorkerKilled):
            outbox.deliver(notification.pk)
    # The broker redelivers the unacknowledged task at once (acks_late): the claim makes it a no-op.
    assert outbox.deliver(notification.pk) == "skipped"
    assert mailoutbox == []
    # Once the claim is stale, the outbox drain sends it, once.
    with time_machine.travel(timezone.now() + CLAIM_TIMEOUT + timedelta(minutes=1)):
        assert send_pending_notifications() == 1
        assert outbox.deliver(notification.pk) == "skipped"

    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.attempts == 2


def test_a_failed_send_is_retried_and_recorded(requester, category, mailoutbox, monkeypatch):
    ticket = make_ticket(requester=requester, category=category)
    notification = Notification.objects.get(event__ticket=ticket, template="ticket_created")
    Notification.objects.filter(pk=notification.pk).update(sent_at=None, claimed_at=None)
    mailoutbox.clear()

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send",
                      lambda self, fail_silently=False: (_ for _ in ()).throw(OSError("SMTP down")))
        with pytest.raises(OSError):
            outbox.deliver(notification.pk)
    notification.refresh_from_db()
    assert (notification.sent_at, notification.claimed_at, notification.last_error) == (None, None, "SMTP down")

    assert outbox.deliver(notification.pk) == "sent"
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_ticket_submitted_while_redis_is_down_is_saved_and_its_email_goes_out_when_redis_is_back(tmp_path):
    if connection.vendor != "postgresql" or not shutil.which("redis-server"):
        pytest.skip("needs PostgreSQL and redis-server (CI has both)")
    port = live.free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    mails = tmp_path / "mails"
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "DATABASE_URL": live.database_url(settings.DATABASES["default"]), "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0", "SECRET_KEY": "reliability-test", "DEBUG": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mails),
    }
    env.pop("TEST_DATABASE_NAME", None)
    # 1. Redis is down: the requester submits; the request must succeed and the email wait in the outbox.
    created = live.manage_shell(
        "from tests.factories import UserFactory, CategoryFactory, make_ticket\n"
        "r = UserFactory(username='outage_requester')\n"
        "t = make_ticket(requester=r, category=CategoryFactory(name='Outage'))\n"
        "print('REF', t.reference)\n", env)
    assert created.returncode == 0, created.stderr[-2000:]
    reference = created.stdout.split("REF ")[1].split()[0]
    outbox = Notification.objects.filter(event__ticket__reference=reference)
    assert outbox.count() == 1 and outbox.get().sent_at is None
    # 2. Redis comes back; a worker runs; the outbox drain (beat, every minute) re-enqueues the email.
    redis = live.start_redis(port)
    worker = None
    try:
        env["EMAIL_FILE_PATH"] = str(mails)
        worker = live.start_worker(env, tmp_path / "worker.log")
        outbox.update(created_at=timezone.now() - timedelta(minutes=5))
        drained = live.manage_shell("from tickets.tasks import send_pending_notifications as s; print('N', s())", env)
        assert "N 1" in drained.stdout, drained.stderr[-2000:]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and outbox.get().sent_at is None:
            time.sleep(0.5)
        assert outbox.get().sent_at is not None, (tmp_path / "worker.log").read_text()[-3000:]
        sent = [path.read_text() for path in mails.glob("*.log")]
        assert len(sent) == 1 and reference in sent[0]
    finally:
        for process in (worker, redis):
            live.stop(process)
