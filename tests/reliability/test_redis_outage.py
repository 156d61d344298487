"""Redis down costs nothing a person typed (issue 13, part 1).

As an operator runs it: gunicorn with production settings, a Celery worker, PostgreSQL, and one Redis
as cache *and* broker, of the test's own, on a free port. While that Redis is stopped, requesters
submit tickets, people log in, a survey is answered and an agent's presence poll runs: every request
succeeds and every row is saved. Redis comes back: the outbox drain (beat's job, run here by hand)
sends every notification, each exactly once, even when the drain runs twice.
"""

from __future__ import annotations

import email
import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from tests import live
from tests.factories import CategoryFactory, UserFactory, advance, make_ticket
from tickets.models import Notification, Survey, Ticket
from tickets.surveys import survey_url

SUBMISSIONS = 20


def _user(username: str, **kwargs):
    """A user whose password the gunicorn process (default hashers) can check."""
    user = UserFactory(username=username, **kwargs)
    user.password = PBKDF2PasswordHasher().encode("demo", PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    return user


def _sent_mails(folder: Path) -> list[email.message.Message]:
    mails = []
    for path in folder.glob("*.log"):
        # The file backend writes each connection's messages to one file, separated by a line of dashes.
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                mails.append(email.message_from_string(chunk))
    return mails


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_submissions_logins_and_surveys_are_saved_and_every_email_goes_out_once(tmp_path):
    if connection.vendor != "postgresql" or not shutil.which("redis-server"):
        pytest.skip("needs PostgreSQL and redis-server (CI has both)")
    requester = _user("outage_requester", email="outage@example.org")
    agent = _user("outage_agent", groups=["N1"])
    category = CategoryFactory(name="Panne Redis")
    closed = advance(make_ticket(requester=requester, category=category), to="closed", agent=agent)
    survey_path = survey_url(Survey.objects.get(ticket=closed)).removeprefix(settings.HELPDESK_BASE_URL)
    Notification.objects.update(sent_at=timezone.now())  # what came before the outage is not counted

    redis_port, web_port = live.free_port(), live.free_port()
    mails = tmp_path / "mails"
    env = live.production_env(database_url=live.database_url(settings.DATABASES["default"]),
                              redis_url=f"redis://127.0.0.1:{redis_port}/0", static_root=tmp_path / "static",
                              mail_dir=mails, SECRET_KEY=settings.SECRET_KEY)  # the survey link's signature
    live.collectstatic(env)
    redis = live.start_redis(redis_port)
    web = worker = None
    try:
        web = live.start_gunicorn(env, web_port, tmp_path / "gunicorn.log")
        worker = live.start_worker(env, tmp_path / "worker.log")
        base = f"http://127.0.0.1:{web_port}"
        portal = live.WebClient(base)
        assert portal.login("outage_requester", "demo").status == 302

        live.stop(redis)
        answers = [
            portal.submit("/tickets/new/", {
                "ticket_type": "incident", "category": category.pk, "title": f"Panne pendant l'incident {n}",
                "description": "Rien ne répond.", "urgency": "medium", "impact": "low", "attachments": live.NO_FILE,
            }, multipart=True)  # the form takes files: a browser sends it as multipart/form-data
            for n in range(SUBMISSIONS)
        ]
        desk = live.WebClient(base)
        login = desk.login("outage_agent", "demo")
        presence = desk.get(f"/agent/tickets/{closed.reference}/presence/?version={closed.version}")
        # The queue keeps its filter forms and rows in the process and reads reference data from the cache: with
        # the cache down, it reads the database and answers all the same, filtered.
        queues = [desk.get(path) for path in ("/agent/", "/agent/?q=Panne", "/agent/?q=Panne")]
        survey = live.WebClient(base).submit(survey_path, {"score": 5, "comment": "Parfait malgré la panne"})

        assert [a.status for a in answers] == [302] * SUBMISSIONS, [a.body[:300] for a in answers if a.status != 302]
        assert all(a.location.startswith("/tickets/20") for a in answers)
        assert (login.status, login.location) == (302, "/")
        assert presence.status == 200
        assert [queue.status for queue in queues] == [200, 200, 200]
        assert all(queue.body.count('data-href="/agent/tickets/') == min(SUBMISSIONS, 25) for queue in queues[1:])
        assert survey.status == 200 and "Merci" in survey.body  # the thank-you page
        saved = Ticket.objects.filter(title__startswith="Panne pendant l'incident")
        assert saved.count() == SUBMISSIONS
        assert Survey.objects.get(ticket=closed).score == 5
        outbox = Notification.objects.filter(sent_at__isnull=True)
        assert outbox.filter(event__ticket__in=saved).count() == SUBMISSIONS  # one acknowledgement each
        expected = outbox.count()

        # Redis is back (empty, as after a restart); the worker reconnects; beat's drain runs, twice.
        redis = live.start_redis(redis_port)
        outbox.update(created_at=timezone.now() - timedelta(minutes=5))
        for _ in range(2):
            drained = live.manage_shell("from tickets.tasks import send_pending_notifications as s; s()", env)
            assert drained.returncode == 0, drained.stderr[-2000:]
        live.wait_until(lambda: not Notification.objects.filter(sent_at__isnull=True).exists(), timeout=90,
                        explain=lambda: (tmp_path / "worker.log").read_text()[-3000:])
        sent = _sent_mails(mails)
        per_message = Counter((m["To"], m["X-Helpdesk-Ticket"], m["Subject"]) for m in sent)
        assert len(sent) == expected
        assert max(per_message.values()) == 1
        assert {m["X-Helpdesk-Ticket"] for m in sent} >= set(saved.values_list("reference", flat=True))
    finally:
        for process in (worker, web, redis):
            live.stop(process)
