"""PostgreSQL's CPU per request, beside the Python's: what bench/instructions.py (the web process only) does not
count. For each case, requests in process as bench/profile_requests.py sends them (Django's test Client, production
settings, a Redis of this script's own), the connection's server process on this machine read from
/proc/<pid>/schedstat (its time on a CPU, in nanoseconds) before and after each round.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        .venv/bin/python bench/database_cpu.py [--case queue] [--repeat 60] [--rounds 5] [--explain]

Cases: queue (the twelve filters of bench/http_load.py in turn), workspace (the 200-followup ticket), workspaces (the
120 newest open tickets in turn, as agents open one ticket after another), submit, dashboard_org (as
bench/profile_requests.py). Printed per case: PostgreSQL's CPU per request (median of the rounds, and each
round's), the web process's CPU per request over the same rounds, and the statements of one request. PostgreSQL must
run on this machine (its server processes' /proc). A statement prepared by the connection (core.postgres: after
`prepare_threshold` runs of the same text) is not planned again: the warm-up runs each request enough times for
what repeats to be prepared, as on a server that has run for a while; what differs from one request to the next
(a new ticket's values, a page's cursor) is planned each time, as there. With --explain, each statement of one
request of each URL of the case (a GET) run again under EXPLAIN ANALYZE, its values written in (so parsed and planned,
as a statement not prepared is): the median planning and execution times of five runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def backend_cpu_ns(pid: int) -> int:
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[0])


def run(args) -> None:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.common import machine
    from bench.http_load import ensure_cast, queue_paths
    from bench.profile_requests import cases
    from tickets.models import OPEN_STATUSES, Ticket

    ensure_cast()
    print(f"database_cpu on {connection.settings_dict['NAME']}; {machine()}; load {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    chosen = cases()
    chosen["queue"] = (chosen["queue"][0], "get", queue_paths(), None)
    newest = Ticket.objects.filter(status__in=OPEN_STATUSES).order_by("-created_at").values_list("reference", flat=True)
    chosen["workspaces"] = (chosen["workspace"][0], "get", [f"/agent/tickets/{ref}/" for ref in newest[:120]], None)
    for label in args.case or ["queue", "workspace", "workspaces", "submit", "dashboard_org"]:
        username, method, url, data = chosen[label]
        urls = itertools.cycle([url] if isinstance(url, str) else url)
        client = Client()
        client.force_login(User.objects.get(username=username))

        def once(client=client, method=method, data=data, urls=urls):
            response = getattr(client, method)(next(urls), data() if data else None)
            assert response.status_code in (200, 302), response.status_code
            client.cookies.pop("messages", None)

        for _ in range(args.warmup):
            once()
        if args.explain and method == "get":
            for path in dict.fromkeys([url] if isinstance(url, str) else url):
                explain(client, path)
        with CaptureQueriesContext(connection) as captured:
            once()
        statements = len(captured.captured_queries)
        database, web = [], []
        for _ in range(args.rounds):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            started_db, started_web = backend_cpu_ns(pid), time.process_time()
            for _ in range(args.repeat):
                once()
            web.append((time.process_time() - started_web) * 1000 / args.repeat)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                if cursor.fetchone()[0] != pid:
                    sys.exit("the connection changed during a round: measure with persistent connections")
            database.append((backend_cpu_ns(pid) - started_db) / 1e6 / args.repeat)
        print(f"{label}: PostgreSQL {statistics.median(database):.2f} ms per request "
              f"({', '.join(f'{value:.2f}' for value in database)}); web process "
              f"{statistics.median(web):.2f} ms ({', '.join(f'{value:.2f}' for value in web)}); "
              f"{statements} statements")


def explain(client, path: str) -> None:
    """Each SELECT of one GET of `path`, under EXPLAIN ANALYZE five times: the median planning and execution."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    lines, total = [], 0.0
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT"):
            continue
        planning, execution = [], []
        for _ in range(5):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
            plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
            planning.append(plan["Planning Time"])
            execution.append(plan["Execution Time"])
        planned, ran = statistics.median(planning), statistics.median(execution)
        total += planned + ran
        lines.append(f"    planning {planned:5.2f}  execution {ran:5.2f}  {sql[:100]}")
    print(f"  {path}: {total:.2f} ms planned and run")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append",
                        choices=["queue", "workspace", "workspaces", "submit", "dashboard_org", "dashboard_org_30d"])
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="each statement's planning and execution times")
    parser.add_argument("--warmup", type=int, default=72, help="requests before the rounds (default: each of the "
                        "queue's twelve filters six times; each ticket of workspaces not once)")
    args = parser.parse_args()
    from bench.profile_requests import with_production_settings

    with_production_settings(run, args)


if __name__ == "__main__":
    main()
