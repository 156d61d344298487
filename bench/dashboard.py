"""Server time and query count of the manager dashboard (/dashboard/), live and from the daily rollups.

    BENCH_DB=bench_dash DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/dashboard.py --repeat 20

Works on an already loaded database (BENCH_DB, must start with `bench_dash`; e.g. a copy of the
1,000,000-ticket `bench` made with CREATE DATABASE bench_dash TEMPLATE bench), which it migrates.
It vacuums tickets_ticket (a fresh copy has no visibility map, so the backlog's counts would read
the heap instead of index-only scans), rebuilds the rollups (`manage.py rebuild_dashboard_rollups`, timed), then requests every case
below through Django's test Client as a manager (force_login): 2 warm-up requests, then `--repeat`
timed ones (median and p95 of the in-process server time), and one more under
CaptureQueriesContext for the query count and the summed SQL time. With --live, the same cases are
also measured without rollups (the state row removed for the time of it, then rebuilt).

Target (issue 9): every case p95 < 500 ms with a bounded number of queries; issue 16: an organisation
filter over two years p95 < 400 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import timedelta

from common import machine, setup_django, step, summary, timed

WARMUP = 2
TARGET_MS = 500.0


def manager():
    from django.contrib.auth.models import Group, User

    user, created = User.objects.get_or_create(username="bench_manager",
                                               defaults={"email": "manager@example.org", "first_name": "Claire"})
    if created:
        user.groups.add(Group.objects.get_or_create(name="Manager")[0])
    return user


def cases() -> list[tuple[str, dict]]:
    from django.utils import timezone

    from accounts.models import Organisation
    from tickets.models import Ticket

    first = timezone.localtime(Ticket.objects.order_by("created_at").values_list("created_at", flat=True)[0]).date()
    today = timezone.localdate()
    whole = {"period": "custom", "start": first.isoformat(), "end": today.isoformat()}
    from django.db.models import Count

    organisation = Organisation.objects.order_by("pk").values_list("pk", flat=True)[3]
    sizes = list(Ticket.objects.filter(organisation__isnull=False).order_by().values("organisation_id")
                 .annotate(n=Count("id")).order_by("-n", "organisation_id").values_list("organisation_id", flat=True))
    large, small = sizes[0], sizes[-1]
    agent = Ticket.objects.filter(assignee__isnull=False).values_list("assignee_id", flat=True).first()
    year = {"period": "custom", "start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat()}
    return [
        ("30 days", {"period": "30d"}),
        (f"whole range ({(today - first).days + 1} days)", whole),
        ("whole range, priority=P1", {**whole, "priority": "P1"}),
        ("30 days, priority=P1", {"period": "30d", "priority": "P1"}),
        ("365 days", {"period": "custom", "start": (today - timedelta(days=364)).isoformat(),
                                    "end": today.isoformat()}),
        # An organisation: its monthly and weekly rollups, the edges live (issue 16).
        ("30 days, one organisation", {"period": "30d", "organisation": organisation}),
        ("whole range, one organisation", {**whole, "organisation": organisation}),
        ("30 days, largest organisation", {"period": "30d", "organisation": large}),
        ("365 days, largest organisation", {**year, "organisation": large}),
        ("whole range, largest organisation", {**whole, "organisation": large}),
        ("whole range, smallest organisation", {**whole, "organisation": small}),
        ("whole range, largest organisation, priority=P1", {**whole, "organisation": large, "priority": "P1"}),
        ("365 days, largest organisation, level=N1", {**year, "organisation": large, "level": "N1"}),
        # A filter the rollups do not carry: computed live.
        ("30 days, one agent (live)", {"period": "30d", "agent": agent}),
    ]


def measure(client, params: dict, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse("dashboard:index")

    def get():
        response = client.get(url, params)
        if response.status_code != 200:
            sys.exit(f"{url} {params}: HTTP {response.status_code}")
        return response

    for _ in range(WARMUP):
        response = get()
    times = timed(get, repeat=repeat)
    with CaptureQueriesContext(connection) as captured:
        response = get()
    median, p95 = summary(times)
    as_of = b'data-testid="as-of"' in response.content
    return {"median": median, "p95": p95, "queries": len(captured.captured_queries),
            "db": sum(float(q["time"]) for q in captured.captured_queries) * 1000, "rollups": as_of,
            "total": cohort_size(url, params)}


def cohort_size(url: str, params: dict) -> int:
    """The cohort's ticket count as the page computes it (the Client gives no context outside tests)."""
    from django.test import RequestFactory

    from dashboard.views import _context

    return _context(RequestFactory().get(url, params))["overall"]["total"]


def run(client, repeat: int, label: str) -> None:
    load = os.getloadavg()
    results = []
    with step(f"measuring ({label})"):
        for name, params in cases():
            results.append((name, measure(client, params, repeat)))
    print(f"\n### {label} (load average {load[0]:.2f} → {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)\n")
    print("| case | tickets in cohort | median ms | p95 ms | SQL ms | queries | rollups |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, r in results:
        flag = "" if r["p95"] < TARGET_MS else " ✗"
        print(f"| {name} | {r['total']:,} | {r['median']:.1f} | {r['p95']:.1f}{flag} | {r['db']:.1f} | "
              f"{r['queries']} | {'yes' if r['rollups'] else 'no'} |")


def refresh_after_old_change() -> None:
    """The 5-minute refresh after a change to one ticket created 40 days ago: it recomputes that day,
    and that ticket's whole month and week for every organisation (dashboard.services)."""
    from django.utils import timezone

    from dashboard.services import rollups_refresh
    from tickets.models import Ticket

    rollups_refresh()  # nothing left to do
    old = Ticket.objects.filter(created_at__lt=timezone.now() - timedelta(days=40)).order_by("-created_at")[0]
    Ticket.objects.filter(pk=old.pk).update(updated_at=timezone.now())
    started = time.perf_counter()
    result = rollups_refresh()
    print(f"  refresh after a change to a ticket created 40 days ago: {(time.perf_counter() - started) * 1000:.0f} ms "
          f"({result.created_days} creation days, {result.resolution_days} resolution days)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--live", action="store_true", help="also measure without rollups (slow at 1M)")
    parser.add_argument("--keep-rollups", action="store_true",
                        help="measure again without the VACUUM and the rebuild (rollups built by a previous run)")
    args = parser.parse_args()
    if not os.environ.get("BENCH_DB", "").startswith("bench_dash"):
        sys.exit("Set BENCH_DB to a database whose name starts with bench_dash (a copy, never `bench`).")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    name = setup_django()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from dashboard.models import RollupState
    from tickets.models import Ticket

    override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
                      ALLOWED_HOSTS=["testserver"]).enable()
    print(f"dashboard bench on database {name} ({Ticket.objects.count():,} tickets); {machine()}; "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"command: {' '.join(sys.argv)}")
    if not (args.keep_rollups and RollupState.objects.exists()):
        with step("VACUUM (ANALYZE) tickets_ticket (as autovacuum would have; the backlog's index-only scans)"):
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) tickets_ticket")
        with step("manage.py rebuild_dashboard_rollups"):
            call_command("rebuild_dashboard_rollups", stdout=io.StringIO())
    from dashboard.services import ROLLUP_MODELS

    print("  rollup rows: " + ", ".join(f"{model.__name__} {model.objects.count():,}" for model in ROLLUP_MODELS))
    client = Client()
    client.force_login(manager())
    run(client, args.repeat, "from the daily rollups, today live")
    refresh_after_old_change()
    if args.live:
        RollupState.objects.all().delete()
        try:
            run(client, max(3, args.repeat // 4), "live aggregation (no rollups)")
        finally:
            call_command("rebuild_dashboard_rollups", stdout=io.StringIO())


if __name__ == "__main__":
    main()
