"""Server time and query count of the agent queue and the ticket workspace, at growing sizes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/agent_queue.py --sizes 10000 100000 1000000 --repeat 30

For each size, in ascending order, the bench database (BENCH_DB, default `bench`) is topped up to
that many tickets with bench/seed_scale.py's loader, then every case below is requested through
Django's test Client, logged in (force_login) as an N1 agent: 3 warm-up requests, then `--repeat`
timed ones (median and p95 of the in-process server time; the median CPU time of this process,
i.e. the Python side without waiting for a core), and one more under CaptureQueriesContext for the
query count and the summed SQL time. For the default queue, the deadline sort, the searches
and the three slowest filters, the page query (the SELECT … FROM tickets_ticket … LIMIT) is shown
with EXPLAIN (ANALYZE, BUFFERS).

Targets at 1,000,000 tickets (issue 4): every queue view p95 < 100 ms, the workspace < 100 ms,
and each case's query count the same at every size. The REST API's ticket list and the workspace
ticket's detail (/api/v1/) are measured too, against the workspace's target.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import timedelta

from common import explain, machine, setup_django, step, summary, timed

PAGE = 500
WARMUP = 3
WORKSPACE_FOLLOWUPS = 200
WORKSPACE_REQUESTER = "bench_workspace_requester"
QUEUE_TARGET_MS = WORKSPACE_TARGET_MS = 100.0


def fixtures():
    """The cast the cases use: an N1 agent, another agent with tickets, a root category, an
    organisation, a title word, a reference prefix and a requester name that exist, and the
    ticket with 200 followups (created once through tickets.services, so its history is real)."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from accounts.models import Organisation
    from tickets.models import Category, Ticket

    agent = User.objects.get(username="bench_n1_0")
    other = User.objects.get(username="bench_n1_1")
    root = Category.objects.get(name="Réseau", parent=None)
    organisation = Organisation.objects.get(name="Organisation 3")
    requester = User.objects.filter(username__startswith="bench_req").order_by("pk")[17]
    newest = Ticket.objects.filter(status__in=("new", "in_progress", "waiting")).order_by("-created_at").first()
    today = timezone.localdate()
    return {
        "agent": agent,
        "other": other,
        "root": root,
        "organisation": organisation,
        "requester_name": requester.last_name,  # "User17": a requester's name (also matches User170…)
        "reference_prefix": newest.reference[:9],  # "2026-0001": about ten references
        "today": today,
        "workspace": workspace_ticket(agent),
    }


def workspace_ticket(agent):
    """The ticket with WORKSPACE_FOLLOWUPS followups: created once, found again at the next size."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from tickets import services
    from tickets.models import Category, Ticket

    requester, _created = User.objects.get_or_create(
        username=WORKSPACE_REQUESTER,
        defaults={"email": "workspace@example.org", "first_name": "Wanda", "last_name": "Workspace"})
    ticket = Ticket.objects.filter(requester=requester).order_by("pk").first()
    if ticket is not None:
        return ticket.reference
    with step(f"workspace ticket with {WORKSPACE_FOLLOWUPS} followups (through tickets.services)"):
        category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
        ticket = services.ticket_create(
            requester=requester, title="Poste bloqué après la mise à jour (bench workspace)",
            description="Le poste reste bloqué sur l'écran de démarrage depuis la mise à jour.",
            ticket_type="incident", urgency="medium", impact="medium", category=category)
        ticket = services.ticket_take(ticket=ticket, actor=agent)
        for number in range(WORKSPACE_FOLLOWUPS):
            author, public = [(requester, True), (agent, True), (agent, False)][number % 3]
            with transaction.atomic():
                ticket = Ticket.objects.get(pk=ticket.pk)
                services.followup_add(ticket=ticket, author=author, is_public=public,
                                      body=f"Message {number + 1} : essai {number}, journaux joints, à suivre.")
    return ticket.reference


def cases(fx) -> list[tuple[str, str, dict]]:
    """(label, kind, GET params) of every measured request; kind is queue, filter, view, search or page."""
    today = fx["today"]
    day = lambda delta: (today - timedelta(days=delta)).isoformat()  # noqa: E731
    return [
        ("default queue", "queue", {}),
        ("status=waiting", "filter", {"status": "waiting"}),
        ("priority=P1", "filter", {"priority": "P1"}),
        ("level=N2", "filter", {"level": "N2"}),
        ("assignee=bench_n1_1", "filter", {"assignee": fx["other"].pk}),
        ("category=Réseau (+children)", "filter", {"category": fx["root"].pk}),
        ("organisation=Organisation 3", "filter", {"organisation": fx["organisation"].pk}),
        ("ticket_type=incident", "filter", {"ticket_type": "incident"}),
        ("channel=phone", "filter", {"channel": "phone"}),
        ("sla=breached", "filter", {"sla": "breached"}),
        ("created 30–7 days ago", "filter", {"created_after": day(30), "created_before": day(7)}),
        ("updated 60–1 days ago", "filter", {"updated_after": day(60), "updated_before": day(1)}),
        ("view=mine", "view", {"view": "mine"}),
        ("view=unassigned", "view", {"view": "unassigned"}),
        ("view=level", "view", {"view": "level"}),
        ("view=breaching", "view", {"view": "breaching"}),
        ("search title word", "search", {"q": "imprimante"}),
        (f"search reference {fx['reference_prefix']}", "search", {"q": fx["reference_prefix"]}),
        (f"search requester {fx['requester_name']}", "search", {"q": fx["requester_name"]}),
        ("sort=deadline", "queue", {"sort": "deadline"}),
        ("page 1", "page", {"view": "all", "sort": "newest"}),
        (f"page {PAGE}", "page", {"view": "all", "sort": "newest", "after": page_cursor(fx["agent"])}),
    ]


_page_reached: dict[str, int] = {}


def page_cursor(agent) -> str:
    """The cursor that opens page PAGE of the default queue: the last row of page PAGE-1, read
    once by OFFSET (not timed). When the queue is shorter, the cursor of its last full page."""
    from django.conf import settings

    from tickets.queue import SORTS, encode_cursor, order_by
    from tickets.selectors import ticket_queue_for_agent

    size = settings.HELPDESK_PAGE_SIZE
    rows = ticket_queue_for_agent(agent=agent, filters={"view": "all", "sort": "newest"}).select_related(
        None).prefetch_related(None).order_by(*order_by(SORTS["newest"]))
    total = rows.count()
    offset = min((PAGE - 1) * size, max(0, (total - 1) // size * size)) - 1
    _page_reached["page"] = offset // size + 2 if offset >= 0 else 1
    _page_reached["open"] = total
    last = rows.only("id", "created_at")[offset] if offset >= 0 else None
    return encode_cursor(last, SORTS["newest"]) if last else ""


def page_query(queries: list[dict]) -> str | None:
    """The queue's page query: the SELECT from tickets_ticket that ends with a LIMIT."""
    for query in queries:
        sql = query["sql"]
        if sql.startswith("SELECT") and 'FROM "tickets_ticket"' in sql and re.search(r"LIMIT \d+$", sql):
            return sql
    return None




def measure(client, url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url}: HTTP {response.status_code}")
        return response

    for _ in range(WARMUP):
        response = get()
    rows = response.content.count(b"<tr data-href=")
    cpu = []

    def get_cpu():
        start = time.process_time()
        get()
        cpu.append((time.process_time() - start) * 1000)

    times = timed(get_cpu, repeat=repeat)
    with CaptureQueriesContext(connection) as captured:
        get()
    median, p95 = summary(times)
    return {"median": median, "p95": p95, "cpu": statistics.median(cpu),
            "db": sum(float(q["time"]) for q in captured.captured_queries) * 1000,
            "queries": len(captured.captured_queries), "rows": rows,
            "sql": page_query(captured.captured_queries)}


def run_size(size: int, repeat: int) -> tuple[list[dict], dict]:
    import seed_scale
    from django.test import Client
    from django.urls import reverse

    from tickets.models import Ticket

    missing = size - Ticket.objects.count()
    print(f"\n== {size:,} tickets ==", flush=True)
    if missing > 0:
        print(f"  topping the database up by {missing:,} tickets", flush=True)
        seed_scale.load(missing)
    fx = fixtures()
    load_before = os.getloadavg()[0]
    client = Client()
    client.force_login(fx["agent"])
    results = []
    with step("measuring"):
        for label, kind, params in cases(fx):
            url = reverse("agent:queue") + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
            results.append({"label": label, "kind": kind, "url": url, **measure(client, url, repeat)})
        url = reverse("agent:ticket", args=[fx["workspace"]])
        results.append({"label": f"workspace ({WORKSPACE_FOLLOWUPS} followups)", "kind": "workspace", "url": url,
                        **measure(client, url, repeat)})
        # The REST API (session authentication): the default list and the workspace ticket's detail.
        for label, url in (("API list", "/api/v1/tickets/"), ("API detail", f"/api/v1/tickets/{fx['workspace']}/")):
            results.append({"label": label, "kind": "workspace", "url": url, **measure(client, url, repeat)})
    info = {"tickets": Ticket.objects.count(), "open": _page_reached.get("open"),
            "page": _page_reached.get("page"), "workspace": fx["workspace"], "load": load_before,
            "load_after": os.getloadavg()[0]}
    return results, info


def print_table(size: int, results: list[dict], info: dict) -> None:
    print(f"\n### {info['tickets']:,} tickets ({info['open']:,} open; the page {PAGE} row opens page {info['page']}; "
          f"load average {info['load']:.1f} → {info['load_after']:.1f} on {os.cpu_count()} cores)\n")
    print("| case | median ms | p95 ms | CPU ms (Python) | SQL ms | queries | rows |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        target = WORKSPACE_TARGET_MS if r["kind"] == "workspace" else QUEUE_TARGET_MS
        flag = "" if r["p95"] < target else " ✗"
        rows = "" if r["kind"] == "workspace" else r["rows"]
        print(f"| {r['label']} | {r['median']:.1f} | {r['p95']:.1f}{flag} | {r['cpu']:.1f} | {r['db']:.1f} | "
              f"{r['queries']} | {rows} |")


def print_explains(size: int, results: list[dict]) -> None:
    filters = sorted((r for r in results if r["kind"] in ("filter", "view")), key=lambda r: -r["p95"])[:3]
    chosen = [r for r in results if r["label"] in ("default queue", "sort=deadline") or r["kind"] == "search"]
    chosen += [r for r in filters if r not in chosen]
    for r in chosen:
        if not r["sql"]:
            continue
        print(f"\n#### EXPLAIN at {size:,}: {r['label']}  ({r['url']})\n")
        print("```")
        sql = r["sql"]
        print("SELECT … " + sql[sql.index(' FROM "tickets_ticket"'):] if ' FROM "tickets_ticket"' in sql else sql)
        print("--")
        print(explain(r["sql"]))
        print("```")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--gunicorn-gc", action="store_true",
                        help="the garbage collector as gunicorn.conf.py sets each worker's (the loaded project "
                             "frozen, young objects collected after 50,000 allocations), as the product runs")
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not one line per eagerly sent notification
    name = setup_django(fresh=args.fresh)
    from django.test.utils import override_settings

    # Static files without the collectstatic manifest, as in the tests. No setup_test_environment():
    # its instrumented template rendering would add its own cost to the timings.
    override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
                      ALLOWED_HOSTS=["testserver"]).enable()
    if args.gunicorn_gc:
        import gc
        import runpy
        from pathlib import Path

        conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
        gc.collect()
        gc.freeze()
        gc.set_threshold(*conf["GC_THRESHOLD"])
    print(f"agent queue bench on database {name}; {machine()}; load average {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}" + ("; garbage collector as under gunicorn" if args.gunicorn_gc else ""))
    print(f"command: {' '.join(sys.argv)}")
    everything = {}
    for size in sorted(args.sizes):
        results, info = run_size(size, args.repeat)
        everything[size] = {"info": info, "results": results}
        print_table(size, results, info)
        print_explains(size, results)
    sizes = sorted(everything)
    print("\n### Query counts across sizes\n")
    same = True
    for index, r in enumerate(everything[sizes[0]]["results"]):
        counts = [everything[s]["results"][index]["queries"] for s in sizes]
        if len(set(counts)) > 1:
            same = False
            print(f"  DIFFERENT: {r['label']}: {counts}")
    print("  every case has the same query count at every size" if same else "  query counts differ (above)")
    largest = everything[sizes[-1]]["results"]
    misses = [r["label"] for r in largest
              if r["p95"] >= (WORKSPACE_TARGET_MS if r["kind"] == "workspace" else QUEUE_TARGET_MS)]
    print(f"  at {sizes[-1]:,}: " + ("every case under its 100 ms p95 target" if not misses
                                     else "over 100 ms p95: " + ", ".join(misses)))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({str(s): v for s, v in everything.items()}, out, indent=1, default=str)


if __name__ == "__main__":
    main()
