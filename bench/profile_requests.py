"""Where one request's milliseconds go: the Python of a submission, the queue, the workspace and the
dashboard, profiled in process (Django's test Client through the whole middleware stack, production
settings, the bench database and a Redis of this script's own as the cache).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        .venv/bin/python bench/profile_requests.py [--repeat 50] [--case submit] [--pyinstrument]

For each case: warm-up requests, then `--repeat` requests without a profiler (the CPU time per request:
process_time, so waiting on PostgreSQL or Redis or for the shared cores is not counted; the median of
five rounds), then `--repeat` requests under cProfile, whose clock is the process's CPU time as well (a
busy machine's waits would otherwise fill the profile: a socket send that waited for a core looks like
work); printed are the statements per request (CaptureQueriesContext) and the functions with the most
cumulative and own time per request. With
--pyinstrument, one pyinstrument tree per case as well. Needs a database seeded by bench/seed_scale.py.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DB", "bench_perf")


def configure(redis_url: str, *, migrate: bool = True) -> None:
    os.environ.update({"DEBUG": "0", "SECRET_KEY": "bench-profile-" + "k" * 40, "ALLOWED_HOSTS": "testserver",
                       "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url, "LOG_LEVEL": "WARNING",
                       "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
                       "HELPDESK_RATE_TICKET_CREATE": "100000/h"})
    os.environ.pop("CACHE_URL", None)
    from bench.common import setup_django

    setup_django(migrate=migrate)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    from django.conf import settings

    settings.CELERY_TASK_ALWAYS_EAGER = False
    from django.test.utils import override_settings

    # The manifest storage needs collectstatic; the in-process profile does without it, as the tests.
    override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
                      ).enable()


def with_production_settings(run, *args, migrate: bool = True) -> None:
    """run(*args) with a Redis of its own as cache and broker and the production settings (configure), as
    this script and bench/page_cpu.py, request_calls.py and request_cycle.py measure requests in process. Django
    must not be set up before: the settings are read once, and these are the ones to read."""
    from tests import live

    port = live.free_port()
    redis = live.start_redis(port)
    try:
        configure(f"redis://127.0.0.1:{port}/0", migrate=migrate)
        run(*args)
    finally:
        live.stop(redis)


def cases():
    """(label, user name, method, url, data factory) of each profiled request."""
    from accounts.models import Organisation
    from bench.http_load import dashboard_path, workspace_reference
    from tickets.models import Category

    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    organisation = Organisation.objects.get(name="Organisation 3")
    counter = iter(range(10**9))
    submit = {"ticket_type": "incident", "category": category.pk, "description": "Rien ne répond depuis ce matin.",
              "urgency": "medium", "impact": "low"}
    return {
        "submit": ("bench_req1", "post", "/tickets/new/", lambda: {**submit, "title": f"Profil {next(counter)}"}),
        "new_form": ("bench_req1", "get", "/tickets/new/", None),
        "queue": ("bench_n1_0", "get", "/agent/", None),
        "queue_filtered": ("bench_n1_0", "get", "/agent/?view=all&priority=P3&sort=newest", None),
        "workspace": ("bench_n1_0", "get", f"/agent/tickets/{workspace_reference()}/", None),
        # Two years, as http_load.py measures it (before session 18 a start without an end: the form's default
        # period, 30 days); and the default period, the page a manager opens first.
        "dashboard_org": ("bench_manager", "get", dashboard_path(), None),
        "dashboard_org_30d": ("bench_manager", "get", f"/dashboard/?organisation={organisation.pk}", None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--case", action="append", help="only these cases (default: all)")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", help="also write each case's cProfile stats to DUMP.<case>.prof")
    parser.add_argument("--drop-messages", action="store_true",
                        help="forget the messages cookie after each request, as a browser that follows the "
                             "redirect does (without it, unread success messages pile up in the cookie)")
    args = parser.parse_args()
    with_production_settings(run, args)


def run(args) -> None:
    from django.contrib.auth.models import User
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.common import machine
    from bench.http_load import ensure_cast

    ensure_cast()
    print(f"profile on {connection.settings_dict['NAME']}; {machine()}; load {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    chosen = cases()
    for label, (username, method, url, data) in chosen.items():
        if args.case and label not in args.case:
            continue
        client = Client()
        client.force_login(User.objects.get(username=username))

        def once(client=client, method=method, url=url, data=data):
            response = getattr(client, method)(url, data() if data else None)
            assert response.status_code in (200, 302), (url, response.status_code)
            if args.drop_messages:
                client.cookies.pop("messages", None)

        for _ in range(5):
            once()
        reset_queries()  # each request resets the log at its start: capture from an empty one
        with CaptureQueriesContext(connection) as captured:
            once()
        statements = list(captured.captured_queries)  # a view of the log, which the next request resets
        rounds = []
        for _ in range(5):
            started_cpu = time.process_time()
            for _ in range(args.repeat):
                once()
            rounds.append((time.process_time() - started_cpu) * 1000 / args.repeat)
        profiler = cProfile.Profile(time.process_time)
        started_cpu, started = time.process_time(), time.perf_counter()
        profiler.enable()
        for _ in range(args.repeat):
            once()
        profiler.disable()
        cpu = (time.process_time() - started_cpu) * 1000 / args.repeat
        wall = (time.perf_counter() - started) * 1000 / args.repeat
        print(f"\n## {label}: {method.upper()} {url}\n")
        print(f"CPU {statistics.median(rounds):.2f} ms per request without a profiler (median of 5 rounds of "
              f"{args.repeat}: {', '.join(f'{r:.2f}' for r in rounds)}); under cProfile {cpu:.1f} ms "
              f"(wall {wall:.1f} ms); {len(statements)} statements:")
        for number, query in enumerate(statements, 1):
            print(f"  {number:>2}. {query['sql'][:150]}")
        if args.dump:
            profiler.dump_stats(f"{args.dump}.{label}.prof")
        for sort in ("cumulative", "tottime"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(sort).print_stats(args.top)
            print(f"\ncProfile by {sort} (totals over {args.repeat} requests):")
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
        if args.pyinstrument:
            from pyinstrument import Profiler

            tree = Profiler(interval=0.0005)
            tree.start()
            for _ in range(args.repeat):
                once()
            tree.stop()
            print(f"\npyinstrument ({args.repeat} requests):")
            print(tree.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
