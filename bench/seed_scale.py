"""Load N realistic tickets, with followups and history, into the bench PostgreSQL database, fast.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/seed_scale.py 1000000

Tickets span the last two years; old ones are mostly closed, recent ones open in every status; each has its two
SLA clocks (response, resolution), met, paused or running as its status says, as the sla app leaves them. Rows
go in with COPY; the big tables' secondary indexes are dropped first and rebuilt at the end (one
sort per index instead of a million B-tree and GIN insertions). Adds to what is there unless
--fresh; `--to N` tops the database up to N tickets (what bench/agent_queue.py uses).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from datetime import UTC, datetime, timedelta

from common import setup_django, step

TITLES = [
    "Imprimante hors service", "VPN ne se connecte plus", "Mot de passe expiré", "Outlook plante au démarrage",
    "Accès refusé au dossier partagé", "Écran noir au démarrage", "Lenteurs sur l'ERP", "Wi-Fi instable en salle B",
    "Erreur 502 sur le CRM", "Demande de nouveau poste", "Licence Office expirée", "Facture introuvable",
    "Téléphone IP muet", "Synchronisation du calendrier", "Badge d'accès désactivé", "Export CSV vide",
]
WORDS = ["depuis ce matin", "pour toute l'équipe", "après la mise à jour", "de façon aléatoire", "sur mon poste"]
PRIORITY_WEIGHTS = [("P1", 3), ("P2", 12), ("P3", 45), ("P4", 40)]
MATRIX = {"P1": ("high", "high"), "P2": ("medium", "high"), "P3": ("medium", "medium"), "P4": ("low", "medium")}
RESPONSE = {"P1": timedelta(minutes=15), "P2": timedelta(hours=1), "P3": timedelta(hours=4), "P4": timedelta(hours=24)}
RESOLUTION = {"P1": timedelta(hours=4), "P2": timedelta(hours=8), "P3": timedelta(hours=48), "P4": timedelta(days=5)}
LEVELS = [("N1", 60), ("N2", 25), ("N3", 10), ("N4", 5)]
TYPES = ["support_request", "incident", "information_request", "bug_report", "complaint"]
CHANNELS = [("web", 70), ("email", 15), ("phone", 10), ("chat", 5)]
BIG_TABLES = ("tickets_ticket", "tickets_followup", "tickets_ticketevent", "sla_slaclock")
WARNING_PERCENT = 75  # the default policy's (sla.SlaPolicy.warning_percent)
CHUNK = 50_000


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def cast(users: int, agents_per_level: int):
    """Requesters, organisations, agents in their groups, a category tree (get_or_create: re-runnable)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User

    from accounts.models import Organisation, Profile
    from tickets.models import Category

    password = make_password("demo")
    organisations = [Organisation.objects.get_or_create(name=f"Organisation {i}", defaults={"is_vip": i % 10 == 0})[0]
                     for i in range(max(5, users // 100))]
    existing = set(User.objects.filter(username__startswith="bench_req").values_list("username", flat=True))
    new_users = [User(username=f"bench_req{i}", email=f"req{i}@example.org", first_name="Req", last_name=f"User{i}",
                      password=password) for i in range(users) if f"bench_req{i}" not in existing]
    User.objects.bulk_create(new_users, batch_size=5000)
    requesters = list(User.objects.filter(username__startswith="bench_req").values_list("pk", flat=True))
    have_profile = set(Profile.objects.filter(user_id__in=requesters).values_list("user_id", flat=True))
    Profile.objects.bulk_create([Profile(user_id=pk, organisation=organisations[pk % len(organisations)])
                                 for pk in requesters if pk not in have_profile], batch_size=5000)
    org_of = dict(Profile.objects.filter(user_id__in=requesters).values_list("user_id", "organisation_id"))
    agents = {}
    for level, _weight in LEVELS:
        group = Group.objects.get_or_create(name=level)[0]
        members = []
        for i in range(agents_per_level):
            user, created = User.objects.get_or_create(
                username=f"bench_{level.lower()}_{i}",
                defaults={"email": f"{level.lower()}{i}@example.org", "password": password, "first_name": "Agent",
                          "last_name": f"{level}-{i}"})
            if created:
                user.groups.add(group)
            members.append(user.pk)
        agents[level] = members
    roots = [Category.objects.get_or_create(name=name, parent=None)[0]
             for name in ("Poste de travail", "Réseau", "Applications métier", "Comptes et accès")]
    leaves = [Category.objects.get_or_create(name=f"{root.name} – {i}", parent=root)[0].pk
              for root in roots for i in range(4)]
    return requesters, org_of, agents, leaves


def generate(n: int, start_id: int, existing: int, rng: random.Random, requesters, org_of, agents, leaves,
             sequences: dict, now: datetime, policy: int | None):
    """Yield (ticket row, followup rows, event rows, clock rows) in creation order."""
    span = timedelta(days=730)
    origin = now - span
    step_seconds = span.total_seconds() / max(1, existing + n)
    followup_id, event_id = start_id * 4, start_id * 8  # disjoint id ranges per batch (see load())
    for i in range(n):
        pk = start_id + i
        created = origin + timedelta(seconds=(existing + i) * step_seconds + rng.random() * step_seconds)
        year = created.year
        sequences[year] = sequences.get(year, 0) + 1
        reference = f"{year}-{sequences[year]:06d}"
        age = now - created
        if age > timedelta(days=14):
            status = weighted(rng, [("closed", 95), ("resolved", 2), ("in_progress", 2), ("waiting", 1)])
        else:
            status = weighted(rng, [("new", 20), ("in_progress", 35), ("waiting", 15), ("resolved", 15), ("closed", 15)])
        priority = weighted(rng, PRIORITY_WEIGHTS)
        urgency, impact = MATRIX[priority]
        level = weighted(rng, LEVELS)
        requester = rng.choice(requesters)
        assignee = None if status == "new" else rng.choice(agents[level])
        response_due, resolution_due = created + RESPONSE[priority], created + RESOLUTION[priority]
        first_response = None if status == "new" else created + RESPONSE[priority] * rng.uniform(0.1, 1.3)
        resolved = created + RESOLUTION[priority] * rng.uniform(0.2, 1.4) if status in ("resolved", "closed") else None
        closed = resolved + timedelta(days=rng.uniform(0.1, 7)) if status == "closed" else None
        if resolved and resolved > now:
            resolved, closed, status = None, None, "in_progress"
        if closed and closed > now:
            closed, status = None, "resolved"
        updated = closed or resolved or first_response or created
        breached = (first_response and first_response > response_due) or (resolved and resolved > resolution_due) \
            or (status in ("new", "in_progress") and resolution_due < now)
        phase = {"new": "reception", "in_progress": "diagnostic", "waiting": "diagnostic",
                 "resolved": "closure", "closed": "closure"}[status]
        title = f"{rng.choice(TITLES)} {rng.choice(WORDS)}"
        ticket = (
            pk, reference, rng.choice(TYPES), weighted(rng, CHANNELS), rng.choice(leaves), title,
            f"{title}. Merci de votre aide.", urgency, impact, priority, False, level, status, requester,
            org_of.get(requester), assignee, "Corrigé." if resolved else "", "", None, 0,
            "breached" if breached else "on_time", False, phase, None if status == "closed" else updated,
            rng.randint(60, 900), rng.randint(600, 20000), rng.randint(600, 40000), rng.randint(0, 20000),
            1, created, updated, first_response, updated if status == "waiting" else None, resolved, closed,
            response_due, resolution_due,
        )
        followups, events = [], []
        events.append((event_id, pk, "created", requester, True, json.dumps({"channel": "web", "priority": priority}),
                       None, created))
        event_id += 1
        when = created
        for k in range(rng.choice((0, 1, 2, 2, 3, 4))):
            when = when + timedelta(minutes=rng.randint(5, 600))
            author = requester if k % 2 else (assignee or requester)
            public = k % 3 != 2
            followups.append((followup_id, pk, author, f"Message {k + 1} : {rng.choice(WORDS)}.", public, when))
            events.append((event_id, pk, "followup" if public else "note", author, public, "{}", followup_id, when))
            followup_id += 1
            event_id += 1
        for transition, at in (("take", first_response), ("resolve", resolved), ("close", closed)):
            if at is not None:
                events.append((event_id, pk, "transition", assignee if transition != "close" else requester, True,
                               json.dumps({"transition": transition}), None, at))
                event_id += 1
        clocks = []
        for number, (target, duration, due, met) in enumerate((
                ("response", RESPONSE[priority], response_due, first_response),
                ("resolution", RESOLUTION[priority], resolution_due, resolved))):
            warn = created + duration * WARNING_PERCENT / 100
            paused = updated if status == "waiting" and met is None else None
            # sla.services._next_check: the warning, then the deadline, then nothing once met, paused or breached.
            check = None if met or paused or due <= now else (warn if warn > now else due)
            clocks.append((pk * 2 + number, pk, target, policy, created, int(duration.total_seconds()), warn, due,
                           check, met, paused, 0))
        yield ticket, followups, events, clocks


def load(n: int, *, seed: int = 7) -> None:
    from django.db import connection

    from sla.models import SlaClock, SlaPolicy
    from tickets.models import Followup, Ticket, TicketEvent, TicketSequence

    rng = random.Random(seed + Ticket.objects.count())
    with step("users, organisations, agents, categories"):
        requesters, org_of, agents, leaves = cast(max(200, n // 200), 10)
    existing = Ticket.objects.count()
    start_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    sequences = dict(TicketSequence.objects.values_list("year", "last_number"))
    with connection.cursor() as cursor:  # the years' sequences that submissions took numbers from since
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences "
                       "WHERE sequencename LIKE 'tickets\\_reference\\_%%' AND last_value IS NOT NULL")
        for name, last in cursor.fetchall():
            year = int(name.rsplit("_", 1)[1])
            sequences[year] = max(sequences.get(year, 0), last)
    now = datetime.now(UTC)
    ticket_columns = [f.column for f in Ticket._meta.concrete_fields]
    followup_columns = [f.column for f in Followup._meta.concrete_fields]
    event_columns = [f.column for f in TicketEvent._meta.concrete_fields]
    clock_columns = ["id", "ticket_id", "target", "policy_id", "started_at", "duration_seconds", "warn_at", "due_at",
                     "next_check_at", "met_at", "paused_at", "paused_seconds"]
    assert sorted(clock_columns) == sorted(f.column for f in SlaClock._meta.concrete_fields)
    policy = SlaPolicy.objects.filter(is_default=True).values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        raw = cursor.connection
        with step("drop secondary indexes of the big tables"):
            definitions = raw.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint)", [list(BIG_TABLES)],
            ).fetchall()
            for name, _definition in definitions:
                raw.execute(f'DROP INDEX IF EXISTS "{name}"')
        counts = {"tickets": 0, "followups": 0, "events": 0, "clocks": 0}
        rows = generate(n, start_id, existing, rng, requesters, org_of, agents, leaves, sequences, now, policy)
        # The generator only references rows that exist, so the per-row foreign-key triggers are
        # skipped for the load (superuser only; the bench owns its database).
        raw.execute("SET session_replication_role = replica")
        with step(f"COPY {n:,} tickets with followups, events and SLA clocks"):
            # One COPY at a time per connection: each chunk copies its tickets, then their followups,
            # events and clocks (the foreign keys are checked at each row, so tickets go first).
            while True:
                chunk = list(itertools.islice(rows, CHUNK))
                if not chunk:
                    break
                for table, columns, index in (("tickets_ticket", ticket_columns, 0),
                                              ("tickets_followup", followup_columns, 1),
                                              ("tickets_ticketevent", event_columns, 2),
                                              ("sla_slaclock", clock_columns, 3)):
                    with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for item in chunk:
                            if index == 0:
                                copy.write_row(item[0])
                            else:
                                for row in item[index]:
                                    copy.write_row(row)
                counts["tickets"] += len(chunk)
                counts["followups"] += sum(len(item[1]) for item in chunk)
                counts["events"] += sum(len(item[2]) for item in chunk)
                counts["clocks"] += sum(len(item[3]) for item in chunk)
        raw.execute("SET session_replication_role = DEFAULT")
        with step(f"rebuild {len(definitions)} indexes"):
            raw.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in definitions:
                raw.execute(definition)
        with step("sequences, reference counters, ANALYZE"):
            for table in BIG_TABLES:  # constant table names, no input
                raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
            for year, last in sequences.items():
                raw.execute("INSERT INTO tickets_ticketsequence (year, last_number) VALUES (%s, %s) "
                            "ON CONFLICT (year) DO UPDATE SET last_number = EXCLUDED.last_number", [year, last])
                # The year's sequence (lifecycle._give_reference), where it exists, follows.
                raw.execute("SELECT setval(to_regclass(%s), %s) WHERE to_regclass(%s) IS NOT NULL",
                            [f"tickets_reference_{year}", last, f"tickets_reference_{year}"])
            for table in BIG_TABLES:
                raw.execute(f"ANALYZE {table}")
        with step("VACUUM ANALYZE the other tables"):
            # Written row by row (people, organisations, categories…): without this they have no statistics and
            # their GIN indexes keep every row in the pending list, where production's autovacuum would have
            # visited them. A copy of this database (CREATE DATABASE … TEMPLATE) starts with no activity counts,
            # so autovacuum never would: the queue's search then scanned the users, 9.5 ms at 5,000 people
            # instead of 0.1 ms by their trigram indexes (bench/RESULTS.md, issue 16, session 8).
            for table in connection.introspection.table_names(cursor):
                if table not in BIG_TABLES:
                    raw.execute(f'VACUUM ANALYZE "{table}"')
    print(f"  loaded {counts['tickets']:,} tickets, {counts['followups']:,} followups, {counts['events']:,} events, "
          f"{counts['clocks']:,} SLA clocks; "
          f"{Ticket.objects.count():,} tickets in all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, help="how many tickets to add")
    parser.add_argument("--to", action="store_true", help="top the database up to COUNT tickets in all")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database first")
    args = parser.parse_args()
    name = setup_django(fresh=args.fresh)
    from tickets.models import Ticket

    count = args.count - Ticket.objects.count() if args.to else args.count
    print(f"bench database {name}: adding {max(0, count):,} tickets")
    started = time.perf_counter()
    if count > 0:
        load(count)
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
