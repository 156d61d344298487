"""The requester's list, /tickets/ (issue 23), at 1,000,000 tickets: a requester with 100,000 tickets of
their own, and a requester whose organisation shares its tickets (the largest, about 56,000).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_1m_portal \
        .venv/bin/python bench/portal.py [--repeat 30]

BENCH_DB is a seeded bench database (bench/seed_scale.py; here a copy of the 1M one), migrated first. Once
(re-runs find them): `bench_heavy` gets 100,000 tickets (the newest ones not already moved, round the
whole two years), and `bench_orgwide` joins the organisation with the most tickets, which is set to share
them. Each case is Django's test Client in process (force_login), 3 warm-up requests then `--repeat`
timed ones (median and p95 wall time), one more with its statements captured (count and SQL time), and
every statement of that request EXPLAINed (ANALYZE, BUFFERS) into bench/output/portal_explain.txt.
Target: p95 < 40 ms in process, the same number of statements on every case.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from common import explain, machine, setup_django, step, summary, timed

TARGET_MS = 40.0
ORGANISATION_TICKETS = 56_000
WARMUP = 3
OUTPUT = Path(__file__).resolve().parent / "output"


def prepare() -> tuple:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.db.models import Count

    from accounts.models import Organisation, Profile
    from tickets.models import Ticket

    heavy = User.objects.filter(username="bench_heavy").first()
    if heavy is None:
        with transaction.atomic(), connection.cursor() as cursor:
            heavy = User.objects.create(username="bench_heavy", password=make_password("demo"),
                                        first_name="Compte", last_name="Supervision")
            Profile.objects.get_or_create(user=heavy)
            cursor.execute("""
                UPDATE tickets_ticket SET requester_id = %s, organisation_id = NULL WHERE id IN (
                    SELECT t.id FROM tickets_ticket t JOIN auth_user u ON u.id = t.requester_id
                    WHERE u.username NOT LIKE 'bench_dormant%%' AND t.id %% 9 = 0 LIMIT 100000)""", [heavy.pk])
            cursor.execute("ANALYZE tickets_ticket")
    orgwide = User.objects.filter(username="bench_orgwide").first()
    if orgwide is None:
        largest = (Ticket.objects.exclude(organisation=None).values("organisation")
                   .annotate(n=Count("id")).order_by("-n")[0]["organisation"])
        Organisation.objects.filter(pk=largest).update(share_tickets=True)
        orgwide = User.objects.create(username="bench_orgwide", password=make_password("demo"))
        Profile.objects.update_or_create(user=orgwide, defaults={"organisation_id": largest})
    profile = Profile.objects.select_related("organisation").get(user=orgwide)
    # The seed's largest organisation had about 56,000 tickets (issue 23) before the dormant and heavy
    # requesters took theirs: other organisations' tickets join it until it has 56,000 again.
    missing = ORGANISATION_TICKETS - Ticket.objects.filter(organisation=profile.organisation).count()
    if missing > 0:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("""
                UPDATE tickets_ticket SET organisation_id = %s WHERE id IN (
                    SELECT id FROM tickets_ticket WHERE organisation_id IS NOT NULL AND organisation_id <> %s
                    ORDER BY id LIMIT %s)""", [profile.organisation_id, profile.organisation_id, missing])
            cursor.execute("ANALYZE tickets_ticket")
    return heavy, orgwide, profile.organisation




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
    times = timed(get, repeat=repeat)
    with CaptureQueriesContext(connection) as captured:
        response = get()
    median, p95 = summary(times)
    return {"median": median, "p95": p95, "queries": len(captured.captured_queries),
            "db": sum(float(q["time"]) for q in captured.captured_queries) * 1000,
            "rows": len(REFERENCE.findall(response.content.decode())),
            "sql": [q["sql"] for q in captured.captured_queries], "older": link(response, "older")}


REFERENCE = re.compile(r'<td class="text-nowrap"><a href="/tickets/[^"]+/">')


def link(response, which: str) -> str | None:
    found = re.search(rf'href="\?{which}=([^"&]+)"', response.content.decode())
    return found.group(1) if found else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    name = setup_django()
    if not name.startswith("bench"):
        sys.exit("BENCH_DB must start with 'bench'")
    from django.test.utils import override_settings

    # Static files without the collectstatic manifest, as in the tests (bench/agent_queue.py); no
    # setup_test_environment(), whose instrumented rendering would add to the timings.
    override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
                      ALLOWED_HOSTS=["testserver"]).enable()
    from django.db.models import Q
    from django.test import Client

    from tickets.models import Ticket

    print(machine())
    with step("prepare the heavy and the organisation-wide requesters"):
        heavy, orgwide, organisation = prepare()
    total = Ticket.objects.count()
    own = Ticket.objects.filter(requester=heavy).count()
    shared = Ticket.objects.filter(Q(organisation=organisation) | Q(requester=orgwide)).count()
    print(f"{total:,} tickets; bench_heavy owns {own:,}; bench_orgwide sees {shared:,} ({organisation.name})")

    results, plans = [], []
    for user, label in ((heavy, f"own tickets ({own:,})"), (orgwide, f"organisation-wide ({shared:,})")):
        client = Client()
        client.force_login(user)
        first = measure(client, "/tickets/", args.repeat)
        results.append((f"{label}, first page", first))
        # 40 pages on, by the "plus anciens" links.
        cursor = first["older"]
        for _ in range(39):
            cursor = link(client.get(f"/tickets/?older={cursor}"), "older")
        deep = measure(client, f"/tickets/?older={cursor}", args.repeat)
        results.append((f"{label}, page 41 (plus anciens ×40)", deep))
        newer = link(client.get(f"/tickets/?older={cursor}"), "newer")
        back = measure(client, f"/tickets/?newer={newer}", args.repeat)
        results.append((f"{label}, back (plus récents)", back))
        for case, result in results[-3:]:
            for sql in result["sql"]:
                if "tickets_ticket" in sql and "django_session" not in sql:
                    plans.append(f"--- {case}\n{sql}\n{explain(sql)}\n")

    print("\n| case | median ms | p95 ms | SQL ms | queries | rows |\n|---|---:|---:|---:|---:|---:|")
    for case, r in results:
        print(f"| {case} | {r['median']:.1f} | {r['p95']:.1f} | {r['db']:.1f} | {r['queries']} | {r['rows']} |")
    worst = max(r["p95"] for _case, r in results)
    own_counts = {r["queries"] for case, r in results if case.startswith("own")}
    org_counts = {r["queries"] for case, r in results if case.startswith("organisation")}
    constant = len(own_counts) == 1 and len(org_counts) == 1
    print(f"\ntarget: p95 < {TARGET_MS:.0f} ms: {'OK' if worst < TARGET_MS else 'OVER'} (worst {worst:.1f} ms); "
          f"statements: own {sorted(own_counts)}, organisation-wide {sorted(org_counts)} (its second side: the "
          f"organisation read with the profile, one more range and capped count) — "
          f"{'constant on every page' if constant else 'NOT constant'}")
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "portal_explain.txt").write_text("\n".join(plans))
    print("EXPLAIN of every ticket statement: bench/output/portal_explain.txt")


if __name__ == "__main__":
    main()
