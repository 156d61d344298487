"""The worker's cost per email (issue 16): CPU and statements per notification sent by
tickets.tasks.send_notifications, in batches of the sizes the web's coalesced messages carry (one id alone at
night, tens under load), with a counting email backend (tests.mail_backends) that tells how many connections to the mail
server the batch opened.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_http_100k \
        .venv/bin/python bench/notifications.py [--count 240] [--batch 1 4 16 60] [--template ticket_escalated]

Measured on the newest notifications (bench/http_load.py's submissions' (their two templates: the
requester's acknowledgement and the N2 alert of a recurring ticket)), made unsent again before each batch size;
with --template, the newest of that template (ticket_escalated: the escalations of the beat's stalled-diagnostic
sweep, which bench/http_load.py's catch-up writes, each to every agent of the next level); the messages go to a backend that keeps them in memory (the rendering, the claim and the bookkeeping, not the
wire). When the worker shares the web's cores (docker-compose on one host, the bench's --worker), its CPU per
email is taken from the submissions' throughput.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DB", "bench_http_100k")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=240, help="notifications sent per batch size")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 4, 16, 60])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--template", help="only the notifications of this template (default: the newest of any)")
    args = parser.parse_args()

    from common import machine, setup_django

    name = setup_django(migrate=False)
    from django.conf import settings
    from django.core import mail
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from tests import mail_backends
    from tickets.models import Notification
    from tickets.tasks import send_notifications

    settings.EMAIL_BACKEND = "tests.mail_backends.CountingBackend"
    newest = Notification.objects.filter(template=args.template) if args.template else Notification.objects.all()
    # Sent in the order they were written (the events' recipients together), as the web's messages carry them.
    ids = sorted(newest.order_by("-pk").values_list("pk", flat=True)[:args.count])
    if len(ids) < args.count:
        sys.exit(f"{len(ids)} notifications in {name}: run bench/http_load.py on it first")
    templates = sorted(set(Notification.objects.filter(pk__in=ids).values_list("template", flat=True)))
    print(f"notifications on {name}; {machine()}; load average {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}; {len(ids)} notifications ({', '.join(templates)})\n")
    print("| ids per task | CPU ms per email (rounds) | statements per email | connections to the mail server |")
    print("|---:|---|---:|---:|")
    for batch in args.batch:
        cpu = []
        for round_ in range(args.rounds + 1):
            Notification.objects.filter(pk__in=ids).update(sent_at=None, claimed_at=None, attempts=0)
            mail.outbox = []
            mail_backends.OPENED.clear()
            chunks = [ids[i:i + batch] for i in range(0, len(ids), batch)]
            send_notifications(chunks[0])  # warm: templates loaded, statements prepared
            opened = len(mail_backends.OPENED)
            reset_queries()
            # The last round counts the statements (the query log costs CPU of its own); the others time.
            with CaptureQueriesContext(connection) if round_ == args.rounds else nullcontext() as captured:
                started = time.process_time()
                sent = sum(send_notifications(chunk) for chunk in chunks[1:])
                spent = (time.process_time() - started) * 1000 / max(1, sent)
            if sent != len(ids) - len(chunks[0]):
                sys.exit(f"sent {sent} of {len(ids) - len(chunks[0])}")
            if captured is None:
                cpu.append(spent)
        statements = len(captured.captured_queries) / sent
        connections = len(mail_backends.OPENED) - opened
        print(f"| {batch} | {statistics.median(cpu):.2f} ({', '.join(f'{c:.2f}' for c in cpu)}) | "
              f"{statements:.1f} | {connections} for {len(chunks) - 1} tasks |")


if __name__ == "__main__":
    main()
