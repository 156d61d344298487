"""Where the queue's and the workspace's milliseconds go, piece by piece, in process (issue 16): the CPU time
of each read and each rendered piece, without a profiler (cProfile more than doubles the cost of the small
calls a template makes, so its shares mislead).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        .venv/bin/python bench/render_parts.py [--repeat 30]

Needs a database seeded by bench/seed_scale.py; the workspace ticket is bench/agent_queue.py's (200
followups). Runs on the code of the tree it is started from, so the same file measures before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DB", "bench_perf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from bench.profile_requests import configure
    from tests import live

    port = live.free_port()
    redis = live.start_redis(port)
    try:
        configure(f"redis://127.0.0.1:{port}/0")
        run(args.repeat)
    finally:
        live.stop(redis)


def run(repeat: int) -> None:
    from django.contrib.auth.models import User
    from django.http import QueryDict
    from django.template.loader import render_to_string
    from django.utils import timezone, translation
    from django.utils.formats import date_format

    from bench.common import machine
    from bench.http_load import ensure_cast, workspace_reference
    from tickets.forms import BulkActionForm
    from tickets.models import Ticket
    from tickets.queue import QueueFilter, queue_page
    from tickets.selectors import ticket_queue_for_agent, ticket_timeline

    ensure_cast()
    translation.activate("fr")
    agent = User.objects.get(username="bench_n1_0")
    print(f"render_parts on {os.environ['BENCH_DB']}; {machine()}; load {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}; CPU ms per call, mean of {repeat}\n")

    def measure(label, work):
        work()
        started = time.process_time()
        for _ in range(repeat):
            work()
        print(f"| {label} | {(time.process_time() - started) * 1000 / repeat:.2f} |")

    print("| piece | CPU ms |\n|---|---:|")
    query = QueryDict(mutable=True)
    query.update({"view": "all", "sort": "newest"})

    def page():
        return queue_page(ticket_queue_for_agent(agent=agent, filters=query), sort_key="newest", cursor=None,
                          size=25)

    tickets = page().tickets
    measure("queue: filters + 25 rows read (2 statements)", page)
    measure("queue: the filter form built and validated", lambda: QueueFilter(query, agent=agent,
                                                                                 queryset=Ticket.objects.all()).is_valid())
    context = {"tickets": tickets, "page": page(), "ticket_url_prefix": "/agent/tickets/",
               "querystring": "view=all&sort=newest", "bulk_form": BulkActionForm()}
    measure("queue: the table of 25 rows rendered (queue_table.html)",
            lambda: render_to_string("tickets/agent/partials/queue_table.html", context))
    ticket = Ticket.objects.get(reference=workspace_reference())
    timeline = ticket_timeline(ticket=ticket, user=agent, latest=50)
    measure(f"workspace: the latest {len(timeline)} events read (2 statements)",
            lambda: ticket_timeline(ticket=ticket, user=agent, latest=50))
    measure(f"workspace: the timeline of {len(timeline)} events rendered (timeline.html)",
            lambda: render_to_string("tickets/partials/timeline.html", {"timeline": timeline}))
    now = timezone.now()
    measure("100 × date_format(localtime(t), 'SHORT_DATETIME_FORMAT')",
            lambda: [date_format(timezone.localtime(now), "SHORT_DATETIME_FORMAT") for _ in range(100)])
    try:
        from core.formats import date_formatter
    except ImportError:
        return
    write = date_formatter("SHORT_DATETIME_FORMAT")
    measure("100 × core.formats.date_formatter('SHORT_DATETIME_FORMAT')(t)", lambda: [write(now) for _ in range(100)])


if __name__ == "__main__":
    main()
