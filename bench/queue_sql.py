"""The queue's SQL time per request, path by path (issue 16, session 8): the twelve query strings of
bench/http_load.py's queue case, each requested in process (Django's test Client, production settings, a Redis of
the script's own), and the wall time of each statement as the view waits for it (PostgreSQL's planning and
execution, the round trip and psycopg's reading of the rows), beside the request's CPU time (process_time).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        [DB_PREPARE_THRESHOLD=off] .venv/bin/python bench/queue_sql.py [--repeat 15]

DB_PREPARE_THRESHOLD=off sends every statement unprepared, as before core.postgres: run it both ways. Medians of
`--repeat` requests per path, after three warm-up requests (which, at the default threshold, prepare the
page's statements on the connection).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DB", "bench_perf")


def run(repeat: int) -> None:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from bench.common import machine
    from bench.http_load import ensure_cast, queue_paths

    ensure_cast()
    print(f"queue SQL on {connection.settings_dict['NAME']}; {machine()}; prepare_threshold "
          f"{connection.settings_dict['OPTIONS'].get('prepare_threshold')}; {time.strftime('%Y-%m-%d %H:%M')}")
    client = Client()
    client.force_login(User.objects.get(username="bench_n1_0"))
    timings: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(time.perf_counter() - started)

    def median_ms(values) -> float:
        return statistics.median(values) * 1000

    print("| path | request wall ms | CPU ms | SQL ms | each statement ms |\n|---|---:|---:|---:|---|")
    totals = []
    for path in queue_paths():
        for _ in range(3):
            client.get(path)
        walls, cpus, sqls, each = [], [], [], {}
        for _ in range(repeat):
            timings.clear()
            with connection.execute_wrapper(timed):
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                cpus.append(time.process_time() - cpu)
                walls.append(time.perf_counter() - wall)
            assert response.status_code == 200, (path, response.status_code)
            sqls.append(sum(timings))
            for index, seconds in enumerate(timings):
                each.setdefault(index, []).append(seconds)
        totals.append((median_ms(cpus), median_ms(sqls)))
        print(f"| {path} | {median_ms(walls):.2f} | {median_ms(cpus):.2f} | {median_ms(sqls):.2f} | "
              + ", ".join(f"{median_ms(values):.2f}" for values in each.values()) + " |")
    print(f"\nmean over the paths: CPU {statistics.mean(c for c, _ in totals):.2f} ms, "
          f"SQL {statistics.mean(s for _, s in totals):.2f} ms")


def main() -> None:
    from bench.profile_requests import with_production_settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    with_production_settings(run, parser.parse_args().repeat)


if __name__ == "__main__":
    main()
