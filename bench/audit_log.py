"""The audit log's page, CSV and purge at 1,000,000 entries (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_audit \
        .venv/bin/python bench/audit_log.py [--entries 1000000]

Fills a fresh database with `--entries` entries over 400 days (200 people, 50 addresses, every action),
one INSERT … SELECT generate_series, then times (median of 5, in process, through the page's own
selectors and form) the first page, a page 10,000 entries deep by keyset, the filters (actor, person
concerned, address, action, one day), the CSV rows of one person's entries (the query and each row as
the view writes it), and the retention purge of the entries older than 365 days (in a transaction rolled
back, so it can be run again). Each page is one statement whatever its depth, plus one to find the person
named by a username filter (counted).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import machine, setup_django  # noqa: E402

PEOPLE = 200


def fill(entries: int) -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    from audit.models import Action

    User.objects.bulk_create([User(username=f"bench_audit_{n}") for n in range(PEOPLE)], ignore_conflicts=True)
    low = User.objects.filter(username__startswith="bench_audit_").order_by("pk").values_list("pk", flat=True)[0]
    actions = Action.values
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditentry")
        if cursor.fetchone()[0] >= entries:
            return
        cursor.execute(f"""
            INSERT INTO audit_auditentry (at, action, actor_id, subject_id, object_id, ip, user_agent, details)
            SELECT now() - (g * (400.0 * 86400 / %s)) * interval '1 second',
                   (%s::text[])[1 + g %% {len(actions)}],
                   CASE WHEN g %% 7 = 0 THEN NULL ELSE %s + g %% {PEOPLE} END,
                   %s + (g * 7) %% {PEOPLE}, '', ('198.51.100.' || (g %% 50))::inet,
                   'Mozilla/5.0 (bench)', '{{}}'::jsonb
            FROM generate_series(1, %s) AS g""", [entries, actions, low, low, entries])
        cursor.execute("ANALYZE audit_auditentry")


def median_ms(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_django()
    from datetime import timedelta

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from audit.forms import AuditFilterForm
    from audit.models import Action, AuditEntry
    from audit.selectors import audit_page, encode_cursor, entries
    from audit.views import _row

    start = time.perf_counter()
    fill(args.entries)
    print(f"{machine()}; {AuditEntry.objects.count():,} entries (filled in {time.perf_counter() - start:.0f} s)")
    deep = AuditEntry.objects.order_by("-at", "-id")[10_000]
    day = timezone.localdate() - timedelta(days=100)

    def page(**query):
        cursor = query.pop("older", None)
        form = AuditFilterForm(query or None)
        return audit_page(form.filter(entries()), older=cursor, size=25).entries

    cases = {
        "first page": {},
        "10,000 entries deep (keyset)": {"older": encode_cursor(deep)},
        "by actor": {"actor": "bench_audit_3"},
        "person concerned": {"subject": "bench_audit_5"},
        "by address": {"ip": "198.51.100.7"},
        "by action": {"action": "token_revoked"},
        "one day": {"since": day.isoformat(), "until": day.isoformat()},
    }
    print(f"{'page of 25':<32}{'median ms':>10}{'statements':>12}")
    for label, query in cases.items():
        with CaptureQueriesContext(connection) as queries:
            page(**dict(query))
        print(f"{label:<32}{median_ms(lambda q=query: page(**dict(q))):>10.1f}{len(queries):>12}")

    def csv_rows():
        labels = {value: str(label) for value, label in Action.choices}
        form = AuditFilterForm({"subject": "bench_audit_5"})
        return sum(1 for entry in form.filter(entries()).order_by("-at", "-id").iterator(chunk_size=2000)
                   if _row(entry, labels))

    start = time.perf_counter()
    rows = csv_rows()
    elapsed = time.perf_counter() - start
    print(f"CSV of one person: {rows:,} rows in {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s)")

    with transaction.atomic():
        start = time.perf_counter()
        purged = AuditEntry.objects.purge_before(timezone.now() - timedelta(days=365))
        print(f"purge older than 365 days: {purged:,} entries in {time.perf_counter() - start:.2f} s "
              "(rolled back)")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
