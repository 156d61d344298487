"""PostgreSQL's CPU per request, beside the Python's: what bench/instructions.py (the web process only) does not
count. For each case, requests in process as bench/profile_requests.py sends them (Django's test Client, production
settings, a Redis of this script's own), the connection's server process on this machine read from
/proc/<pid>/schedstat (its time on a CPU, in nanoseconds) before and after each round.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        .venv/bin/python bench/database_cpu.py [--case queue] [--repeat 60] [--rounds 5]

Cases: queue (the twelve filters of bench/http_load.py in turn), workspace, submit, dashboard_org (as
bench/profile_requests.py). Printed per case: PostgreSQL's CPU per request (median of the rounds, and each
round's), the web process's CPU per request over the same rounds, and the statements of one request. PostgreSQL must
run on this machine (its server processes' /proc). A statement prepared by the connection (core.postgres: after
`prepare_threshold` runs of the same text) is not planned again: the warm-up runs each request enough times for
what repeats to be prepared, as on a server that has run for a while; what differs from one request to the next
(a new ticket's values, a page's cursor) is planned each time, as there.
"""

from __future__ import annotations

import argparse
import itertools
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

    ensure_cast()
    print(f"database_cpu on {connection.settings_dict['NAME']}; {machine()}; load {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    chosen = cases()
    chosen["queue"] = (chosen["queue"][0], "get", None, None)
    for label in args.case or ["queue", "workspace", "submit", "dashboard_org"]:
        username, method, url, data = chosen[label]
        urls = itertools.cycle(queue_paths() if url is None else [url])
        client = Client()
        client.force_login(User.objects.get(username=username))

        def once(client=client, method=method, data=data, urls=urls):
            response = getattr(client, method)(next(urls), data() if data else None)
            assert response.status_code in (200, 302), response.status_code
            client.cookies.pop("messages", None)

        for _ in range(args.warmup):
            once()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append",
                        choices=["queue", "workspace", "submit", "dashboard_org", "dashboard_org_30d"])
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=72, help="requests before the rounds (default: each of the "
                        "queue's twelve filters six times)")
    args = parser.parse_args()
    from bench.profile_requests import with_production_settings

    with_production_settings(run, args)


if __name__ == "__main__":
    main()
