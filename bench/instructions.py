"""Machine instructions per request (issue 16, sessions 9 and 10): the queue (its twelve filters, as
bench/http_load.py sends them), the workspace of the 200-followup ticket and a requester's submission (as
bench/http_load.py posts it: a P4 incident, each by a requester of its own in "Organisation 3", whose tickets
in each category make it recurring organisation-wide, as most of bench/http_load.py's are), and, with
--case dashboard (session 18), a manager's dashboard: one organisation over two years and its default 30 days in turn;
with --case submit_vip (session 20), the submission of a requester of a VIP organisation ("Organisation 0"), whose
ticket starts at N2; with --case emails (session 23), the worker's sending of escalation emails
(tickets.tasks.send_notifications on the newest `ticket_escalated` notifications, ten agents of the next level each, in
tasks of 250 ids as a sweep's message carries them, to the file backend as bench/http_load.py's worker writes them; a
"request" is an email; bench/http_load.py's catch-up of the beat's sweeps writes them); with --case detect (session
23), the worker's storm detection of the newest tickets (bench/http_load.py's submissions: its window full), in tasks
of 10 ids as the web's coalesced messages carry them under load (their storm links removed first; a "request" is a
ticket);
each request through the whole middleware stack in process (Django's test Client, production settings, a Redis of
the script's own as cache and broker), counted by valgrind's callgrind.

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
UNITS = {"emails": "email", "detect": "ticket"}


def measured(case: str, requests: int) -> None:
    """Inside valgrind: warm up, zero the counters, make the requests, dump the counters."""
    from django.contrib.auth.models import User
    from django.test import Client

    from bench.http_load import dashboard_path, ensure_cast, queue_paths, workspace_reference

    ensure_cast()
    counted = requests
    if case == "emails":  # `requests` emails, in tasks of EMAILS_PER_TASK
        warm_ups, send = emails(requests)
        counted = requests // EMAILS_PER_TASK
    elif case == "detect":  # `requests` tickets, in tasks of TICKETS_PER_TASK
        warm_ups, send = detections(requests)
        counted = requests // TICKETS_PER_TASK
    elif case in ("submit", "submit_vip"):
        # "Organisation 0" is a VIP organisation of seed_scale's (every tenth, from the first): its tickets start at N2.
        warm_ups, send = submissions(requests, "Organisation 0" if case == "submit_vip" else "Organisation 3")
    else:
        client = Client()
        if case == "dashboard":
            # One organisation over two years (http_load.py's), then its default 30 days, in turn.
            client.force_login(User.objects.get(username="bench_manager"))
            two_years = dashboard_path()
            paths = [two_years, "/dashboard/?" + two_years.split("&")[-1]]
        else:
            client.force_login(User.objects.get(username="bench_n1_0"))
            paths = queue_paths() if case == "queue" else [f"/agent/tickets/{workspace_reference()}/"]
        warm_ups = len(paths) * 3

        def send(index):
            answer = client.get(paths[index % len(paths)])
            assert answer.status_code == 200, paths[index % len(paths)]
    for index in range(warm_ups):
        send(index)
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
    for index in range(warm_ups, warm_ups + counted):
        send(index)
    subprocess.run(["callgrind_control", "-d", "measured", pid], check=True, capture_output=True)


def emails(requests: int):
    """(warm-ups, send) for the emails case: `send(index)` sends the index-th task of EMAILS_PER_TASK notifications
    (`requests`, a multiple of it, is the number of emails counted)."""
    import tempfile as files

    from django.conf import settings

    from tickets.models import Notification
    from tickets.tasks import send_notifications

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = files.mkdtemp(prefix="bench_emails_")
    warm_ups = 1
    if requests % EMAILS_PER_TASK:
        sys.exit(f"--case emails counts emails in tasks of {EMAILS_PER_TASK}: --requests must be a multiple of it")
    tasks = warm_ups + requests // EMAILS_PER_TASK
    newest = Notification.objects.filter(template="ticket_escalated").order_by("-pk")
    ids = sorted(newest.values_list("pk", flat=True)[:tasks * EMAILS_PER_TASK])
    if len(ids) < tasks * EMAILS_PER_TASK:
        sys.exit(f"{len(ids)} ticket_escalated notifications: run bench/http_load.py's catch_up_sweeps first")
    Notification.objects.filter(pk__in=ids).update(sent_at=None, claimed_at=None, attempts=0)

    def send(index):
        chunk = ids[index * EMAILS_PER_TASK:(index + 1) * EMAILS_PER_TASK]
        assert send_notifications(chunk) == len(chunk)

    return warm_ups, send


def detections(requests: int):
    """(warm-ups, send) for the detect case: `send(index)` examines the index-th TICKETS_PER_TASK newest tickets."""
    from storms.models import StormTicket
    from storms.services import storms_detect
    from tickets.models import Ticket

    if requests % TICKETS_PER_TASK:
        sys.exit(f"--case detect counts tickets in tasks of {TICKETS_PER_TASK}: --requests must be a multiple of it")
    warm_ups = 2
    tasks = warm_ups + requests // TICKETS_PER_TASK
    ids = sorted(Ticket.objects.order_by("-pk").values_list("pk", flat=True)[:tasks * TICKETS_PER_TASK])
    StormTicket.objects.filter(ticket_id__in=ids).delete()

    def send(index):
        storms_detect(ticket_ids=ids[index * TICKETS_PER_TASK:(index + 1) * TICKETS_PER_TASK])

    return warm_ups, send


TICKETS_PER_TASK = 10


# A sweep's escalations go to the worker as one message of their notifications' ids (core.broker.publish_ids).
EMAILS_PER_TASK = 250


def submissions(requests: int, organisation_name: str):
    """(warm-ups, send) for the submit cases: each submission by a requester made for this run (as
    bench/seed_scale.py makes them: a profile in `organisation_name`, no group; signed in before the count), in the
    next category, as bench/http_load.py posts it; the 302 not followed, its message dropped."""
    import uuid

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    from accounts.models import Organisation, Profile
    from tickets.models import Category

    warm_ups = 8
    run = uuid.uuid4().hex[:8]
    organisation = Organisation.objects.get(name=organisation_name)
    categories = list(Category.objects.filter(parent__isnull=False).order_by("pk").values_list("pk", flat=True))
    sessions = []
    for index in range(warm_ups + requests):
        person = User.objects.create_user(f"bench_instr_{run}_{index}", f"instr{index}.{run}@example.org",
                                          first_name="Camille", last_name=f"Essai {index}")
        Profile.objects.update_or_create(user=person, defaults={"organisation": organisation})
        signing_in = Client()
        signing_in.force_login(person)
        sessions.append(signing_in.cookies[settings.SESSION_COOKIE_NAME].value)
    # One client, as one gunicorn worker serves them all: a test Client per requester would build the
    # middleware chain anew for each (its handler's, once per client).
    client = Client()

    def send(index):
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[index]
        answer = client.post("/tickets/new/", {
            "ticket_type": "incident", "category": categories[index % len(categories)],
            "title": f"Charge {index} : imprimante hors service", "description": "Rien ne répond depuis ce matin.",
            "urgency": "medium", "impact": "low"})
        assert answer.status_code == 302, answer.content[:2000]
        client.cookies.pop("messages", None)

    return warm_ups, send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", choices=["queue", "workspace", "submit", "submit_vip", "dashboard", "emails", "detect"],
                        help="the cases to count (default: queue, workspace, submit)")
    parser.add_argument("--requests", type=int, default=24, help="requests counted per case (default: 24)")
    args = parser.parse_args()

    if os.environ.get(UNDER_VALGRIND):
        from bench.profile_requests import with_production_settings

        with_production_settings(lambda: measured(args.case[0], args.requests))
        return

    from bench.common import machine

    print(f"instructions on {os.environ['BENCH_DB']}; tree {os.getcwd()}; {machine()}; {time.strftime('%Y-%m-%d %H:%M')}")
    for case in args.case or ["queue", "workspace", "submit"]:
        with tempfile.TemporaryDirectory() as folder:
            started = time.monotonic()
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/out.%p", sys.executable,
                            str(Path(__file__).resolve()), "--case", case, "--requests", str(args.requests)],
                           env={**os.environ, UNDER_VALGRIND: "1"}, check=True, capture_output=True)
            dumps = [path for path in Path(folder).iterdir() if path.name.endswith(".1")]
            if len(dumps) != 1:
                sys.exit(f"{case}: no counters dumped after the requests ({sorted(os.listdir(folder))})")
            total = int(re.search(r"^summary: (\d+)$", dumps[0].read_text(), re.MULTILINE).group(1))
        print(f"{case}: {total / args.requests / 1e6:.2f} M instructions per {UNITS.get(case, 'request')} "
              f"({args.requests} requests, {total:,} in all; {time.monotonic() - started:.0f} s under valgrind)")


if __name__ == "__main__":
    main()
