"""Time one run of the SLA beat sweep over a large table of open tickets, few of them due.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/sla_sweep.py \\
        --sizes 100000 1000000 --due 100

Works in its own database (`bench_sla`, dropped and created again; DATABASE_URL only says which server).
For each size, open tickets and both SLA clocks of each are loaded with COPY: most clocks are not due
(next_check_at in the future, or NULL when met or paused), exactly --due are due (half past their warning
time, half past their deadline). Then `sla_check_deadlines()` runs --repeat times, the due rows put back
between runs; the median wall time and the query count are printed, with EXPLAIN ANALYZE of the sweep's
SELECT. Sizes grow by topping up the same table, so the due rows are the same at every size. Last, a
burst of --burst due clocks shows the sweep finishing within the minute.

Notifications: EMAIL_BACKEND is locmem. By default Celery publishes to an in-memory broker (not eager):
the sweep pays what it pays in production — the outbox rows and one publish per batch of emails after commit —
while rendering and sending the emails is the worker's job. --eager runs the send tasks inline instead
(CELERY_TASK_ALWAYS_EAGER=1), so the time includes rendering every email.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from common import explain

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "bench_sla"
AGENTS_PER_LEVEL = 5
MANAGERS = 2
REQUESTERS = 1000
# The default policy's targets (24/7 calendar), seconds.
RESPONSE = {"P1": 15 * 60, "P2": 3600, "P3": 4 * 3600, "P4": 24 * 3600}
RESOLUTION = {"P1": 4 * 3600, "P2": 8 * 3600, "P3": 48 * 3600, "P4": 5 * 24 * 3600}
PRIORITIES = ["P1", "P2", "P3", "P3", "P3", "P4", "P4", "P4"]
LEVELS = ["N1", "N1", "N1", "N2", "N2", "N3", "N4"]


# --- Database and Django set-up


def server_url(database: str) -> str:
    base = os.environ.get("DATABASE_URL", "")
    parsed = urlparse(base)
    if parsed.scheme not in ("postgres", "postgresql"):
        sys.exit("This benchmark needs PostgreSQL: DATABASE_URL=postgres://user@host:5432/any_database")
    return urlunparse(parsed._replace(path="/" + database))


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def setup_django(*, eager: bool) -> None:
    os.environ["DATABASE_URL"] = server_url(DATABASE)
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1" if eager else "0"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["LOG_LEVEL"] = "ERROR"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from collections import deque

    from django.db import connection

    # CaptureQueriesContext keeps the last 9,000 queries by default: too few to count a sweep.
    connection.queries_limit = 1_000_000
    connection.queries_log = deque(maxlen=connection.queries_limit)


# --- Loading


def cast() -> dict:
    """Requesters, agents in their level groups, managers, one category (users are few: bulk_create)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User

    from tickets.models import Category

    password = make_password("demo")
    User.objects.bulk_create(
        [User(username=f"req{i}", email=f"req{i}@example.org", password=password) for i in range(REQUESTERS)]
    )
    agents = {}
    for level in ("N1", "N2", "N3", "N4", "Manager"):
        group = Group.objects.get_or_create(name=level)[0]
        count = MANAGERS if level == "Manager" else AGENTS_PER_LEVEL
        members = User.objects.bulk_create(
            [User(username=f"{level.lower()}_{i}", email=f"{level.lower()}{i}@example.org", password=password)
             for i in range(count)]
        )
        group.user_set.add(*members)
        agents[level] = [user.pk for user in members]
    return {
        "requesters": list(User.objects.filter(username__startswith="req").values_list("pk", flat=True)),
        "agents": agents,
        "category": Category.objects.get_or_create(name="Poste de travail", parent=None)[0].pk,
    }


def _drop_secondary_indexes(cursor, tables) -> list[str]:
    """Drop the indexes that are not constraints; return their definitions to rebuild after COPY."""
    definitions = cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)", [list(tables)],
    ).fetchall()
    for name, _definition in definitions:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in definitions]


def load(first: int, count: int, *, people: dict, policy_id: int, now: datetime) -> None:
    """COPY tickets `first`..`first+count-1` (ids) and their two clocks; none of them is due."""
    from django.db import connection

    from tickets.models import Ticket

    columns = [field.column for field in Ticket._meta.concrete_fields]
    requesters, agents, category = people["requesters"], people["agents"], people["category"]
    with connection.cursor() as django_cursor:
        raw = django_cursor.connection
        cursor = raw.cursor()
        indexes = _drop_secondary_indexes(cursor, ["tickets_ticket", "sla_slaclock"])
        started = time.perf_counter()
        with cursor.copy(f"COPY tickets_ticket ({', '.join(columns)}) FROM STDIN") as tickets:
            for pk in range(first, first + count):
                tickets.write_row(_ticket_row(pk, columns, requesters, agents, category, now))
        with cursor.copy(
            "COPY sla_slaclock (id, ticket_id, target, policy_id, started_at, duration_seconds, warn_at, due_at, "
            "next_check_at, met_at, paused_at, paused_seconds) FROM STDIN"
        ) as clocks:
            for pk in range(first, first + count):
                for row in _clock_rows(pk, policy_id, now):
                    clocks.write_row(row)
        copied = time.perf_counter() - started
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for definition in indexes:
            cursor.execute(definition)
        for table in ("tickets_ticket", "sla_slaclock"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cursor.execute(f"VACUUM ANALYZE {table}")
        print(f"  COPY {count:,} tickets and {2 * count:,} clocks: {copied:.1f} s; "
              f"indexes rebuilt, analysed: {time.perf_counter() - started:.1f} s in all", flush=True)


def _status(pk: int) -> str:
    return ("new", "in_progress", "in_progress", "in_progress", "waiting")[pk % 5]


def _created(pk: int, now: datetime) -> datetime:
    # Opened within the last 5 minutes: even a P1's warning (11 min 15 s) is in the future, so nothing is
    # due unless make_due makes it so.
    return now - timedelta(seconds=pk % 300)


def _ticket_row(pk, columns, requesters, agents, category, now) -> tuple:
    from tickets.models import Ticket

    status, priority, level = _status(pk), PRIORITIES[pk % len(PRIORITIES)], LEVELS[pk % len(LEVELS)]
    created = _created(pk, now)
    taken = status != "new"
    values = {
        "id": pk,
        "reference": f"{2000 + pk // 1_000_000}-{pk % 1_000_000:06d}",
        "category_id": category,
        "title": f"Ticket de charge {pk}",
        "description": "Généré par bench/sla_sweep.py.",
        "priority": priority,
        "level": level,
        "status": status,
        "requester_id": requesters[pk % len(requesters)],
        "assignee_id": agents[level][pk % AGENTS_PER_LEVEL] if taken else None,
        "current_phase": "diagnostic" if taken else "reception",
        "phase_started_at": created,
        "created_at": created,
        "updated_at": created,
        "first_response_at": created + timedelta(minutes=1) if taken else None,
        "waiting_since": created + timedelta(minutes=2) if status == "waiting" else None,
        "response_due_at": created + timedelta(seconds=RESPONSE[priority]),
        "resolution_due_at": created + timedelta(seconds=RESOLUTION[priority]),
    }
    row = []
    for field in Ticket._meta.concrete_fields:
        if field.column in values:
            row.append(values[field.column])
        elif field.has_default():
            default = field.get_default()
            row.append(default.value if hasattr(default, "value") else default)
        else:
            row.append(None if field.null else "")
    return tuple(row)


def _clock_rows(pk: int, policy_id: int, now: datetime):
    """Response met once taken (next_check_at NULL), resolution paused while waiting (NULL); the others
    watch their 75 % warning time, in the future."""
    status, priority, created = _status(pk), PRIORITIES[pk % len(PRIORITIES)], _created(pk, now)
    for offset, target, seconds in ((0, "response", RESPONSE[priority]), (1, "resolution", RESOLUTION[priority])):
        warn_at = created + timedelta(seconds=seconds * 0.75)
        due_at = created + timedelta(seconds=seconds)
        met_at = created + timedelta(minutes=1) if target == "response" and status != "new" else None
        paused_at = created + timedelta(minutes=2) if target == "resolution" and status == "waiting" else None
        next_check = None if (met_at or paused_at) else warn_at
        yield (2 * pk + offset, pk, target, policy_id, created, seconds, warn_at, due_at, next_check, met_at,
               paused_at, 0)


# --- The due rows and putting them back


def make_due(count: int, *, now: datetime, exclude: set[int] = frozenset()) -> list[int]:
    """Turn `count` new tickets' response clocks due: the first half past the warning time, the rest past
    the deadline. Spread over the table (every k-th new ticket), not the newest ones."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM tickets_ticket")
        (last,) = cursor.fetchone()
        candidates = [pk for pk in range(5, last + 1, 5) if pk not in exclude]  # pk % 5 == 0: status new
        ids = candidates[:: max(1, len(candidates) // max(1, count))][:count]
        if len(ids) < count:
            sys.exit(f"Only {len(ids)} tickets to make due; load more tickets.")
        warnings, breaches = ids[: count // 2], ids[count // 2:]
        for chosen, warn, due in ((warnings, now - timedelta(minutes=1), now + timedelta(minutes=10)),
                                  (breaches, now - timedelta(minutes=20), now - timedelta(minutes=5))):
            cursor.execute(
                "UPDATE sla_slaclock SET warn_at = %s, due_at = %s, next_check_at = %s "
                "WHERE ticket_id = ANY(%s) AND target = 'response'", [warn, due, warn, chosen],
            )
    return ids


class Snapshot:
    """What a sweep changes, to put it back: the due tickets' and clocks' rows (UPDATE from a copy), and
    the rows it inserts anywhere (DELETE above each table's max id; Django's foreign keys are deferred)."""

    def __init__(self, ticket_ids: list[int]) -> None:
        from django.db import connection

        self.ticket_ids = ticket_ids
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_ticket, bench_clock")
            cursor.execute("CREATE TABLE bench_ticket AS SELECT * FROM tickets_ticket WHERE id = ANY(%s)", [ticket_ids])
            cursor.execute("CREATE TABLE bench_clock AS SELECT * FROM sla_slaclock WHERE ticket_id = ANY(%s)",
                           [ticket_ids])
            cursor.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND column_name = 'id' AND table_name NOT LIKE 'bench_%%' AND table_name NOT LIKE 'django_%%'"
            )
            self.max_ids = {}
            for (table,) in cursor.fetchall():
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
                self.max_ids[table] = cursor.fetchone()[0]
            self.ticket_columns = self._columns(cursor, "tickets_ticket")
            self.clock_columns = self._columns(cursor, "sla_slaclock")

    @staticmethod
    def _columns(cursor, table: str) -> list[str]:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s AND "
                       "column_name <> 'id'", [table])
        return [name for (name,) in cursor.fetchall()]

    def restore(self) -> None:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            for table, max_id in self.max_ids.items():
                cursor.execute(f'DELETE FROM "{table}" WHERE id > %s', [max_id])
            for table, copy, columns in (("tickets_ticket", "bench_ticket", self.ticket_columns),
                                         ("sla_slaclock", "bench_clock", self.clock_columns)):
                assignments = ", ".join(f'"{c}" = {copy}."{c}"' for c in columns)
                cursor.execute(f"UPDATE {table} SET {assignments} FROM {copy} WHERE {table}.id = {copy}.id")


# --- Measuring


class Tally:
    """Counts and times the queries by statement and table (an execute wrapper: nothing is kept per query)."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}
        self.ms: dict[str, float] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = self.classify(sql)
            self.count[key] = self.count.get(key, 0) + 1
            self.ms[key] = self.ms.get(key, 0.0) + (time.perf_counter() - started) * 1000

    @staticmethod
    def classify(sql: str) -> str:
        words = sql.split()
        verb = words[0].upper() if words else "?"
        if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
            return "SAVEPOINT / RELEASE"
        marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM"}.get(verb)
        table = ""
        if marker:
            upper = [word.upper() for word in words]
            if marker in upper:
                table = words[upper.index(marker) + 1].strip('"')
        return f"{verb} {table}".strip()

    def total(self) -> int:
        return sum(self.count.values())


def sweep_once(now: datetime, *, capture: bool) -> tuple[float, int, list[str], object, Tally]:
    from contextlib import nullcontext

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sla.services import sla_check_deadlines

    tally = Tally()
    # The burst runs hundreds of thousands of queries: counted by the tally, not kept.
    capturing = CaptureQueriesContext(connection) if capture else nullcontext()
    with capturing as queries, connection.execute_wrapper(tally):
        started = time.perf_counter()
        result = sla_check_deadlines(now=now)
        elapsed = (time.perf_counter() - started) * 1000
    sqls = [q["sql"] for q in queries.captured_queries] if capture else []
    # CaptureQueriesContext also counts BEGIN and COMMIT of the batches, which the wrapper does not see.
    return elapsed, len(queries) if capture else tally.total(), sqls, result, tally




def measure(size: int, due_ids: list[int], *, now: datetime, repeat: int, capture: bool = True) -> dict:
    from sla.models import SlaEvent
    from sla.services import sla_check_deadlines

    snapshot = Snapshot(due_ids)
    times, counts, results, tallies = [], set(), [], []
    sweep_sql = None
    for _run in range(repeat):
        elapsed, count, sqls, result, tally = sweep_once(now, capture=capture)
        # Every due clock read and one event recorded for each (the burst may stop at the time budget).
        assert result.checked == SlaEvent.objects.count() == result.warnings + result.breaches, result
        times.append(elapsed)
        counts.add(count)
        results.append(result)
        tallies.append(tally)
        if capture and sweep_sql is None:
            sweep_sql = next(s for s in sqls if 'FROM "sla_slaclock"' in s and "SKIP LOCKED" in s)
        snapshot.restore()
    if sweep_sql is None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            sla_check_deadlines(now=now, time_budget=0.05)  # one batch is enough for its SQL
        sweep_sql = next(q["sql"] for q in queries.captured_queries if "SKIP LOCKED" in q["sql"])
        snapshot.restore()
    # The plan of the sweep's first SELECT, with the due rows in place.
    plan = explain(sweep_sql)
    snapshot.restore()
    median = statistics.median(times)
    return {"size": size, "due": len(due_ids), "ms": median, "runs": times, "queries": sorted(counts),
            "result": results[0], "plan": plan, "tally": tallies[times.index(median)] if repeat % 2 else tallies[0]}


def count_rows(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return cursor.fetchone()[0]


def machine() -> str:
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = 0
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return (f"{os.cpu_count()} cores, {memory:.0f} GiB RAM, Python {platform.python_version()}, "
            f"PostgreSQL {server}, {date.today():%Y-%m-%d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--burst", type=int, default=10_000, help="due clocks of the last run (0: skip it)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--eager", action="store_true", help="send the emails inline (CELERY_TASK_ALWAYS_EAGER=1)")
    args = parser.parse_args()

    recreate_database()
    setup_django(eager=args.eager)
    from sla.models import SlaPolicy

    now = datetime.now(UTC).replace(microsecond=0)
    print(f"bench database {DATABASE} on {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"emails: locmem backend; Celery {'eager: emails rendered and sent inside the sweep' if args.eager else 'publishes to an in-memory broker (one message per batch of emails, sent by a worker in production)'}")
    print(f"cast: {REQUESTERS} requesters, {AGENTS_PER_LEVEL} agents per level N1-N4, {MANAGERS} managers")
    people = cast()
    policy_id = SlaPolicy.objects.get(is_default=True).pk
    rows, loaded, due_ids = [], 0, []
    for size in sorted(args.sizes):
        print(f"size {size:,}:", flush=True)
        started = time.perf_counter()
        load(loaded + 1, size - loaded, people=people, policy_id=policy_id, now=now)
        loaded = size
        print(f"  loaded in {time.perf_counter() - started:.0f} s; {count_rows('tickets_ticket'):,} tickets, "
              f"{count_rows('sla_slaclock'):,} clocks", flush=True)
        if not due_ids:
            due_ids = make_due(args.due, now=now)
        row = measure(size, due_ids, now=now, repeat=args.repeat)
        rows.append(row)
        print(f"  sweep: {', '.join(f'{t:.0f}' for t in row['runs'])} ms; queries {row['queries']}; "
              f"{row['result']}", flush=True)
    if args.burst:
        print(f"burst: {args.burst:,} due at once among {loaded:,}", flush=True)
        burst_ids = make_due(args.burst, now=now, exclude=set(due_ids))
        row = measure(loaded, burst_ids, now=now, repeat=1, capture=False)
        row["burst"] = True
        rows.append(row)

    print()
    print("| open tickets | due | median ms | queries | checked | warnings / breaches |")
    print("|---:|---:|---:|---:|---:|---|")
    for row in rows:
        result = row["result"]
        print(f"| {row['size']:,} | {row['due']:,} | {row['ms']:,.0f} | {'/'.join(map(str, row['queries']))} | "
              f"{result.checked:,} | {result.warnings:,} / {result.breaches:,} |")
    for row in rows:
        tally = row["tally"]
        print(f"\nWhere the time goes at {row['size']:,} tickets, {row['due']:,} due "
              f"({tally.total():,} queries, {sum(tally.ms.values()):,.0f} ms of {row['ms']:,.0f} ms in the database "
              f"driver; the rest is Python and Celery publishing):")
        print("| statement | queries | per due clock | ms |")
        print("|---|---:|---:|---:|")
        for key in sorted(tally.count, key=lambda k: -tally.ms[k]):
            print(f"| {key} | {tally.count[key]:,} | {tally.count[key] / row['due']:.1f} | {tally.ms[key]:,.0f} |")
    for row in rows:
        print(f"\nEXPLAIN ANALYZE of the sweep's SELECT at {row['size']:,} tickets, {row['due']:,} due:")
        print(row["plan"])


if __name__ == "__main__":
    main()
