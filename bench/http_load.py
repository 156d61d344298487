"""Requests per second and latency over HTTP with many users at once (issue 16), beside a floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        .venv/bin/python bench/http_load.py [--size 100000] [--gunicorn "--workers 4"] [--only submit]

Starts, on 127.0.0.1, a Redis of its own (cache and broker), the product under gunicorn with production
settings, and the floor (bench/floor: a bare Django view that inserts one row, one that reads 25 rows by
an index into a minimal template) under the same gunicorn options and database settings, both through
bench/counted_wsgi.py (per-request statement count and server CPU time in response headers). The
database BENCH_DB is topped up to --size tickets by bench/seed_scale.py (1,000,000: give another
BENCH_DB, e.g. bench_perf_1m). By default no Celery worker runs: a submission publishes its notification
message to Redis, as in production, and sending the emails is the workers' job. With --worker, a Celery
worker with beat (one process, as the embedded demo runs it; the emails written to files) runs beside the
servers on the same cores, as issue 16 measured: it sends each submission's emails, runs storm detection and
the beat's sweeps, and takes its share of the CPU.

Each case is a bounded load: CLIENTS threads, each a logged-in person (tests/live.py's WebClient: real
login, session and CSRF cookies, a new connection per request), each sending a fixed number of
requests after a common start. Printed per case and number of clients: requests, errors (non-2xx/3xx),
req/s (requests / wall time), p50/p95/p99 latency as the client saw it, the statements per request and
the median server CPU per request (both from the headers), and the ratio of p50, p95 and CPU to the
floor measured in the same run at the same concurrency, just before the case (submissions against the floor's
insert, pages against its read). With --rounds N, floor and case alternate N times and each side's rounds
are pooled: on a shared host the machine's speed drifts over minutes, and both then meet the same drift.

Cases: submit (POST /tickets/new/ as a requester, multipart as a browser sends it, the 302 not followed),
queue (GET /agent/ as an N1 agent, rotating over filters), workspace (GET the 200-followup ticket, as
bench/agent_queue.py builds it), dashboard (GET /dashboard/ as a manager, one organisation over two years).
The machine has 2 cores, and the clients' threads share them with the servers: compare ratios, statements
and CPU per request between runs, not absolute milliseconds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("BENCH_DB", "bench_perf")

PASSWORD = "demo"  # noqa: S105 - bench/seed_scale.py gives every person this password
FLOOR_ROWS = 100_000
# docker-compose's web service (bench/RESULTS.md, "The gunicorn worker model"): the runs since session 7 passed it.
DEFAULT_GUNICORN = "--workers 2 --worker-class gthread --threads 4"


# --- The cast and fixtures (in this process, on the bench database)


def ensure_cast() -> dict:
    """The manager the dashboard needs (the requesters and agents come from seed_scale)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User

    manager, created = User.objects.get_or_create(
        username="bench_manager", defaults={"email": "manager@example.org", "first_name": "Claire",
                                            "last_name": "Moreau", "password": make_password(PASSWORD)})
    if created:
        manager.groups.add(Group.objects.get_or_create(name="Manager")[0])
    return {"manager": manager}


def workspace_reference() -> str:
    from agent_queue import workspace_ticket
    from django.contrib.auth.models import User

    return workspace_ticket(User.objects.get(username="bench_n1_0"))


def floor_setup() -> None:
    """The floor's table, FLOOR_ROWS rows and its index (once)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_floor_row (id bigserial PRIMARY KEY, "
                       "title varchar(200) NOT NULL, body text NOT NULL, status varchar(20) NOT NULL, "
                       "created_at timestamptz NOT NULL)")
        cursor.execute("CREATE INDEX IF NOT EXISTS bench_floor_row_created ON bench_floor_row (created_at)")
        cursor.execute("SELECT count(*) FROM bench_floor_row")
        if cursor.fetchone()[0] < FLOOR_ROWS:
            cursor.execute("INSERT INTO bench_floor_row (title, body, status, created_at) "
                           "SELECT 'Imprimante hors service ' || n, 'Rien ne répond depuis ce matin.', 'new', "
                           "now() - n * interval '1 minute' FROM generate_series(1, %s) AS n", [FLOOR_ROWS])
            cursor.execute("ANALYZE bench_floor_row")


def queue_paths() -> list[str]:
    """The queue with its filters, as bench/agent_queue.py measures them one by one."""
    from django.utils import timezone

    from accounts.models import Organisation
    from tickets.models import Category

    today = timezone.localdate()
    day = lambda delta: (today - timedelta(days=delta)).isoformat()  # noqa: E731
    root = Category.objects.get(name="Réseau", parent=None).pk
    organisation = Organisation.objects.get(name="Organisation 3").pk
    return [
        "/agent/", "/agent/?status=waiting", "/agent/?priority=P1", "/agent/?level=N2",
        f"/agent/?category={root}", f"/agent/?organisation={organisation}", "/agent/?sla=breached",
        f"/agent/?created_after={day(30)}&created_before={day(7)}", "/agent/?view=mine",
        "/agent/?view=unassigned", "/agent/?q=imprimante", "/agent/?sort=deadline",
    ]


def dashboard_path() -> str:
    from django.utils import timezone

    from accounts.models import Organisation

    today = timezone.localdate()
    organisation = Organisation.objects.get(name="Organisation 3").pk
    return (f"/dashboard/?period=custom&start={(today - timedelta(days=730)).isoformat()}"
            f"&end={today.isoformat()}&organisation={organisation}")


def prepare(size: int) -> dict:
    import seed_scale
    from common import step
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from dashboard.models import RollupState
    from tickets.models import Category, Ticket

    missing = size - Ticket.objects.count()
    if missing > 0:
        print(f"  topping {os.environ['BENCH_DB']} up by {missing:,} tickets", flush=True)
        seed_scale.load(missing)
    ensure_cast()
    floor_setup()
    with step("the beat's sweeps caught up"):
        caught = catch_up_sweeps()
    print(f"  {caught['sla']:,} SLA warnings and breaches, {caught['escalated']:,} stalled tickets escalated", flush=True)
    with step("the outbox of earlier runs marked sent"):
        settled = settle_outbox()
    print(f"  {settled:,} notifications", flush=True)
    with step("VACUUM (ANALYZE) the tables written since the last one"):
        vacuumed = vacuum_written()
    print(f"  {', '.join(vacuumed) or 'none'}", flush=True)
    if not RollupState.objects.exists():
        with step("dashboard rollups"):
            call_command("rebuild_dashboard_rollups", verbosity=0)
    categories = list(Category.objects.filter(parent__isnull=False).order_by("pk").values_list("pk", flat=True))
    requesters = User.objects.filter(username__startswith="bench_req").count()
    vip = set(User.objects.filter(username__startswith="bench_req", profile__organisation__is_vip=True)
              .values_list("username", flat=True))
    return {"tickets": Ticket.objects.count(), "categories": categories, "requesters": requesters, "vip": vip,
            "workspace": workspace_reference(),
            "queue": queue_paths(), "dashboard": dashboard_path()}


def catch_up_sweeps() -> dict:
    """The beat's SLA and stalled-diagnostic sweeps run until nothing is due, as production's beat would have run them
    every minute since the data was seeded or last measured: the seed's open tickets fall due as the clock moves on,
    and a --worker run's first beat tick handled hours of them at once (session 22: 12,471 and 16,999 emails during
    the end runs, mostly the escalations of seeded tickets, ten agents each), counted against the cases. What falls
    due during the run is still the worker's. Their emails stay in the outbox, which settle_outbox marks sent."""
    from unittest import mock

    from escalation.tasks import escalate_stalled_tickets
    from sla.tasks import check_sla_deadlines

    caught = {"sla": 0, "escalated": 0}
    with mock.patch("tickets.outbox.enqueue"):  # this process sends nothing (its tasks run eagerly)
        for _ in range(10):
            sla, escalated = check_sla_deadlines(), escalate_stalled_tickets()
            caught["sla"] += sla["warnings"] + sla["breaches"]
            caught["escalated"] += escalated
            if not (sla["warnings"] or sla["breaches"] or escalated):
                break
    return caught


def settle_outbox() -> int:
    """Mark sent what earlier runs left in the outbox, as production's workers would have sent it: a run without
    --worker leaves its submissions' notifications unsent (their messages go with its Redis), and a later run's
    worker would drain them all (the beat's outbox sweep) during its own cases, counted as theirs (session 22:
    363,758 waiting, the worker's CPU on the queue's and the dashboard's rows)."""
    from django.utils import timezone

    from tickets.models import Notification

    return Notification.objects.filter(sent_at__isnull=True).update(sent_at=timezone.now())


def vacuum_written() -> list[str]:
    """VACUUM (ANALYZE) each table with rows changed since its last ANALYZE, as production's autovacuum would have
    done between two runs (it is off on this machine's PostgreSQL). Each run's submissions clear the visibility map
    of the tickets' pages they touch; without a VACUUM the next run's index-only scans (the queue's P1 and breached
    pages, the dashboard's backlogs) read those heap pages again and PostgreSQL's planner turns to bitmap scans
    (an organisation's backlog, session 19: 1.2 ms after a VACUUM, 9 to 16 ms before it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_stat_user_tables WHERE n_mod_since_analyze > 0 OR n_dead_tup > 0 "
                       "ORDER BY relname")
        tables = [name for (name,) in cursor.fetchall()]
        for table in tables:
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
    return tables


# --- The load


class Result:
    def __init__(self, label: str, clients: int) -> None:
        self.label, self.clients = label, clients
        self.times: list[float] = []
        self.statements: list[int] = []
        self.cpu: list[float] = []
        self.errors: list[str] = []
        self.sql: list[str] = []  # with --show-sql: each request's statements (counted_wsgi's X-Bench-SQL)
        self.wall = 0.0
        self.spent: dict[str, float] = {}  # seconds of CPU by group of processes (bench/cpu_shares.py)
        self.lock = threading.Lock()

    def add(self, answer) -> None:
        with self.lock:
            self.times.append(answer.seconds * 1000)
            if answer.status >= 400:
                self.errors.append(f"HTTP {answer.status}")
            headers = {k.lower(): v for k, v in answer.headers.items()}
            if "x-bench-statements" in headers:
                self.statements.append(int(headers["x-bench-statements"]))
                self.cpu.append(int(headers["x-bench-cpu-us"]) / 1000)
            if "x-bench-sql" in headers:
                self.sql.append(headers["x-bench-sql"])

    def percentile(self, p: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] if ordered else 0.0

    @classmethod
    def pooled(cls, parts: list[Result]) -> Result:
        """Several runs of one case as one: every request's figures, the runs' walls added."""
        whole = cls(parts[0].label, parts[0].clients)
        for part in parts:
            whole.times += part.times
            whole.statements += part.statements
            whole.cpu += part.cpu
            whole.sql += part.sql
            whole.errors += part.errors
            whole.wall += part.wall
            for group, seconds in part.spent.items():
                whole.spent[group] = whole.spent.get(group, 0.0) + seconds
        return whole

    @property
    def rate(self) -> float:
        return len(self.times) / self.wall if self.wall else 0.0

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else 0.0

    @property
    def statements_median(self) -> float:
        return statistics.median(self.statements) if self.statements else 0


def run_load(label: str, clients: list, requests_per_client: int, make_request, shares=None) -> Result:
    """Each client sends requests_per_client requests after a common start; make_request(client, n)
    returns an Answer. With `shares` (a bench.cpu_shares.CpuShares), the CPU each group of processes spent
    meanwhile."""
    result = Result(label, len(clients))
    barrier = threading.Barrier(len(clients) + 1)

    def work(client, index):
        barrier.wait()
        for n in range(requests_per_client):
            try:
                result.add(make_request(client, index * requests_per_client + n))
            except Exception as error:  # noqa: BLE001 - a refused connection is a failed request
                with result.lock:
                    result.errors.append(type(error).__name__)

    threads = [threading.Thread(target=work, args=(client, i)) for i, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started, before = time.perf_counter(), shares and shares.snapshot()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - started
    if shares:
        result.spent = shares.since(before)
    return result


def print_statements(result: Result) -> None:
    """--show-sql: each statement (its first 90 characters) and in how many of the case's requests it was sent."""
    counts = Counter(statement for sql in result.sql for statement in sql.split(" | ") if statement)
    print(f"\n  statements of {len(result.sql)} requests ({result.label}, {result.clients} clients):")
    for statement, count in counts.most_common():
        print(f"  {count:>6} × {statement}")
    print()


def logged_in(base: str, usernames: list[str]):
    from tests import live

    clients = []
    for username in usernames:
        client = live.WebClient(base)
        answer = client.login(username, PASSWORD)
        if answer.status != 302:
            sys.exit(f"login of {username} failed: HTTP {answer.status}")
        clients.append(client)
    return clients


def csrf_token(client, page: str) -> str:
    from tests import live

    answer = client.get(page)
    token = live.CSRF_INPUT.search(answer.body)
    if token is None:
        sys.exit(f"no CSRF token on {page}: HTTP {answer.status}")
    return token.group(1)


def submit_request(base: str, categories: list[int]):
    """Each request in the next category. The seed's organisations have more than five tickets in each category
    within 30 days, so nearly every bench ticket is flagged recurring by its organisation's count (its firing, history
    and N2 alert are part of the twelve statements); a VIP organisation's goes straight to N2 (seven more, see
    `ordinary_first`). Posted as a browser posts the form, which takes attachments: multipart/form-data, the file
    input left empty."""
    from tests import live

    def request(client, n):
        answer = client.request("/tickets/new/", {
            "csrfmiddlewaretoken": client.token, "ticket_type": "incident", "category": categories[n % len(categories)],
            "title": f"Charge {n} : imprimante hors service", "description": "Rien ne répond depuis ce matin.",
            "urgency": "medium", "impact": "low", "attachments": live.NO_FILE},
            headers={"Referer": base + "/tickets/new/"}, multipart=True)
        # A browser follows the redirect, whose page shows (and so consumes) the success message; this
        # client does not, so forget it here: kept, unread messages pile up in the cookie, then in the
        # session, whose every request would then write it.
        forget_cookie(client.cookies, "messages")
        return answer

    return request


def draw_requesters(count: int, vip: set[str], most: int, rng: random.Random) -> list[str]:
    """`most` of the seed's `count` requesters (bench_req0…), as many of VIP organisations among them as among all,
    in a random order. A VIP's submission sends more statements for the escalation to N2 (four more at 100 k, seven
    at 1 M): drawn freely, the share of VIPs among 16 clients went from none to more than half from one run to the
    next (one session 16 run at 100 k had 14 statements as its median, a VIP's count), and the throughput with it."""
    everyone = [f"bench_req{i}" for i in range(count)]
    vips = [name for name in everyone if name in vip]
    ordinary = [name for name in everyone if name not in vip]
    from_vips = min(len(vips), round(most * len(vips) / count)) if count else 0
    drawn = rng.sample(vips, from_vips) + rng.sample(ordinary, min(len(ordinary), most - from_vips))
    rng.shuffle(drawn)
    return drawn


def ordinary_first(usernames: list[str], vip: set[str]) -> list[str]:
    """The drawn requesters, the first of them (the one-client case's) of an ordinary organisation: a VIP's ticket
    goes straight to N2 (the vip_start rule: more statements, twice the CPU), and a tenth of the seed's requesters
    are of VIP organisations at 1 M (a fifth at 100 k), so a draw decided the one-client figure one run in ten (in
    five at 100 k). The others keep their VIPs (draw_requesters: as many as among all the requesters)."""
    ordinary = next((k for k, name in enumerate(usernames) if name not in vip), 0)
    usernames = list(usernames)
    usernames[0], usernames[ordinary] = usernames[ordinary], usernames[0]
    return usernames


def forget_cookie(jar, name: str) -> None:
    for cookie in [cookie for cookie in jar if cookie.name == name]:
        jar.clear(cookie.domain, cookie.path, cookie.name)


def floor_insert_request(client, n):
    return client.request("/insert/", {"title": f"Charge {n}", "body": "Rien ne répond depuis ce matin."})


def get_request(paths: list[str]):
    return lambda client, n: client.get(paths[n % len(paths)])


# --- Reporting


ROW = ("| {label} | {clients} | {n} | {errors} | {rate:.1f} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {statements} | "
       "{cpu:.1f} | {r50} | {r95} | {rcpu} |")


def ratio(value: float, floor: float | None) -> str:
    return f"{value / floor:.1f}×" if floor else "–"


def print_row(result: Result, floor: Result | None) -> None:
    print(ROW.format(
        label=result.label, clients=result.clients, n=len(result.times), errors=len(result.errors),
        rate=result.rate, p50=result.percentile(0.5), p95=result.percentile(0.95), p99=result.percentile(0.99),
        statements=(f"{result.statements_median:.0f} (max {max(result.statements)})"
                    if result.statements and max(result.statements) != result.statements_median
                    else f"{result.statements_median:.0f}"), cpu=result.cpu_median,
        r50=ratio(result.percentile(0.5), floor and floor.percentile(0.5)),
        r95=ratio(result.percentile(0.95), floor and floor.percentile(0.95)),
        rcpu=ratio(result.cpu_median, floor and floor.cpu_median)), flush=True)
    if result.errors:
        print(f"|  errors: {sorted(set(result.errors))[:5]} | | | | | | | | | | | | |", flush=True)


SHARE_GROUPS = ("PostgreSQL", "Redis", "worker", "client", "rest")


def print_shares(measured: list[tuple[Result, Result]]) -> None:
    """The second table: each case's and floor's whole bill in CPU milliseconds per request, by group of processes
    (bench/cpu_shares.py). The server is the product for a case, the floor's own gunicorn for a floor row; rest is
    the machine's busy time outside these (mostly the kernel's loopback network work); steal is what the
    hypervisor took."""
    groups = [g for g in SHARE_GROUPS if any(g in part.spent for pair in measured for part in pair)]
    print("\nWhere the cores went, CPU ms per request (bench/cpu_shares.py):\n")
    print("| case | clients | server | " + " | ".join(groups) + " | machine | idle | steal |")
    print("|---|---:|" + "---:|" * (len(groups) + 4))
    for floor, result in measured:
        for part, server in ((floor, "floor"), (result, "product")):
            if not part.spent or not part.times:
                continue
            each = {k: v * 1000 / len(part.times) for k, v in part.spent.items()}
            cells = " | ".join(f"{each[g]:.1f}" for g in (server, *groups, "machine", "idle", "steal"))
            print(f"| {part.label} | {part.clients} | {cells} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="tickets in the bench database")
    parser.add_argument("--gunicorn", default=DEFAULT_GUNICORN, help="gunicorn options for both servers")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--submit-clients", type=int, nargs="+", default=[1, 16, 20])
    parser.add_argument("--requests", type=int, default=300, help="requests per case at the highest concurrency")
    parser.add_argument("--single", type=int, default=60, help="requests per case with one client")
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternate each case with its floor this many times, the rounds pooled")
    parser.add_argument("--only", action="append", help="only these cases: submit, queue, workspace, dashboard")
    parser.add_argument("--show-sql", action="store_true",
                        help="also print, per case, how often each statement was sent (the servers' BENCH_SHOW_SQL): "
                             "what a statement count is made of")
    parser.add_argument("--worker", action="store_true",
                        help="run a Celery worker with beat beside the servers (the issue's conditions)")
    args = parser.parse_args()

    from common import machine, setup_django, step
    from cpu_shares import CpuShares

    name = setup_django()
    print(f"http_load on {name}; {machine()}; load average {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(f"command: {' '.join(sys.argv)}")
    with step("fixtures"):
        fx = prepare(args.size)
    from django.conf import settings

    from tests import live

    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    redis_port, web_port, floor_port = live.free_port(), live.free_port(), live.free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = live.production_env(
        database_url=os.environ["DATABASE_URL"], redis_url=redis_url, static_root=work / "static",
        mail_dir=work / "mails", SECRET_KEY=settings.SECRET_KEY, LOG_LEVEL="WARNING", LOG_FORMAT="plain",
        # 10 per hour and person in production; the bench's few requesters submit hundreds.
        HELPDESK_RATE_TICKET_CREATE="100000/h", **({"BENCH_SHOW_SQL": "1"} if args.show_sql else {}))
    floor_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.floor.settings"}
    gunicorn = args.gunicorn.split()
    with step("collectstatic"):
        live.collectstatic(env)
    redis = live.start_redis(redis_port)
    servers, worker_process = [], None
    try:
        servers.append(start(env, web_port, work / "web.log", gunicorn))
        servers.append(start(floor_env, floor_port, work / "floor.log", gunicorn))
        worker_process = start_worker(env, work / "worker.log") if args.worker else None
        base, floor_base = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{floor_port}"
        worker = "a Celery worker with beat" if args.worker else "no Celery worker"
        print(f"\n{fx['tickets']:,} tickets; gunicorn {args.gunicorn}; PostgreSQL; Redis on :{redis_port}; "
              f"{worker}. Client times in ms.\n")
        print("| case | clients | requests | errors | req/s | p50 | p95 | p99 | statements | server CPU ms | "
              "p50 ÷ floor | p95 ÷ floor | CPU ÷ floor |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        roots = {"product": servers[0].pid, "floor": servers[1].pid, "Redis": redis.pid}
        if worker_process is not None:
            roots["worker"] = worker_process.pid
        shares, backlog = CpuShares(roots), []
        after_submissions = None
        if args.worker:
            def after_submissions(submitted):
                backlog.append(f"the worker sent {sent_emails(work / 'mails'):,} emails during the submissions")
                backlog.append(catch_up(redis_url, shares, submitted, work / "mails"))

        measured = measure(args, fx, base, floor_base, shares, after_submissions)
        print_shares(measured)
        print(f"\nload average after: {os.getloadavg()[0]:.1f}")
        print(*backlog, sep="\n")
    finally:
        if worker_process is not None:
            stop_worker(worker_process)
        for server in servers:
            live.stop(server)
        live.stop(redis)


def catch_up(redis_url: str, shares, measured: list[tuple[Result, Result]], mails: Path, timeout: float = 600) -> str:
    """After the last submission (before the pages are read), the worker's backlog: how long it takes to empty the
    broker's queue (no message waiting nor being worked on, for a second), and the CPU it spends meanwhile, per
    submission. A worker that falls behind spends less CPU during the submissions than they ask of it; with this
    their whole bill is counted. The beat's sweeps that fall due meanwhile are counted with it."""
    import redis as redis_client

    submissions = sum(len(result.times) for _floor, result in measured if result.label == "submit a ticket")
    client = redis_client.Redis.from_url(redis_url)
    before, started, quiet_since = shares.snapshot(), time.monotonic(), None
    while time.monotonic() - started < timeout:
        busy = client.llen("celery") or client.hlen("unacked")
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 1:
            break
        time.sleep(0.1)
    else:
        return f"the worker's backlog was not empty {timeout:.0f} s after the last submission"
    spent = shares.since(before)
    waited = time.monotonic() - started - 1
    line = (f"the worker's backlog after the last submission: emptied in {waited:.1f} s, {spent['worker']:.1f} s of "
            f"its CPU")
    if submissions:
        line += f", {spent['worker'] * 1000 / submissions:.1f} ms per submission"
    return f"{line}; {sent_emails(mails):,} emails sent by then"


def sent_emails(folder: Path) -> int:
    """The emails Django's file backend wrote: one file per connection to the mail server, which may carry many
    (tickets.outbox.deliver_many sends a task's over one); each has its Message-ID."""
    if not folder.exists():
        return 0
    return sum(line.startswith(b"Message-ID:") for file in folder.iterdir() for line in file.read_bytes().splitlines())


def start(env: dict, port: int, log: Path, gunicorn: list[str]):
    import subprocess

    from tests import live

    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "bench.counted_wsgi:application", "--bind",
                                f"127.0.0.1:{port}", *gunicorn], cwd=BENCH.parent, env=env,
                               stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        live.wait_for_port(port, timeout=30)
        # The port listens before the workers have imported the project: on a busy machine the first
        # requests (the logins) would time out waiting for them.
        live.wait_until(lambda: answers(f"http://127.0.0.1:{port}/"), timeout=300,
                        explain=lambda: log.read_text()[-3000:])
    except (RuntimeError, AssertionError):
        live.stop(process)
        raise RuntimeError(log.read_text()[-3000:]) from None
    return process


def start_worker(env: dict, log: Path):
    """celery worker -B, one process (the embedded demo's way), its log at WARNING; in a session of its own,
    so that stop_worker ends the beat it forks too."""
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-B", "--pool=solo",
                             "--loglevel=WARNING", "--schedule", str(log.with_suffix(".schedule"))],
                            cwd=BENCH.parent, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
                            start_new_session=True)


def stop_worker(process) -> None:
    """The worker and the beat process it forked (its process group)."""
    import contextlib
    import signal

    from tests import live

    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    live.stop(process)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a beat child still there after the worker ended


def answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(url, timeout=60).close()  # noqa: S310 - our own server on 127.0.0.1
    except urllib.error.HTTPError:
        return True  # an answer, whatever its status
    except OSError:
        return False
    return True


def measure(args, fx: dict, base: str, floor_base: str, shares, after_submissions=None) -> list[tuple[Result, Result]]:
    """Every case beside its floor; returns the pairs (floor, case), pooled over the rounds. `after_submissions`
    is called with the pairs measured so far once the submissions are done."""
    from tests import live

    most = max(args.clients + args.submit_clients)

    def per_client(clients: int) -> int:
        return args.single if clients == 1 else max(1, args.requests // clients)

    floor_people: dict[tuple[str, int], list] = {}

    def beside_floor(kind: str, label: str, people: list, make) -> None:
        """The case and the floor's `kind` at the same concurrency, in `--rounds` alternating rounds (floor, case,
        floor, case…) pooled: the machine's speed, which drifts over minutes on a shared host, weighs on both
        alike."""
        clients = len(people)
        if (kind, clients) not in floor_people:
            floor_people[kind, clients] = [live.WebClient(floor_base) for _ in range(clients)]
            run_load("warm-up", floor_people[kind, clients], 3,
                     floor_insert_request if kind == "insert" else get_request(["/rows/"]))
        floor_make = floor_insert_request if kind == "insert" else get_request(["/rows/"])
        floors, results = [], []
        for _ in range(args.rounds):
            floors.append(run_load(f"floor: {kind}", floor_people[kind, clients], per_client(clients), floor_make,
                                   shares))
            results.append(run_load(label, people, per_client(clients), make, shares))
        reference, result = Result.pooled(floors), Result.pooled(results)
        print_row(reference, None)
        print_row(result, reference)
        if args.show_sql:
            print_statements(result)
        measured.append((reference, result))

    measured: list[tuple[Result, Result]] = []

    wanted = args.only or ["submit", "queue", "workspace", "dashboard"]
    if "submit" in wanted:
        # Requesters drawn afresh each run, so that earlier runs' tickets seldom make them recurring.
        drawn = draw_requesters(fx["requesters"], fx["vip"], most, random.Random())
        requesters = logged_in(base, ordinary_first(drawn, fx["vip"]))
        for client in requesters:
            client.token = csrf_token(client, "/tickets/new/")
        make = submit_request(base, fx["categories"])
        run_load("warm-up", requesters[:8], 3, make)
        for clients in args.submit_clients:
            beside_floor("insert", "submit a ticket", requesters[:clients], make)
        if after_submissions is not None:
            after_submissions(list(measured))
    reads = []
    if "queue" in wanted:
        reads.append(("queue with filters", [f"bench_n1_{i % 10}" for i in range(most)], fx["queue"]))
    if "workspace" in wanted:
        reads.append(("workspace (200 followups)", [f"bench_n1_{i % 10}" for i in range(most)],
                      [f"/agent/tickets/{fx['workspace']}/"]))
    if "dashboard" in wanted:
        reads.append(("dashboard, one organisation, 2 years", ["bench_manager"] * most, [fx["dashboard"]]))
    for label, usernames, paths in reads:
        people = logged_in(base, usernames)
        make = get_request(paths)
        run_load("warm-up", people[:8], max(3, len(paths) // 8 + 1), make)
        for clients in args.clients:
            beside_floor("read", label, people[:clients], make)
    return measured


if __name__ == "__main__":
    main()
