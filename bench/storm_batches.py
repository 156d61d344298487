"""The worker's cost of storm detection per ticket, by the number of tickets a task carries (issue 16, session 24).

A detection (storms.services.storms_detect, the task detect_storms) reads its window, the last hour's tickets (up to
STORM_WINDOW_LIMIT, 2,000) whatever its number of new tickets: under load, when the window is full, its cost is
mostly that read. The web gathers a process's new tickets into one task for STORM_DETECTION_WAIT_MS (core.broker
.publish_ids); this script shows what the number of tickets per task does to the CPU per ticket.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        .venv/bin/python bench/storm_batches.py [--tickets 600] [--batch 1 5 10 25 50 100]

Measured on the newest tickets of the bench database (bench/http_load.py's submissions: the window full), their
storm links removed before each round; production settings, a Redis of the script's own; CPU time of the process
(waits on PostgreSQL not counted), the median of three rounds.
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


def measure(tickets: int, batches: list[int], rounds: int) -> None:
    from bench.common import machine
    from storms.conf import storm_settings
    from storms.models import StormTicket
    from storms.services import storms_detect
    from tickets.models import Ticket

    ids = sorted(Ticket.objects.order_by("-pk").values_list("pk", flat=True)[:tickets])
    print(f"storm detection on {os.environ['BENCH_DB']}; {machine()}; load average {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}; the {len(ids):,} newest tickets, window limit "
          f"{storm_settings().window_limit:,}\n")
    print("| tickets per task | CPU ms per ticket (rounds) | CPU ms per task |")
    print("|---:|---|---:|")
    for batch in batches:
        spent = []
        for _round in range(rounds):
            StormTicket.objects.filter(ticket_id__in=ids).delete()
            chunks = [ids[i:i + batch] for i in range(0, len(ids), batch)]
            storms_detect(ticket_ids=chunks[0])  # warm: statements prepared, titles' terms kept
            started = time.process_time()
            for chunk in chunks[1:]:
                storms_detect(ticket_ids=chunk)
            spent.append((time.process_time() - started) * 1000 / (len(ids) - len(chunks[0])))
        median = statistics.median(spent)
        print(f"| {batch} | {median:.2f} ({', '.join(f'{value:.2f}' for value in spent)}) | {median * batch:.1f} |",
              flush=True)
    StormTicket.objects.filter(ticket_id__in=ids).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=600)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 5, 10, 25, 50, 100])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from bench.profile_requests import with_production_settings

    with_production_settings(measure, args.tickets, args.batch, args.rounds, migrate=False)


if __name__ == "__main__":
    main()
