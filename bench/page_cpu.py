"""CPU per request of the queue and the workspace, in short rounds, to compare two trees on a shared machine
(issue 16, session 6): run it from each tree's root in turn, several times, and compare the minima (the least
disturbed rounds); process_time, so waiting on PostgreSQL, Redis or for a core is not counted. Under a heavy
load even process_time swells (two cores shared by a dozen processes), so it also prints the Python function
calls per request (cProfile's count, the same whatever the load): the work done, not the time it took.

    cd <tree> && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        /work/.../.venv/bin/python /path/to/bench/page_cpu.py

The code measured is the tree of the current directory (it goes first on sys.path). PAGE_CPU_ONLY=queue,queue_htmx
measures only those cases (queue_htmx: the table alone, as htmx asks for it). Needs a database seeded
by bench/seed_scale.py, with bench/agent_queue.py's 200-followup workspace ticket.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("BENCH_DB", "bench_perf")


def main() -> None:
    from bench.profile_requests import with_production_settings

    with_production_settings(run)


def run() -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    from bench.http_load import ensure_cast, workspace_reference

    ensure_cast()
    client = Client()
    client.force_login(User.objects.get(username="bench_n1_0"))
    workspace = f"/agent/tickets/{workspace_reference()}/"
    htmx = {"HTTP_HX_REQUEST": "true"}  # the queue's table alone, as the filter form's htmx asks for it
    for label, url, repeat, headers in [("queue", "/agent/", 30, {}),
                                        ("queue_filtered", "/agent/?view=all&priority=P3&sort=newest", 30, {}),
                                        ("queue_htmx", "/agent/?view=all&priority=P3&sort=newest", 30, htmx),
                                        ("workspace", workspace, 15, {})]:
        if os.environ.get("PAGE_CPU_ONLY") and label not in os.environ["PAGE_CPU_ONLY"].split(","):
            continue
        for _ in range(5):
            client.get(url, **headers)
        rounds = []
        for _ in range(7):
            started = time.process_time()
            for _ in range(repeat):
                assert client.get(url, **headers).status_code == 200
            rounds.append((time.process_time() - started) * 1000 / repeat)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            client.get(url, **headers)
        profiler.disable()
        calls = pstats.Stats(profiler).total_calls / 5
        print(f"{os.getcwd()} | {label} | min {min(rounds):.2f} | median {statistics.median(rounds):.2f} ms "
              f"| {calls:,.0f} calls | load {os.getloadavg()[0]:.1f} | {time.strftime('%H:%M:%S')}", flush=True)


if __name__ == "__main__":
    main()
