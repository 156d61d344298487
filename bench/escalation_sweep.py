"""One run of the stalled-diagnostic sweep (escalation.services.escalate_stalled) at growing sizes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/escalation_sweep.py --size 10000=bench_10k --size 1000000=bench

Each SIZE=DATABASE pair names a bench database (its name must start with "bench"), topped up to SIZE
tickets with bench/seed_scale.py's loader. In it, exactly `--stalled` tickets (100) are stalled:
in progress, no root cause, level N1–N3, last updated two hours ago (one UPDATE on ids chosen with
a fixed seed), after every other in-progress ticket's updated_at was set to now(). Then, `--runs`
times (3), the 100 tickets are reset (level back, updated_at two hours ago, their RuleFiring and
Escalation rows deleted) and one run of escalate_stalled() is timed (median); one more
reset-and-run is done with every statement counted (an execute wrapper), and the candidate query is
EXPLAINed.

This is done twice. First with the notifications delivered inline, as bench/common.py sets it up
(Celery eager, locmem email backend): the run then includes rendering and "sending" every
escalation email (the time inside tickets.outbox.deliver_many is shown apart). Then with
tickets.outbox.enqueue only recording the ids, so the notifications stay in the outbox
for the workers, as with a real broker: what the beat task itself costs.

Target (issue 6): with 1,000,000 tickets, one run under 200 ms, with the same query count as at 10,000.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from contextlib import nullcontext

from common import create_database, machine, setup_django, step

TARGET_MS = 200.0


def switch_database(name: str) -> None:
    """Point Django's default connection at another bench database (created and migrated if needed)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    if not name.startswith("bench"):
        sys.exit(f"{name}: the benchmarks only use databases whose name starts with 'bench'")
    create_database(name, fresh=False)
    connections["default"].close()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    call_command("migrate", verbosity=0)


def choose_stalled(count: int) -> dict[int, str]:
    """`count` in-progress tickets without root cause at N1–N3 (fixed seed), with their levels."""
    from tickets.models import Ticket

    pool = list(Ticket.objects.filter(status="in_progress", root_cause="", level__in=["N1", "N2", "N3"])
                .order_by("pk").values_list("pk", flat=True))
    if len(pool) < count:
        sys.exit(f"only {len(pool)} in-progress tickets at N1–N3 here; need {count}")
    chosen = sorted(random.Random(20).sample(pool, count))
    return dict(Ticket.objects.filter(pk__in=chosen).values_list("pk", "level"))


def reset(stalled: dict[int, str]) -> None:
    """Every other in-progress ticket fresh, the chosen ones stalled again at their first level,
    without the firings and log rows of the previous run."""
    from django.db import connection, transaction

    from escalation.models import Escalation, RuleFiring

    ids = list(stalled)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET updated_at = now() "
            "WHERE status = 'in_progress' AND updated_at < now() - interval '20 minutes' AND NOT (id = ANY(%s))",
            [ids])
        # One UPDATE on the chosen ids: stalled for two hours, at the level they had before the sweep.
        cursor.execute(
            "UPDATE tickets_ticket AS t SET level = v.level, updated_at = now() - interval '2 hours' "
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, level) WHERE t.id = v.id",
            [ids, [stalled[pk] for pk in ids]])
        RuleFiring.objects.filter(ticket_id__in=ids).delete()
        Escalation.objects.filter(ticket_id__in=ids).delete()


def stalled_now() -> int:
    from datetime import timedelta

    from django.utils import timezone

    from escalation.models import EscalationRule
    from tickets.models import Ticket

    minutes = EscalationRule.objects.get(code="stalled_diagnostic").threshold_minutes
    return Ticket.objects.filter(status="in_progress", root_cause="", level__in=["N1", "N2", "N3"],
                                 updated_at__lte=timezone.now() - timedelta(minutes=minutes)).count()


class DeliveryClock:
    """Wraps tickets.outbox.deliver_many (what the delivery tasks and `deliver` call: several notifications over
    one connection to the mail server since session 14) to add up the time spent delivering notifications and
    count the notifications sent."""

    def __init__(self):
        import tickets.outbox as notifications

        self.module = notifications
        self.original = notifications.deliver_many
        self.seconds = 0.0
        self.count = 0

        def timed_deliver_many(notification_ids):
            start = time.perf_counter()
            try:
                sent, failures = self.original(notification_ids)
            finally:
                self.seconds += time.perf_counter() - start
            self.count += sent
            return sent, failures

        notifications.deliver_many = timed_deliver_many

    def take(self) -> tuple[float, int]:
        seconds, count = self.seconds, self.count
        self.seconds, self.count = 0.0, 0
        return seconds * 1000, count


def explain(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


class Outbox:
    """While active, tickets.outbox.enqueue only records the ids: the notifications stay in the outbox
    for the workers, as with a real broker. What the beat worker itself spends."""

    def __init__(self):
        import tickets.outbox as outbox

        self.outbox = outbox
        self.original = outbox.enqueue
        self.enqueued: list[int] = []

    def __enter__(self):
        self.enqueued = []
        self.outbox.enqueue = self.enqueued.extend
        return self

    def __exit__(self, *exc):
        self.outbox.enqueue = self.original


def one_run(stalled: dict[int, str], *, count: bool = False) -> dict:
    """Reset the stalled tickets, run the sweep once, time it (and count its statements)."""
    from django.core import mail
    from django.db import connection

    from escalation.services import escalate_stalled

    reset(stalled)
    mail.outbox = []
    statements: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    # An execute wrapper, not CaptureQueriesContext: the latter keeps only the last 9,000 queries.
    wrapper = connection.execute_wrapper(record) if count else nullcontext()
    with wrapper:
        start, cpu = time.perf_counter(), time.process_time()
        escalated = escalate_stalled()
        elapsed, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
    return {"ms": elapsed, "cpu": cpu, "escalated": escalated, "emails": len(mail.outbox),
            "statements": statements}


def run_size(size: int, database: str, stalled_count: int, runs: int, clock: DeliveryClock) -> dict:
    import seed_scale
    from django.db import connection

    from tickets.models import Ticket

    print(f"\n== {size:,} tickets (database {database}) ==", flush=True)
    switch_database(database)
    missing = size - Ticket.objects.count()
    if missing > 0:
        print(f"  topping the database up by {missing:,} tickets", flush=True)
        seed_scale.load(missing)
    with step(f"choosing {stalled_count} stalled tickets"):
        stalled = choose_stalled(stalled_count)
        reset(stalled)
    candidates = stalled_now()
    if candidates != stalled_count:
        sys.exit(f"{candidates} stalled tickets found, {stalled_count} expected")
    load = os.getloadavg()[0]
    modes = {}
    for mode in ("eager", "outbox"):
        with step(f"{runs} runs + 1 counted, notifications {mode}"), (Outbox() if mode == "outbox" else nullcontext()):
            series = []
            for _ in range(runs):
                series.append(one_run(stalled))
                series[-1]["delivery"] = clock.take()
            counted = one_run(stalled, count=True)
            clock.take()
        modes[mode] = {"runs": series, "counted": counted, "median": statistics.median(r["ms"] for r in series),
                       "cpu": statistics.median(r["cpu"] for r in series)}
    statements = modes["eager"]["counted"]["statements"]
    sweep_sql, sweep_params = next((sql, params) for sql, params in statements if 'FROM "tickets_ticket"' in sql
                                   and re.search(r'ORDER BY "tickets_ticket"."updated_at" ASC LIMIT', sql))
    reset(stalled)  # the EXPLAIN sees the 100 candidates, as the sweep does
    plan = explain(sweep_sql, sweep_params)
    kinds = {}
    for mode, data in modes.items():
        kinds[mode] = {}
        for sql, _params in data["counted"]["statements"]:
            word = sql.split(None, 1)[0].upper()
            kinds[mode][word] = kinds[mode].get(word, 0) + 1
    return {
        "size": size, "database": database, "tickets": Ticket.objects.count(), "load": load,
        "modes": modes, "kinds": kinds, "sql": connection.ops.compose_sql(sweep_sql, sweep_params), "plan": plan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", action="append", metavar="SIZE=DATABASE",
                        help="tickets and bench database, e.g. 10000=bench_10k (repeatable)")
    parser.add_argument("--stalled", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pairs = sorted((int(size), name) for size, name in
                   (item.split("=", 1) for item in (args.size or ["10000=bench_10k", "1000000=bench"])))
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not one line per eagerly sent notification
    os.environ["BENCH_DB"] = pairs[0][1]
    setup_django()
    clock = DeliveryClock()
    print(f"escalation sweep bench; {machine()}; load average {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(f"command: {' '.join(sys.argv)}")
    results = [run_size(size, name, args.stalled, args.runs, clock) for size, name in pairs]
    print("\n| tickets | notifications | runs (ms) | median ms | CPU ms (Python) | of which delivery ms | "
          "escalated | emails sent | queries |")
    print("|---:|---|---|---:|---:|---:|---|---:|---:|")
    for r in results:
        for mode, data in r["modes"].items():
            flag = "" if data["median"] < TARGET_MS else " ✗"
            delivery = statistics.median(run["delivery"][0] for run in data["runs"])
            notes = data["runs"][0]["delivery"][1]
            label = "eager (delivered inline)" if mode == "eager" else "outbox (left for the workers)"
            each = ", ".join(f"{run['ms']:.0f}" for run in data["runs"])
            print(f"| {r['tickets']:,} | {label} | {each} | "
                  f"{data['median']:.0f}{flag} | {data['cpu']:.0f} | {delivery:.0f} ({notes} notifications) | "
                  f"{[run['escalated'] for run in data['runs']] + [data['counted']['escalated']]} | "
                  f"{data['runs'][0]['emails']} | {len(data['counted']['statements'])} |")
    for r in results:
        print(f"\nat {r['tickets']:,} (load average {r['load']:.1f} on {os.cpu_count()} cores), statements by kind:")
        for mode, kinds in r["kinds"].items():
            print(f"  {mode}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))
        print(f"\n#### EXPLAIN of the candidate query at {r['tickets']:,}\n\n```\n{r['sql']}\n--\n{r['plan']}\n```")
    for mode in ("eager", "outbox"):
        counts = [len(r["modes"][mode]["counted"]["statements"]) for r in results]
        print(f"\n{mode}: " + ("same query count at every size" if len(set(counts)) == 1
                                else f"query counts differ: {counts}"))
        largest = results[-1]["modes"][mode]
        print(f"{mode}: at {results[-1]['tickets']:,}, median {largest['median']:.0f} ms "
              + ("< 200 ms target" if largest["median"] < TARGET_MS else "≥ 200 ms target: MISS"))


if __name__ == "__main__":
    main()
