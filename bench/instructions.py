"""Machine instructions per request (issue 16, session 9): the queue (its twelve filters, as bench/http_load.py
sends them) and the workspace of the 200-followup ticket, each request through the whole middleware stack in
process (Django's test Client, production settings, a Redis of the script's own), counted by valgrind's callgrind.

    cd <tree> && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        /path/to/.venv/bin/python /path/to/bench/instructions.py [--case queue] [--requests 24]

On a shared machine CPU time moves by half from one minute to the next (bench/RESULTS.md, sessions 8 and 9); the
count of instructions does not: the same code, data and requests give the same count within a fraction of a
percent, whatever else runs. The script starts itself again under `valgrind --tool=callgrind` (Debian's valgrind),
makes three rounds of warm-up requests (compiled statements, kept markup, reference data), zeroes the counters
(`callgrind_control -z`), makes `--requests` requests and dumps the counters (`callgrind_control -d`): printed is
that dump's total over the requests. Python runs about fifty times slower under valgrind: a case takes a minute or
two. The code measured is the tree of the current directory (it goes first on sys.path), so the same script
compares two trees.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.getcwd())
os.environ.setdefault("BENCH_DB", "bench_perf")
UNDER_VALGRIND = "BENCH_UNDER_CALLGRIND"


def measured(case: str, requests: int) -> None:
    """Inside valgrind: warm up, zero the counters, make the requests, dump the counters."""
    from django.contrib.auth.models import User
    from django.test import Client

    from bench.http_load import ensure_cast, queue_paths, workspace_reference

    ensure_cast()
    client = Client()
    client.force_login(User.objects.get(username="bench_n1_0"))
    paths = queue_paths() if case == "queue" else [f"/agent/tickets/{workspace_reference()}/"]
    for path in paths * 3:
        assert client.get(path).status_code == 200, path
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
    for index in range(requests):
        client.get(paths[index % len(paths)])
    subprocess.run(["callgrind_control", "-d", "measured", pid], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", choices=["queue", "workspace"],
                        help="the cases to count (default: both)")
    parser.add_argument("--requests", type=int, default=24, help="requests counted per case (default: 24)")
    args = parser.parse_args()

    if os.environ.get(UNDER_VALGRIND):
        from bench.profile_requests import with_production_settings

        with_production_settings(lambda: measured(args.case[0], args.requests))
        return

    from bench.common import machine

    print(f"instructions on {os.environ['BENCH_DB']}; tree {os.getcwd()}; {machine()}; {time.strftime('%Y-%m-%d %H:%M')}")
    for case in args.case or ["queue", "workspace"]:
        with tempfile.TemporaryDirectory() as folder:
            started = time.monotonic()
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/out.%p", sys.executable,
                            str(Path(__file__).resolve()), "--case", case, "--requests", str(args.requests)],
                           env={**os.environ, UNDER_VALGRIND: "1"}, check=True, capture_output=True)
            dumps = [path for path in Path(folder).iterdir() if path.name.endswith(".1")]
            if len(dumps) != 1:
                sys.exit(f"{case}: no counters dumped after the requests ({sorted(os.listdir(folder))})")
            total = int(re.search(r"^summary: (\d+)$", dumps[0].read_text(), re.MULTILINE).group(1))
        print(f"{case}: {total / args.requests / 1e6:.2f} M instructions per request "
              f"({args.requests} requests, {total:,} in all; {time.monotonic() - started:.0f} s under valgrind)")


if __name__ == "__main__":
    main()
