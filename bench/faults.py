"""Faults as users meet them (issue 13): through gunicorn (4 sync workers, production settings), a Celery
worker, PostgreSQL, and one Redis as cache and broker, of this script's own on a free port.

1. Redis up: 16 requesters submit 5 tickets each at once (the baseline).
2. Redis stopped: the same again, plus a login per requester, an agent's presence poll and a survey
   answer. Printed: saved, 5xx, and the time of each request (p50 / p95 / max).
3. Redis back (empty, as after a restart): the outbox drain, beat's job, runs twice; printed: emails
   sent, duplicates, seconds until the outbox is empty.
4. Behind one proxy (PROXY_COUNT=1, every request from 127.0.0.1 with X-Forwarded-For): 40 people log
   in once each from their own address; then 6 wrong passwords for one of them from one address and the
   right one from another; then an attacker rotating forged X-Forwarded-For values with PROXY_COUNT=0.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/faults.py

Works in the database `bench_faults` (created afresh). Needs redis-server on the PATH.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["BENCH_DB"] = os.environ.get("BENCH_DB", "bench_faults")

from bench.common import setup_django, summary  # noqa: E402

CLIENTS = 16
PER_CLIENT = 5
PROXY_USERS = 40


def _seed():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from tests.factories import CategoryFactory, UserFactory, advance, make_ticket
    from tickets.models import Survey
    from tickets.surveys import survey_url

    password = make_password("demo")  # one PBKDF2 hash for everybody: set_password per user costs 0.3 s
    names = [f"requester{n}" for n in range(CLIENTS)] + [f"person{n}" for n in range(PROXY_USERS)]
    people = get_user_model().objects.bulk_create(
        get_user_model()(username=name, email=f"{name}@example.org", password=password) for name in names)
    agent = UserFactory(username="agent", groups=["N1"])
    category = CategoryFactory(name="Bench")
    closed = advance(make_ticket(requester=people[0], category=category), to="closed", agent=agent)
    return category, closed, survey_url(Survey.objects.get(ticket=closed))


def _submissions(base, category, tag):
    from tests import live

    def one_client(n):
        client = live.WebClient(base)
        login = client.login(f"requester{n}", "demo")
        assert login.status == 302, login.status
        return [client.submit("/tickets/new/", {
            "ticket_type": "incident", "category": category.pk, "title": f"{tag} {n}-{k}",
            "description": "Rien ne répond.", "urgency": "medium", "impact": "low"}) for k in range(PER_CLIENT)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [answer for answers in pool.map(one_client, range(CLIENTS)) for answer in answers]
    return answers


def _line(label, answers, saved=None):
    times = [a.seconds * 1000 for a in answers]
    p50, p95 = summary(times)
    errors = sum(a.status >= 500 for a in answers)
    kept = f"{saved:>5}" if saved is not None else "    -"
    print(f"| {label:<44} | {len(answers):>4} | {kept} | {errors:>3} | {p50:>7.0f} | {p95:>7.0f} | {max(times):>7.0f} |")


def main() -> None:
    setup_django(fresh=True)
    from django.conf import settings
    from django.utils import timezone

    from tests import live
    from tickets.models import Notification, Survey, Ticket

    category, closed, survey_link = _seed()
    survey_path = survey_link.removeprefix(settings.HELPDESK_BASE_URL)
    Notification.objects.update(sent_at=timezone.now())
    work = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    redis_port, web_port = live.free_port(), live.free_port()
    env = live.production_env(database_url=os.environ["DATABASE_URL"],
                              redis_url=f"redis://127.0.0.1:{redis_port}/0", static_root=work / "static",
                              mail_dir=work / "mails", SECRET_KEY=settings.SECRET_KEY, LOG_LEVEL="ERROR")
    base = f"http://127.0.0.1:{web_port}"
    live.collectstatic(env)
    redis = live.start_redis(redis_port)
    web = worker = None
    try:
        web = live.start_gunicorn(env, web_port, work / "gunicorn.log", workers=4)
        worker = live.start_worker(env, work / "worker.log")
        print(f"gunicorn 4 sync workers, PostgreSQL, Redis on :{redis_port}; {CLIENTS} clients at once\n")
        print("| requests | n | saved | 5xx | p50 ms | p95 ms | max ms |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        up = _submissions(base, category, "up")
        _line("ticket submissions, Redis up", up, Ticket.objects.filter(title__startswith="up ").count())
        live.wait_until(lambda: not Notification.objects.filter(sent_at__isnull=True).exists(), timeout=120)

        live.stop(redis)
        down = _submissions(base, category, "down")
        _line("ticket submissions, Redis down", down, Ticket.objects.filter(title__startswith="down ").count())
        logins = [live.WebClient(base).login(f"person{n}", "demo") for n in range(CLIENTS)]
        _line("logins, Redis down (302 = in)", logins, sum(a.status == 302 for a in logins))
        desk = live.WebClient(base)
        desk.login("agent", "demo")
        polls = [desk.get(f"/agent/tickets/{closed.reference}/presence/?version={closed.version}")
                 for _ in range(20)]
        _line("presence polls, Redis down", polls)
        survey = [live.WebClient(base).submit(survey_path, {"score": 5, "comment": "OK"})]
        _line("survey answer, Redis down", survey, Survey.objects.filter(ticket=closed, score=5).count())

        expected = Notification.objects.filter(sent_at__isnull=True).count()
        sent_before = len(_mails(work / "mails"))
        redis = live.start_redis(redis_port)
        started = time.monotonic()
        Notification.objects.filter(sent_at__isnull=True).update(created_at=timezone.now() - timedelta(minutes=5))
        for _ in range(2):
            live.manage_shell("from tickets.tasks import send_pending_notifications as s; s()", env)
        live.wait_until(lambda: not Notification.objects.filter(sent_at__isnull=True).exists(), timeout=180)
        mails = _mails(work / "mails")[sent_before:]
        duplicates = sum(n - 1 for n in Counter(mails).values())
        print(f"\nRedis back: {expected} emails waited in the outbox; drain run twice; {len(mails)} sent, "
              f"{duplicates} duplicates, outbox empty after {time.monotonic() - started:.1f} s")
    finally:
        for process in (worker, web, redis):
            live.stop(process)
    _behind_a_proxy(env, work)


def _mails(folder: Path) -> list[tuple]:
    import email

    found = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime):
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk)
                found.append((message["To"], message["X-Helpdesk-Ticket"], message["Subject"]))
    return found


def _behind_a_proxy(env: dict, work: Path) -> None:
    from tests import live

    print("\nBehind one proxy (every request from 127.0.0.1; the client's address in X-Forwarded-For):")
    for proxy_count in (1, 0):
        redis_port, web_port = live.free_port(), live.free_port()
        proxy_env = {**env, "PROXY_COUNT": str(proxy_count), "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                     "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0"}
        redis = live.start_redis(redis_port)
        web = live.start_gunicorn(proxy_env, web_port, work / f"gunicorn-proxy{proxy_count}.log", workers=4)
        base = f"http://127.0.0.1:{web_port}"
        try:
            if proxy_count == 1:
                answers = [live.WebClient(base, headers={"X-Forwarded-For": f"198.51.100.{n + 1}"})
                           .login(f"person{n}", "demo") for n in range(PROXY_USERS)]
                print(f"- PROXY_COUNT=1: {PROXY_USERS} people log in once each from their own address: "
                      f"{Counter(a.status for a in answers)} (302 = in, 429 = refused)")
                attacker = live.WebClient(base, headers={"X-Forwarded-For": "203.0.113.66"})
                wrong = [attacker.login("person0", "wrong").status for _ in range(6)]
                owner = live.WebClient(base, headers={"X-Forwarded-For": "198.51.100.200"}).login("person0", "demo")
                print(f"- PROXY_COUNT=1: 6 wrong passwords for person0 from 203.0.113.66 → {wrong}; "
                      f"the owner from 198.51.100.200 → {owner.status}")
            else:
                forged = [live.WebClient(base, headers={"X-Forwarded-For": f"192.0.2.{n + 1}"})
                          .login("person1", "wrong").status for n in range(8)]
                print(f"- PROXY_COUNT=0: 8 wrong passwords for person1, each with another forged "
                      f"X-Forwarded-For → {forged} (200 = form again, 403/429 = locked or limited)")
        finally:
            live.stop(web)
            live.stop(redis)


if __name__ == "__main__":
    main()
