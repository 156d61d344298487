"""Python calls per request (cProfile's count, the same at any load) and CPU minima of profile_requests.py's
cases submit, new_form, queue and workspace, for the tree of the current directory (it goes first on sys.path),
to compare two trees on a shared machine (issue 16, session 7):

    cd <tree> && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \\
        /path/to/.venv/bin/python /path/to/bench/request_calls.py

The messages cookie is dropped after each request, as a browser that follows the redirect does.
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

CASES = ("submit", "new_form", "queue", "workspace")


def main() -> None:
    from bench.profile_requests import with_production_settings

    with_production_settings(run)


def run() -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    from bench.http_load import ensure_cast
    from bench.profile_requests import cases

    ensure_cast()
    for label, (username, method, url, data) in cases().items():
        if label not in CASES:
            continue
        client = Client()
        client.force_login(User.objects.get(username=username))

        def once(client=client, method=method, url=url, data=data):
            response = getattr(client, method)(url, data() if data else None)
            assert response.status_code in (200, 302), (url, response.status_code)
            client.cookies.pop("messages", None)

        for _ in range(5):
            once()
        rounds = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(20):
                once()
            rounds.append((time.process_time() - started) * 1000 / 20)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            once()
        profiler.disable()
        print(f"{os.getcwd()} | {label} | {pstats.Stats(profiler).total_calls / 10:,.0f} calls | CPU min "
              f"{min(rounds):.2f} median {statistics.median(rounds):.2f} ms | load {os.getloadavg()[0]:.1f}",
              flush=True)


if __name__ == "__main__":
    main()
