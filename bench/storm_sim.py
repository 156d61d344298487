"""Storm detection on a simulated month no one tuned by hand (issue 21).

    .venv/bin/python bench/storm_sim.py [--seed 21] [--db /tmp/storm_sim.sqlite3]
    .venv/bin/python bench/storm_sim.py --seed 21 --postgres storm_sim_21   # PostgreSQL, 127.0.0.1

Runs on SQLite (a fresh database file, migrated), or on PostgreSQL (--postgres NAME: a database of that
name on 127.0.0.1, user postgres, dropped and created afresh, dropped at the end), through the real detection code
(storms.services.storms_detect, called for each ticket in the order they arrive, as the task does after
each creation; storm_baselines_refresh every night at 03:10, as beat does). Traffic:

- four weeks of history, then the four evaluated weeks: ordinary tickets by 1,200 people of 40
  organisations (sizes from 5 to 90), in 16 categories under 5 parents, at an hour-of-week profile
  (about 110 a working day, a peak at 9–11 h, little at night and at weekends), titles drawn from
  each category's subjects and a shared list of problems, descriptions from everyday sentences;
- injected storms of several sizes and shapes: one category (many organisations, the category's
  usual wording), one organisation (many categories and wordings), wording only (many categories and
  organisations, one product named), at office hours, at night and at a weekend;
- decoys: a busy Monday morning (2.5 × the traffic from 8 to 12 h, every category), a requester filing
  14 tickets in an hour, and two weeks later another filing 10.

Reports per storm: detected or not, minutes and tickets until suggested, and the share of its tickets
grouped in the storm that holds most of them; and the suggestions with no injected storm behind them
(false suggestions), per week. Targets (issue 21): every storm of ≥ 8 tickets suggested within its
first 10 tickets, ≥ 90 % of its tickets grouped, ≤ 1 false suggestion per week.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PARIS = ZoneInfo("Europe/Paris")

CATEGORIES = {
    "Réseau": {"VPN": ["le VPN", "la connexion VPN", "GlobalProtect"],
               "Wifi": ["le wifi", "le réseau sans fil", "la borne wifi"],
               "Internet": ["internet", "le navigateur", "le proxy"]},
    "Poste de travail": {"Windows": ["mon PC", "Windows", "le poste de travail", "l'ordinateur portable"],
                         "Imprimante": ["l'imprimante", "l'imprimante du couloir", "le scanner"],
                         "Écran": ["l'écran", "le second écran", "la station d'accueil"]},
    "Messagerie": {"Outlook": ["Outlook", "la messagerie", "le calendrier partagé"],
                   "Teams": ["Teams", "la visio Teams", "le chat Teams"],
                   "Téléphonie": ["le téléphone IP", "le softphone", "la ligne fixe"]},
    "Applications": {"SAP": ["SAP", "l'ERP", "la saisie des commandes"],
                     "CRM": ["le CRM", "la fiche client", "Salesforce"],
                     "Intranet": ["l'intranet", "SharePoint", "le portail RH"]},
    "Comptes": {"Mot de passe": ["mon mot de passe", "le compte Windows", "l'authentification MFA"],
                "Badge": ["mon badge", "le badge d'accès", "la porte du parking"],
                "Droits": ["les droits d'accès", "le dossier partagé", "le lecteur réseau"]},
}
# How often each category is picked (the rest share the remainder equally).
WEIGHTS = {"Windows": 3, "Outlook": 2.5, "Mot de passe": 2.5, "Imprimante": 2, "VPN": 1.5, "Teams": 1.5}
PROBLEMS = [
    "ne marche plus", "ne démarre plus", "affiche une erreur", "est très lent", "refuse la connexion",
    "se déconnecte sans arrêt", "ne synchronise plus", "est verrouillé", "a expiré", "plante au démarrage",
    "reste figé", "demande un redémarrage", "ne répond plus", "est inaccessible", "fonctionne mal",
    "ne s'affiche pas", "bloque l'accès", "est coupé", "redemande mes identifiants", "ne fonctionne pas",
]
SENTENCES = [
    "Depuis ce matin je ne peux plus travailler.", "Merci de votre aide.", "C'est urgent pour moi.",
    "J'ai déjà redémarré sans succès.", "Mon collègue n'a pas le problème.", "Cela arrive depuis hier.",
    "Pouvez-vous regarder rapidement ?", "Je suis en télétravail aujourd'hui.", "Ça bloque mon équipe.",
    "Le message d'erreur est en anglais.", "Je joins une capture d'écran.", "Rien n'a changé sur mon poste.",
]
# Tickets per hour on a working day, 0 h to 23 h; weekends are a tenth of it.
WEEKDAY = [0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 1, 4, 12, 15, 14, 11, 6, 9, 12, 11, 9, 6, 3, 1.5, 1, 0.6, 0.4, 0.3]
HISTORY_WEEKS = 4
WEEKS = 4
# Monday of the first evaluated week.
START = datetime(2026, 10, 5, tzinfo=PARIS)


@dataclass
class Injected:
    name: str
    shape: str
    start: datetime
    size: int
    minutes: int
    category: str | None = None
    organisation: int | None = None
    word: str | None = None
    ids: list[int] = field(default_factory=list)


def storm_plan() -> list[Injected]:
    day = timedelta(days=1)
    return [
        Injected("VPN down", "category", START + 2 * day + timedelta(hours=9, minutes=40), 40, 30, category="VPN"),
        Injected("Printers", "category", START + 3 * day + timedelta(hours=14, minutes=5), 12, 9,
                 category="Imprimante"),
        Injected("Outlook slow", "category", START + 8 * day + timedelta(hours=10, minutes=20), 8, 20,
                 category="Outlook"),
        Injected("SAP, night", "category", START + 10 * day + timedelta(hours=2, minutes=10), 8, 30, category="SAP"),
        Injected("Lyon site", "organisation", START + 9 * day + timedelta(hours=11), 15, 20, organisation=3),
        Injected("Small site", "organisation", START + 16 * day + timedelta(hours=15, minutes=30), 8, 15,
                 organisation=12),
        Injected("Zoom", "wording", START + 15 * day + timedelta(hours=9, minutes=5), 20, 25, word="Zoom"),
        Injected("Yousign", "wording", START + 17 * day + timedelta(hours=16), 8, 15, word="Yousign"),
        Injected("Badges, Saturday", "category", START + 19 * day + timedelta(hours=10), 10, 40, category="Badge"),
        Injected("Teams, small", "category", START + 23 * day + timedelta(hours=11), 6, 15, category="Teams"),
    ]


WORDING = {
    "Zoom": ["Zoom ne démarre plus", "Impossible de lancer Zoom", "Zoom plante en pleine réunion",
             "Réunion Zoom : écran noir", "Zoom me déconnecte", "Le client Zoom ne s'ouvre pas"],
    "Yousign": ["Yousign refuse ma signature", "Impossible de signer sur Yousign", "Yousign : lien expiré",
                "Le parapheur Yousign ne charge pas"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "storm_sim.sqlite3"))
    parser.add_argument("--typos", type=float, default=0.0, metavar="SHARE",
                        help="misspell this share of the titles' words of 5 letters or more (one letter dropped, "
                             "doubled or swapped with the next, never the first), drawn apart from the traffic")
    parser.add_argument("--postgres", metavar="NAME", help="run on a fresh PostgreSQL database of this name")
    parser.add_argument("--output", default=str(ROOT / "bench" / "output" / "storm_sim.txt"))
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a storm setting for this run, e.g. --set STORM_ALPHA=1e-4")
    args = parser.parse_args()
    if args.postgres:
        _recreate_postgres(args.postgres)
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.postgres}"
    else:
        if os.path.exists(args.db):
            os.remove(args.db)
        os.environ["DATABASE_URL"] = f"sqlite:///{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    for assignment in args.set:
        name, _sep, value = assignment.partition("=")
        setattr(settings, name, float(value))

    call_command("migrate", verbosity=0)
    lines = run(random.Random(args.seed), args.seed, typos=args.typos)
    Path(args.output).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    if args.postgres:
        from django.db import connections

        connections.close_all()
        _recreate_postgres(args.postgres, create=False)


def _recreate_postgres(name: str, create: bool = True) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if create:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def run(rng: random.Random, seed: int, typos: float = 0.0) -> list[str]:  # noqa: C901, PLR0915 - one script, read top to bottom
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Organisation
    from storms.conf import storm_settings
    from storms.models import Storm, StormTicket
    from storms.services import storm_baselines_refresh, storms_detect
    from tickets.models import Category, Ticket

    began = time.perf_counter()
    # --- People, organisations, categories
    organisations = Organisation.objects.bulk_create([Organisation(name=f"Org {i:02d}") for i in range(40)])
    sizes = [max(5, int(90 / (1 + i * 0.35))) for i in range(40)]
    User = get_user_model()
    users, members = [], defaultdict(list)
    for index, size in enumerate(sizes):
        for n in range(size):
            users.append(User(username=f"u{index:02d}-{n:03d}", first_name="P", last_name=f"{index}-{n}"))
    users = User.objects.bulk_create(users)
    for user in users:
        members[int(user.username[1:3])].append(user)
    while len(users) < 1200:  # people with no organisation
        users.append(User.objects.create(username=f"free{len(users)}"))
    org_of = {user.pk: organisations[int(user.username[1:3])] if user.username.startswith("u") else None
              for user in users}
    categories, subjects = {}, {}
    for parent_name, children in CATEGORIES.items():
        parent = Category.objects.create(name=parent_name)
        for name, words in children.items():
            categories[name] = Category.objects.create(name=name, parent=parent)
            subjects[name] = words
    names = list(categories)
    weights = [WEIGHTS.get(name, 1) for name in names]
    # Busy people file more: a Zipf-ish weight per person.
    people_weights = [1 / (1 + (i % 97) * 0.05) for i in range(len(users))]

    # --- Arrival times
    def ordinary_times(start: datetime, days: int) -> list[datetime]:
        times = []
        for d in range(days):
            day = start + timedelta(days=d)
            for hour in range(24):
                rate = WEEKDAY[hour] * (0.1 if day.weekday() >= 5 else 1)
                if d >= 0 and day >= START and day.date() == (START + timedelta(days=7)).date() and 8 <= hour < 12:
                    rate *= 2.5  # the busy Monday morning
                for _ in range(_poisson(rng, rate)):
                    times.append(day + timedelta(hours=hour, seconds=rng.uniform(0, 3600)))
        return sorted(times)

    def ordinary_ticket(at: datetime, user=None, category: str | None = None) -> dict:
        user = user or rng.choices(users, people_weights)[0]
        category = category or rng.choices(names, weights)[0]
        title = f"{rng.choice(subjects[category])} {rng.choice(PROBLEMS)}"
        return {"at": at, "user": user, "category": category, "title": title[0].upper() + title[1:],
                "description": " ".join(rng.sample(SENTENCES, 2))}

    history_start = START - timedelta(weeks=HISTORY_WEEKS)
    planned = [ordinary_ticket(at) for at in ordinary_times(history_start, 7 * (HISTORY_WEEKS + WEEKS))]
    # Decoys: a requester filing many tickets, twice.
    for start, count, category in [(START + timedelta(days=1, hours=14), 14, "Windows"),
                                   (START + timedelta(days=15, hours=10), 10, "SAP")]:
        someone = rng.choice(users)
        planned += [ordinary_ticket(start + timedelta(minutes=60 * i / count), someone, category)
                    for i in range(count)]
    # Storms.
    plan = storm_plan()
    storm_of: dict[int, Injected] = {}
    for storm in plan:
        people = members[storm.organisation] if storm.organisation is not None else users
        chosen = rng.sample(people, storm.size)
        offsets = sorted(rng.uniform(0, storm.minutes * 60) for _ in range(storm.size))
        offsets = [0.0, *offsets[1:]]
        for user, offset in zip(chosen, offsets, strict=True):
            at = storm.start + timedelta(seconds=offset)
            if storm.shape == "category":
                item = ordinary_ticket(at, user, storm.category)
            elif storm.shape == "organisation":
                item = ordinary_ticket(at, user)
            else:
                item = ordinary_ticket(at, user)
                item["title"] = rng.choice(WORDING[storm.word])
            item["storm"] = storm
            planned.append(item)
    planned.sort(key=lambda item: item["at"])
    # Typos, from their own generator: the same traffic as without them.
    misspelt = _misspell(planned, random.Random(seed * 1_000_003 + 7), typos) if typos else 0

    # --- Insert every ticket (detection reads only the tickets created up to the one it examines).
    rows = []
    for number, item in enumerate(planned, start=1):
        rows.append(Ticket(
            reference=f"S{number:08d}", title=item["title"], description=item["description"],
            ticket_type="incident", channel="web", urgency="medium", impact="medium", priority="P3",
            category=categories[item["category"]], requester=item["user"], organisation=org_of[item["user"].pk],
            created_at=item["at"], updated_at=item["at"], phase_started_at=item["at"],
        ))
    rows = Ticket.objects.bulk_create(rows, batch_size=500)
    for item, ticket in zip(planned, rows, strict=True):
        item["id"] = ticket.pk
        if "storm" in item:
            item["storm"].ids.append(ticket.pk)
            storm_of[ticket.pk] = item["storm"]
    loaded = time.perf_counter() - began

    # --- Replay the evaluated weeks: beat's nightly baseline, then each ticket as it arrives.
    evaluated = [item for item in planned if item["at"] >= START]
    refreshed_day = None
    detect_seconds, queries = 0.0, 0
    from django.test.utils import CaptureQueriesContext

    for item in evaluated:
        day = item["at"].astimezone(PARIS).date()
        if day != refreshed_day:
            nightly = datetime.combine(day, datetime.min.time(), tzinfo=PARIS) + timedelta(hours=3, minutes=10)
            storm_baselines_refresh(now=min(nightly, item["at"]))
            refreshed_day = day
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            storms_detect(ticket_ids=[item["id"]])
            detect_seconds += time.perf_counter() - started
        queries = max(queries, len(captured))

    # --- Report
    members_of = defaultdict(set)
    for storm_id, ticket_id in StormTicket.objects.values_list("storm_id", "ticket_id"):
        members_of[storm_id].add(ticket_id)
    suggested = list(Storm.objects.order_by("suggested_at"))
    created_at = {item["id"]: item["at"] for item in planned}
    conf = storm_settings()
    lines = [
        f"bench/storm_sim.py --seed {seed}: {_engine(connection)}, "
        f"{len(planned)} tickets ({len(planned) - len(evaluated)} of history, {len(evaluated)} replayed over "
        f"{WEEKS} weeks), {len(plan)} injected storms.",
        f"Settings: window {conf.window}, quiet {conf.quiet}, min people {conf.min_requesters}, rate factor "
        f"{conf.rate_factor}, floor {conf.floor_per_hour}/h, alpha {conf.alpha:g}, baseline {conf.baseline_weeks} "
        f"weeks (language {settings.LANGUAGE_CODE}).",
        f"Typos: {typos:.0%} of the titles' words of 5+ letters ({misspelt} words misspelt)." if typos else "No typos.",
        f"Load {loaded:.1f} s; detection {detect_seconds:.1f} s for {len(evaluated)} tickets "
        f"({detect_seconds / len(evaluated) * 1000:.1f} ms each, at most {queries} queries).",
        "",
        "| storm | shape | tickets | detected | minutes to suggestion | tickets to suggestion | grouped | storm kind: key |",
        "|---|---|---:|---|---:|---:|---:|---|",
    ]
    misses, outside = [], []
    for storm in plan:
        ids = set(storm.ids)
        holders = Counter()
        for candidate in suggested:
            overlap = len(members_of[candidate.pk] & ids)
            if overlap:
                holders[candidate.pk] = overlap
        if not holders:
            lines.append(f"| {storm.name} | {storm.shape} | {storm.size} | no | – | – | 0 % | – |")
            if storm.size >= 8:
                misses.append(f"{storm.name}: not suggested")
            continue
        main = next(c for c in suggested if c.pk == holders.most_common(1)[0][0])
        first_suggested = min((c for c in suggested if c.pk in holders), key=lambda c: c.suggested_at)
        when = first_suggested.suggested_at
        ordered = sorted(ids, key=lambda pk: created_at[pk])
        until = sum(1 for pk in ordered if created_at[pk] <= when)
        minutes = (when - created_at[ordered[0]]).total_seconds() / 60
        grouped = holders[main.pk] / len(ids)
        lines.append(f"| {storm.name} | {storm.shape} | {storm.size} | yes | {minutes:.0f} | {until} | "
                     f"{grouped:.0%} | {main.kind}: {main.label} ({len(holders)} storm(s)) |")
        if storm.size >= 8 and (until > 10 or grouped < 0.9):
            misses.append(f"{storm.name}: suggested at its ticket {until}, {grouped:.0%} grouped")
        if grouped < 1:
            outside.append((storm, main))
    false = []
    for candidate in suggested:
        injected = sum(1 for pk in members_of[candidate.pk] if pk in storm_of)
        if injected * 2 < len(members_of[candidate.pk]):
            false.append(candidate)
    if typos:
        lines += ["", "Storm tickets with a misspelt title: " + ", ".join(
            f"{storm.name} {sum(1 for item in planned if item.get('storm') is storm and item['misspelt'])}/{storm.size}"
            for storm in plan) + "."]
    lines += ["", f"False suggestions (storms with fewer than half injected tickets): {len(false)} over {WEEKS} "
              f"weeks = {len(false) / WEEKS:.2f} per week (target ≤ 1)."]
    for candidate in false:
        sample = Ticket.objects.filter(pk__in=list(members_of[candidate.pk])[:3]).values_list("title", flat=True)
        lines.append(f"  - {candidate.suggested_at.astimezone(PARIS):%a %d/%m %H:%M} {candidate.kind}: "
                     f"{candidate.label}, {len(members_of[candidate.pk])} tickets, e.g. {list(sample)}")
    storm_label = {c.pk: f"{c.kind}: {c.label}" for c in suggested}
    storm_of_ticket = {pk: sid for sid, pks in members_of.items() for pk in pks}
    for storm, main in outside:
        lines += ["", f"{storm.name}: its tickets outside its storm ({main.kind}: {main.label}):"]
        for pk, title, category, org, at in (Ticket.objects.filter(pk__in=storm.ids).exclude(pk__in=members_of[main.pk])
                                             .values_list("pk", "title", "category__name", "organisation__name",
                                                          "created_at")):
            held = storm_label.get(storm_of_ticket.get(pk), "no storm")
            lines.append(f"  - {at.astimezone(PARIS):%d/%m %H:%M:%S} « {title} » ({category}, {org}): {held}")
    lines += ["", "Targets: every storm of ≥ 8 tickets suggested within its first 10 tickets and ≥ 90 % grouped: "
              + ("met." if not misses else "missed by " + "; ".join(misses) + ".")]
    return lines


def _misspell(planned: list[dict], rng: random.Random, share: float) -> int:
    """Misspell `share` of the titles' words of 5+ letters: a letter after the first dropped, doubled, or
    swapped with the next one ("Outlok", "Yousiign", "Zoom" untouched: 4 letters)."""
    import re

    count = 0

    def typo(match):
        nonlocal count
        word = match.group(0)
        if len(word) < 5 or rng.random() >= share:
            return word
        count += 1
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("drop", "double", "swap"))
        if kind == "drop":
            return word[:i] + word[i + 1:]
        if kind == "double":
            return word[:i + 1] + word[i:]
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]

    for item in planned:
        title = re.sub(r"[^\W\d_]+", typo, item["title"])
        item["misspelt"], item["title"] = title != item["title"], title
    return count


def _engine(connection) -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    major, rest = divmod(connection.pg_version, 10000)
    return f"PostgreSQL {major}.{rest}"


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: small rates only.
    limit, k, product = pow(2.718281828459045, -lam), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


if __name__ == "__main__":
    main()
