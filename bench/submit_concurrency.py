"""Concurrent submissions in process: the reference's statement, what follows it to COMMIT, and what waits.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        .venv/bin/python bench/submit_concurrency.py [--processes 2] [--threads 8] [--seconds 20]

`--processes` × `--threads` clients (gunicorn gthread's shape: threads of a process share its GIL) each POST
/tickets/new/ in a loop through Django's test Client (the whole middleware stack, production settings, a
Redis of this script's own as cache and broker), as the bench's requester. Each process times, per
submission: the reference's statement (`lifecycle.new_reference`: PostgreSQL's nextval; SQLite's counter row,
with the wait for its lock), and the section from that statement's return to the end of COMMIT (the time a
counter row, if one is written, stays locked: the whole transaction now that the reference is taken first;
on PostgreSQL no row is). Printed: submissions per second, the means and p95 of both, and the section's
utilisation (submissions/s × mean section: near 1 for a locked row, the throughput's limit). Session 7 measured
with this script the counter row that `_give_reference` (since removed) locked from the ticket's last UPDATE
to COMMIT. With pg_stat_statements in the bench database, the
statements' mean execution times as PostgreSQL saw them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] if ordered else 0.0


def worker(redis_url: str, threads: int, seconds: float, start_at: float, queue) -> None:
    from bench.profile_requests import configure

    configure(redis_url)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.backends.postgresql.base import DatabaseWrapper
    from django.test import Client

    from tickets.models import Category
    from tickets.services import lifecycle

    local = threading.local()
    new_reference = lifecycle.new_reference
    commit = DatabaseWrapper._commit

    def timed_new_reference(*, year):
        started = time.perf_counter()
        reference = new_reference(year=year)
        local.referenced = time.perf_counter()
        local.statement = local.referenced - started
        return reference

    def timed_commit(self):
        result = commit(self)
        if getattr(local, "referenced", None) is not None:
            local.held = time.perf_counter() - local.referenced
            local.referenced = None
        return result

    lifecycle.new_reference = timed_new_reference
    DatabaseWrapper._commit = timed_commit
    user = User.objects.get(username="bench_req1")
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    connection.close()
    results = []
    lock = threading.Lock()

    def client_loop(number: int) -> None:
        client = Client()
        client.force_login(user)
        form = {"ticket_type": "incident", "category": category.pk, "description": "Rien ne répond.",
                "urgency": "medium", "impact": "low"}
        for n in range(3):  # warm
            client.post("/tickets/new/", {**form, "title": f"Concurrence {os.getpid()} {number} w{n}"})
        mine, n = [], 0
        while time.time() < start_at:
            time.sleep(0.01)
        while time.time() < start_at + seconds:
            local.statement = local.held = None
            began = time.perf_counter()
            response = client.post("/tickets/new/", {**form, "title": f"Concurrence {os.getpid()} {number} {n}"})
            client.cookies.pop("messages", None)
            assert response.status_code == 302, response.status_code
            mine.append(((time.perf_counter() - began) * 1000, (local.statement or 0) * 1000,
                         (local.held or 0) * 1000))
            n += 1
        connection.close()
        with lock:
            results.extend(mine)

    pool = [threading.Thread(target=client_loop, args=(i,)) for i in range(threads)]
    cpu = time.process_time()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((results, time.process_time() - cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()

    from tests import live

    port = live.free_port()
    redis = live.start_redis(port)
    redis_url = f"redis://127.0.0.1:{port}/0"
    try:
        import psycopg

        from bench.common import bench_database_url

        dsn = bench_database_url()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        start_at = time.time() + 25
        queue = multiprocessing.get_context("spawn").Queue()
        procs = [multiprocessing.get_context("spawn").Process(
            target=worker, args=(redis_url, args.threads, args.seconds, start_at, queue))
            for _ in range(args.processes)]
        for proc in procs:
            proc.start()
        while time.time() < start_at - 1:
            time.sleep(0.1)
        with psycopg.connect(dsn, autocommit=True) as conn:
            try:
                conn.execute("SELECT pg_stat_statements_reset()")
                statements = True
            except psycopg.Error:  # not loaded (shared_preload_libraries): the script's own timings only
                statements = False
        results, cpu = [], 0.0
        for _ in procs:
            got, used = queue.get()
            results.extend(got)
            cpu += used
        for proc in procs:
            proc.join()
        rows = []
        if statements:
            with psycopg.connect(dsn, autocommit=True) as conn:
                rows = conn.execute(
                    "SELECT calls, mean_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
                    "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                    "WHERE d.datname = current_database() AND calls > 10 ORDER BY total_exec_time DESC LIMIT 14"
                ).fetchall()
    finally:
        live.stop(redis)
    total, statement, held = ([r[i] for r in results] for i in range(3))
    rate = len(results) / args.seconds
    print(f"{args.processes} processes x {args.threads} threads, {args.seconds:.0f} s, load "
          f"{os.getloadavg()[0]:.1f}: {len(results)} submissions, {rate:.1f}/s; CPU of the clients' processes "
          f"{cpu * 1000 / max(1, len(results)):.1f} ms per submission (warm-up included)")
    print(f"request wall ms: mean {statistics.mean(total):.1f}, p95 {_p95(total):.1f}")
    print(f"reference statement ms (nextval, or the counter's lock wait and UPDATE): mean {statistics.mean(statement):.2f}, "
          f"p95 {_p95(statement):.2f}")
    print(f"section ms (the statement's return to COMMIT's end): mean {statistics.mean(held):.2f}, p95 {_p95(held):.2f}")
    print(f"section utilisation (rate x mean section): {rate * statistics.mean(held) / 1000:.2f}")
    print("\npg_stat_statements (calls, mean ms, statement):" if rows else "\n(pg_stat_statements not loaded)")
    for calls, mean, query in rows:
        print(f"  {calls:>6} {mean:7.3f}  {query}")


if __name__ == "__main__":
    main()
