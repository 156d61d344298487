"""PostgreSQL's own CPU per submission, in process (issue 16): the server side that the web process's figures leave out.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        .venv/bin/python bench/pg_cpu.py [--requests 400] [--rounds 3]

Each round sends --requests submissions one after another through Django's test Client, each by a requester of its
own (bench/instructions.py's submit case: production settings, a Redis of this script's own as cache and broker),
and reads the database backend's CPU time (utime + stime of /proc/<pid>/stat, PostgreSQL on this machine) around
them, beside this process's CPU time and the wall time. Printed per round, then the medians. Runs on the code and
the schema of the database it is given: to compare two schemas, run it on each, in alternation.
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

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15 of stat)


def measure(requests: int, rounds: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.instructions import submissions

    results = []
    for number in range(1, rounds + 1):
        warm_ups, send = submissions(requests + 1)
        for index in range(warm_ups):
            send(index)
        with CaptureQueriesContext(connection) as captured:
            send(warm_ups)
        statements = len(captured.captured_queries)  # now: the next request's start empties the log it views
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        backend, cpu, wall = backend_cpu_seconds(pid), time.process_time(), time.perf_counter()
        for index in range(warm_ups + 1, warm_ups + 1 + requests):
            send(index)
        per = {"postgres": (backend_cpu_seconds(pid) - backend) * 1000 / requests,
               "python": (time.process_time() - cpu) * 1000 / requests,
               "wall": (time.perf_counter() - wall) * 1000 / requests}
        results.append(per)
        print(f"  round {number}: postgres backend CPU {per['postgres']:.2f} ms/submission; "
              f"python CPU {per['python']:.2f} ms; wall {per['wall']:.2f} ms; {statements} statements",
              flush=True)
    print("  median: " + "; ".join(f"{key} {statistics.median(r[key] for r in results):.2f} ms"
                                   for key in ("postgres", "python", "wall")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-migrate", action="store_true",
                        help="measure the database's schema as it is (an A/B of two schemas migrates by hand)")
    args = parser.parse_args()

    from bench.common import machine
    from bench.profile_requests import with_production_settings

    os.environ.setdefault("LOG_LEVEL", "WARNING")
    print(f"pg_cpu on {os.environ['BENCH_DB']}; {machine()}; load average {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(f"command: {' '.join(sys.argv)}")
    # Django is set up there, with the production settings (Redis as cache: the reference cache and sessions).
    with_production_settings(measure, args.requests, args.rounds, migrate=not args.no_migrate)


if __name__ == "__main__":
    main()
