"""Storm detection at 1,000,000 tickets: the beat pass over the last hour, the detection of one new
ticket, and the nightly baseline (issue 21; target: the beat pass under 200 ms).

    BENCH_DB=bench_storms DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/storm_beat.py [--repeat 20]

BENCH_DB must be a copy of the 1 M database loaded by bench/seed_scale.py (e.g. `CREATE DATABASE
bench_storms TEMPLATE bench_1m_main`; drop it afterwards); the script migrates it with this branch. Tickets are spread
evenly over two years (about 57 an hour). "Now" is the newest ticket's time. Each timed call runs in a
transaction rolled back afterwards, so every repetition does the same work:

1. the nightly baseline (`storm_baselines_refresh`, 8 weeks of history) — once, kept;
2. `storms_scan` over the last hour (every ticket in it examined; no storm there);
3. the same hour with a storm added: 40 tickets by 40 people in one category over its last 30
   minutes (inserted once, reference prefix X; removed at the next run) — the pass opens the storm,
   writes its 40 members and its suggestion;
4. `storms_detect` of one new ticket (the task run after each creation), with the storm open.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta

os.environ.setdefault("BENCH_DB", "bench_storms")
if not os.environ["BENCH_DB"].startswith("bench_") or os.environ["BENCH_DB"].endswith("_main"):
    sys.exit("BENCH_DB must be a copy of the 1 M database (bench_…, not the lead's bench_…_main)")

from common import machine, setup_django, summary, timed  # noqa: E402

TARGET_MS = 200


class Rollback(Exception):
    pass


def rolled_back(fn):
    from django.db import transaction

    def run():
        try:
            with transaction.atomic():
                fn()
                raise Rollback
        except Rollback:
            pass
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.db.models import Max
    from django.test.utils import CaptureQueriesContext

    from storms.models import Storm, StormBaseline
    from storms.services import storm_baselines_refresh, storms_detect, storms_scan
    from tickets.models import Category, Ticket

    print(machine(), "| PostgreSQL", connection.cursor().connection.info.server_version, "|",
          "load", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    Ticket.objects.filter(reference__startswith="X").delete()
    Storm.objects.all().delete()
    now = Ticket.objects.aggregate(last=Max("created_at"))["last"]
    total = Ticket.objects.count()
    hour = Ticket.objects.filter(created_at__gt=now - timedelta(hours=1), created_at__lte=now).count()
    print(f"{total:,} tickets; {hour} in the last hour before {now:%Y-%m-%d %H:%M} UTC")

    started, cpu = time.perf_counter(), time.process_time()
    rows = storm_baselines_refresh(now=now - timedelta(hours=1))
    print(f"baseline (8 weeks of history): {rows} rows in {(time.perf_counter() - started) * 1000:.0f} ms "
          f"({(time.process_time() - cpu) * 1000:.0f} ms of Python CPU)")
    print(f"StormBaseline rows: {StormBaseline.objects.count()}")

    def report(label, fn):
        with CaptureQueriesContext(connection) as captured:
            rolled_back(fn)()
        cpu = time.process_time()
        median, p95 = summary(timed(rolled_back(fn), repeat=args.repeat))
        cpu = (time.process_time() - cpu) * 1000 / args.repeat
        sql = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        verdict = "ok" if p95 < TARGET_MS else "OVER"
        print(f"| {label} | {median:.1f} | {p95:.1f} | {cpu:.1f} | {sql:.1f} | {len(captured)} | {verdict} |")
        return captured

    print("\n| case | median ms | p95 ms | Python CPU ms | SQL ms (one run) | queries | p95 < 200 ms |\n"
          "|---|---:|---:|---:|---:|---:|---|")
    report("beat pass, last hour, no storm", lambda: storms_scan(now=now))

    # A storm: 40 people, one category, the last 30 minutes.
    category = Category.objects.filter(parent__isnull=False).order_by("id").first()
    people = list(Ticket.objects.filter(created_at__lt=now - timedelta(days=30)).values_list(
        "requester_id", flat=True).distinct()[:41])
    storm = [Ticket(reference=f"X{i:07d}", title="Le VPN ne se connecte plus", description="Depuis 9 h",
                    ticket_type="incident", channel="web", urgency="medium", impact="medium", priority="P3",
                    category=category, requester_id=people[i], created_at=now - timedelta(seconds=45 * (40 - i)),
                    updated_at=now, phase_started_at=now)
             for i in range(40)]
    Ticket.objects.bulk_create(storm)
    captured = report("beat pass, last hour, a 40-ticket storm found", lambda: storms_scan(now=now))
    last = Ticket.objects.create(reference="X0000040", title="VPN coupé", description="x", ticket_type="incident",
                                 channel="web", urgency="medium", impact="medium", priority="P3", category=category,
                                 requester_id=people[40], created_at=now, updated_at=now, phase_started_at=now)
    storms_scan(now=now - timedelta(seconds=1))  # the storm is open, as the beat pass left it

    report("one new ticket (the task after its creation), storm open",
           lambda: storms_detect(ticket_ids=[last.pk], now=now))
    Storm.objects.all().delete()

    window = [q["sql"] for q in captured if "category_parent" in q["sql"]][:1]
    if window:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + window[0].split(" LIMIT ")[0])
            print("\nEXPLAIN of the window read:\n" + "\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
