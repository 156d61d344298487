"""The nightly retention pass (privacy.services.retention_run, issue 22) at 1,000,000 tickets, over
100,000 eligible tickets: dry run and real run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_1m_portal \
        .venv/bin/python bench/retention.py [--eligible 100000] [--people 500]

BENCH_DB is a seeded bench database (bench/seed_scale.py; here a copy of the 1M one). The script makes
`--eligible` of its oldest closed tickets eligible, once (re-runs find them): it moves them to `--people`
new requesters ("bench_dormant…", with an email, a phone and a name that other tickets' texts mention)
who have no other ticket, and gives each of those tickets one attachment (an empty file under a media
folder of its own). Two rules then cover exactly them: "delete the attachments of tickets closed for 365
days" and "anonymise the requesters of tickets closed for 365 days".

The dry run is timed in BENCH_DB (it changes nothing). The real run is timed in a scratch copy
(CREATE DATABASE … TEMPLATE BENCH_DB, dropped afterwards), so the bench can be run again; every statement
is counted. The target (issue 22): the real run under 2 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from common import bench_database_url, machine, setup_django, step

TARGET_S = 120.0
DAYS = 365
OUTPUT = Path(__file__).resolve().parent / "output"


def prepare(eligible: int, people: int, media: Path) -> None:
    """The dormant requesters and their old tickets with one attachment each (idempotent)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from accounts.models import Profile
    from privacy.models import RetentionAction, RetentionRule

    if not User.objects.filter(username="bench_dormant0").exists():
        with transaction.atomic(), connection.cursor() as cursor:
            password = make_password("demo")
            users = User.objects.bulk_create([
                User(username=f"bench_dormant{i}", email=f"dormant{i}@example.org", first_name="Dormant",
                     last_name=f"Person{i}", password=password) for i in range(people)])
            Profile.objects.bulk_create([Profile(user=user, phone=f"06 {i // 10000 % 100:02d} {i // 100 % 100:02d} "
                                                 f"{i % 100:02d} 99") for i, user in enumerate(users)],
                                        ignore_conflicts=True)
            ids = [user.pk for user in users]
            # The oldest closed tickets, dealt round-robin to the dormant people.
            cursor.execute("""
                WITH chosen AS (
                    SELECT id, row_number() OVER (ORDER BY closed_at, id) AS n FROM tickets_ticket
                    WHERE closed_at < now() - make_interval(days => %s) ORDER BY closed_at, id LIMIT %s)
                UPDATE tickets_ticket t SET requester_id = (%s::int[])[1 + (chosen.n %% %s)], organisation_id = NULL
                FROM chosen WHERE t.id = chosen.id""", [DAYS + 30, eligible, ids, people])
            # Other people's texts name some of them (what erasure must find everywhere).
            cursor.execute("""
                UPDATE tickets_followup f SET body = body || ' (voir avec ' || u.first_name || ' ' || u.last_name
                    || ', ' || u.email || ')'
                FROM auth_user u WHERE u.username LIKE 'bench_dormant%%' AND f.id IN (
                    SELECT min(id) FROM tickets_followup WHERE id %% 997 = 0 GROUP BY id %% 5000)
                    AND u.id = (%s::int[])[1 + f.id %% %s]""", [ids, people])
            cursor.execute("""
                INSERT INTO tickets_attachment (ticket_id, file, original_name, content_type, size, uploaded_by_id,
                                                created_at)
                SELECT t.id, 'attachments/bench/' || t.id || '.txt', 'capture.txt', 'text/plain', 0, t.requester_id,
                       t.created_at
                FROM tickets_ticket t JOIN auth_user u ON u.id = t.requester_id
                WHERE u.username LIKE 'bench_dormant%%'""")
            cursor.execute("ANALYZE tickets_ticket; ANALYZE tickets_attachment; ANALYZE auth_user")
    from tickets.models import Attachment

    folder = media / "attachments" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    for name in Attachment.objects.filter(file__startswith="attachments/bench/").values_list("file", flat=True):
        (media / name).touch()
    RetentionRule.objects.get_or_create(action=RetentionAction.DELETE_ATTACHMENTS, days=DAYS)
    RetentionRule.objects.get_or_create(action=RetentionAction.ANONYMISE_REQUESTERS, days=DAYS)


class Counter:
    """Counts the statements; keeps the slowest ones."""

    def __init__(self):
        self.count = 0
        self.slow: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.slow.append((time.perf_counter() - start, sql[:160]))
            self.slow = sorted(self.slow, reverse=True)[:8]


class Phases:
    """Wall time spent in the run's parts (the functions of privacy.services it calls)."""

    def __init__(self, *names: str):
        from privacy import services

        self.times = dict.fromkeys(names, 0.0)
        for name in names:
            original = getattr(services, name)

            def wrapper(*args, _original=original, _name=name, **kwargs):
                start = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.times[_name] += time.perf_counter() - start
            setattr(services, name, wrapper)

    def line(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.times.items())


def switch_database(name: str) -> None:
    from django.conf import settings
    from django.db import connections

    connections["default"].close()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


def admin_execute(sql: str) -> None:
    from urllib.parse import urlparse, urlunparse

    import psycopg

    admin = urlunparse(urlparse(bench_database_url("postgres"))._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eligible", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy of the real run")
    parser.add_argument("--dry-only", action="store_true", help="prepare and time the dry run only")
    args = parser.parse_args()
    media = Path(tempfile.gettempdir()) / f"bench_retention_media_{os.environ.get('BENCH_DB', 'bench')}"
    os.environ["MEDIA_ROOT"] = str(media)
    name = setup_django()
    from django.conf import settings
    from django.db import connection

    from privacy.services import retention_run
    from tickets.models import Ticket

    settings.MEDIA_ROOT = media
    if not name.startswith("bench"):
        sys.exit("BENCH_DB must start with 'bench'")
    print(machine())
    with step(f"prepare {args.eligible:,} eligible tickets for {args.people} people"):
        prepare(args.eligible, args.people, media)
    tickets = Ticket.objects.count()
    print(f"{tickets:,} tickets in {name}")

    counter = Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        steps = retention_run(dry_run=True)
        dry = time.perf_counter() - start
    dry_queries = counter.count
    files = sum(1 for s in steps if s.action == "attachments")
    users = len(steps) - files
    print(f"dry run: {dry:.1f} s, {len(steps):,} steps ({files:,} attachments, {users:,} people), "
          f"{dry_queries} statements")

    if args.dry_only:
        return
    scratch = f"{name}_retention_run"
    connection.close()
    with step(f"copy {name} to {scratch}"):
        admin_execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin_execute(f'CREATE DATABASE "{scratch}" TEMPLATE "{name}"')
    switch_database(scratch)
    try:
        counter = Counter()
        phases = Phases("attachments_delete", "_mentions", "people_anonymise", "_scrub_everywhere")
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            done = retention_run()
            real = time.perf_counter() - start
        print(f"  where the time goes: {phases.line()}")
        for seconds, sql in counter.slow:
            print(f"  {seconds:6.2f} s  {sql}")
        assert [s.line() for s in done] == [s.line() for s in steps], "the real run differs from the dry run"
        left = sum(1 for _ in (media / "attachments" / "bench").iterdir())
        print(f"real run: {real:.1f} s, {len(done):,} steps, {counter.count} statements; files left: {left}")
    finally:
        connection.close()
        if not args.keep:
            admin_execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    verdict = "OK" if real < TARGET_S else "OVER"
    print(f"target: real run < {TARGET_S:.0f} s at {tickets:,} tickets: {verdict}")


if __name__ == "__main__":
    main()
