"""Knowledge base search at 50,000 articles, and one auto-close run over 1,000,000 resolved tickets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/kb_search.py

Works in BENCH_DB (default `bench_kb`), which it creates. Articles go in with COPY (French and
English IT text from word lists) and their search vectors are computed in one SQL UPDATE with the
same expression as kb.services; then 50 varied queries run through kb.selectors.article_search
(ranking, headlines, the trigram fallback for misspellings) as a requester and as an agent, and the
p95 is compared with the 50 ms target, with the EXPLAIN of one query.

Auto-close: tickets are loaded once with bench/seed_scale.py's loader (COPY) up to --tickets, then
set in SQL to "resolved", 1,000 of them more than HELPDESK_AUTO_CLOSE_DAYS ago; one
tickets.services.tickets_auto_close() is timed (target < 1 s). Celery is not eager here: the
notifications are written to the outbox as in production, and their enqueueing after commit (one
broker push each) is counted, not sent. Re-runs reuse what is loaded (--fresh starts over).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("BENCH_DB", "bench_kb")
if not os.environ["BENCH_DB"].startswith("bench_kb"):
    sys.exit("BENCH_DB must start with bench_kb")

from common import machine, setup_django, step, summary, timed  # noqa: E402

SEARCH_TARGET_MS = 50
AUTO_CLOSE_TARGET_S = 1.0
DUE = 1_000

# --- Word lists: subjects, problems, actions, checks, in French and English.
FR_SUBJECTS = [
    "l'imprimante réseau", "le VPN", "Outlook", "la messagerie", "le mot de passe", "le Wi-Fi", "Teams", "SAP",
    "l'ERP", "le badge d'accès", "l'écran", "le clavier", "la souris", "la licence Office", "OneDrive",
    "SharePoint", "le poste de travail", "l'ordinateur portable", "le téléphone IP", "le scanner",
    "le lecteur réseau", "le dossier partagé", "le compte Active Directory", "le certificat", "le navigateur",
    "Citrix", "le pare-feu", "le proxy", "le serveur de fichiers", "la sauvegarde", "l'antivirus", "BitLocker",
    "l'authentification MFA", "Zoom", "le calendrier partagé", "le smartphone", "la tablette", "le CRM",
    "l'intranet", "la station d'accueil", "le casque audio", "la webcam", "le disque dur", "la carte réseau",
]
FR_PROBLEMS = [
    "ne démarre plus", "affiche une erreur", "est très lent", "refuse la connexion", "se déconnecte sans arrêt",
    "ne synchronise plus", "est verrouillé", "a expiré", "n'imprime plus", "plante au démarrage",
    "demande un redémarrage", "ne reconnaît pas l'identifiant", "bloque l'accès", "reste figé",
    "perd sa configuration", "n'est plus détecté", "consomme toute la mémoire", "affiche un écran noir",
]
FR_ACTIONS = ["configurer", "réinitialiser", "installer", "mettre à jour", "désinstaller", "activer", "sauvegarder",
              "restaurer", "partager", "déverrouiller", "renouveler", "migrer"]
FR_CHECKS = ["le câble réseau", "l'alimentation", "les pilotes", "la date d'expiration du compte",
             "l'espace disque disponible", "les paramètres du proxy", "le journal des événements",
             "la file d'attente d'impression", "les droits sur le dossier", "la version du client",
             "le certificat racine", "la connexion au domaine"]
EN_SUBJECTS = [
    "the network printer", "the VPN client", "Outlook", "the mailbox", "your password", "the Wi-Fi", "Teams",
    "SAP", "the ERP", "the access badge", "the monitor", "the keyboard", "the Office licence", "OneDrive",
    "SharePoint", "the laptop", "the IP phone", "the scanner", "the network drive", "the shared folder",
    "the Active Directory account", "the certificate", "the browser", "Citrix", "the firewall", "the proxy",
    "the file server", "the backup", "the antivirus", "BitLocker", "multi-factor authentication", "Zoom",
    "the docking station", "the headset", "the webcam",
]
EN_PROBLEMS = ["does not start", "shows an error", "is very slow", "refuses the connection", "keeps disconnecting",
               "stopped syncing", "is locked", "has expired", "does not print", "crashes at startup",
               "is not detected", "freezes", "loses its settings"]
EN_ACTIONS = ["configure", "reset", "install", "update", "uninstall", "enable", "back up", "restore", "share",
              "unlock", "renew", "migrate"]
EN_CHECKS = ["the network cable", "the power supply", "the drivers", "the account expiry date", "the free disk space",
             "the proxy settings", "the event log", "the print queue", "the folder permissions", "the client version"]
CODES = ["0x80070005", "0x800CCC0E", "0x8004010F", "502", "403", "404", "ERR_CONNECTION_RESET", "E-1024", "KB5034441",
         "0xC000006D", "DNS_PROBE_FINISHED", "SSL_ERROR", "0x80190001"]
PLACES_FR = ["le portail libre-service", "le Panneau de configuration", "les Paramètres Windows", "le Centre logiciel",
             "la console d'administration", "le menu Démarrer"]
PLACES_EN = ["the self-service portal", "the Control Panel", "Windows Settings", "Software Center",
             "the admin console", "the Start menu"]
TAGS = ["vpn", "impression", "messagerie", "mot de passe", "wifi", "teams", "sap", "erp", "badge", "matériel",
        "licence", "onedrive", "sharepoint", "réseau", "sécurité", "sauvegarde", "mobile", "citrix", "windows",
        "macos", "linux", "visio", "téléphonie", "comptes"]

QUERIES = [
    # single words, common and rare
    "imprimante", "VPN", "Outlook", "mot de passe", "Wi-Fi", "Teams", "BitLocker", "Citrix", "certificat", "webcam",
    "sauvegarde", "antivirus", "badge", "licence", "proxy",
    # several words (all must match)
    "imprimante réseau erreur", "VPN se déconnecte", "mot de passe expiré", "Outlook ne synchronise plus",
    "réinitialiser compte Active Directory", "écran noir ordinateur portable", "dossier partagé droits",
    "station d'accueil écran", "configurer messagerie smartphone", "installer pilotes scanner",
    # English
    "printer does not print", "reset password", "VPN client keeps disconnecting", "Outlook crashes",
    "unlock account", "docking station monitor", "renew certificate", "network drive",
    # error codes, phrases, exclusions
    "0x80070005", "erreur 502", "ERR_CONNECTION_RESET", '"mot de passe"', "VPN -Citrix", "KB5034441",
    # misspellings (the trigram fallback on the title)
    "imprimente", "outlok", "pasword", "sharepiont", "cerificat", "bitlocer",
    # nothing matches
    "photocopieuse couleur laser", "xyzzy",
]


def _sentence_fr(rng: random.Random, subject: str) -> str:
    return rng.choice([
        f"Si {subject} {rng.choice(FR_PROBLEMS)}, vérifiez d'abord {rng.choice(FR_CHECKS)}.",
        f"Ouvrez {rng.choice(PLACES_FR)} puis choisissez « {rng.choice(FR_ACTIONS).capitalize()} ».",
        f"Redémarrez le poste et patientez {rng.randint(2, 15)} minutes avant de réessayer.",
        f"Le code d'erreur {rng.choice(CODES)} indique en général un problème avec {rng.choice(FR_CHECKS)}.",
        f"Si le problème persiste après {rng.randint(2, 5)} tentatives, ouvrez un ticket au support N2.",
        f"Pour {rng.choice(FR_ACTIONS)} {subject}, il faut les droits d'administrateur local.",
        f"Cette procédure s'applique à Windows {rng.choice(['10', '11'])} et à macOS {rng.randint(12, 15)}.",
        f"Notez l'heure exacte de l'incident et joignez une capture d'écran de {subject}.",
    ])


def _sentence_en(rng: random.Random, subject: str) -> str:
    return rng.choice([
        f"If {subject} {rng.choice(EN_PROBLEMS)}, first check {rng.choice(EN_CHECKS)}.",
        f"Open {rng.choice(PLACES_EN)} and choose “{rng.choice(EN_ACTIONS).capitalize()}”.",
        f"Restart the computer and wait {rng.randint(2, 15)} minutes before trying again.",
        f"Error code {rng.choice(CODES)} usually points to {rng.choice(EN_CHECKS)}.",
        f"If the problem persists after {rng.randint(2, 5)} attempts, open a ticket for level 2 support.",
        f"To {rng.choice(EN_ACTIONS)} {subject} you need local administrator rights.",
    ])


def article_rows(n: int, start_id: int, rng: random.Random, *, authors: list[int], categories: list[int]):
    now = datetime.now(UTC)
    for i in range(n):
        pk = start_id + i
        english = rng.random() < 0.2
        subjects, problems, actions = (EN_SUBJECTS, EN_PROBLEMS, EN_ACTIONS) if english else \
            (FR_SUBJECTS, FR_PROBLEMS, FR_ACTIONS)
        subject = rng.choice(subjects)
        bare = subject.split(" ", 1)[1] if subject.split(" ", 1)[0] in ("le", "la", "l'", "the", "your") else subject
        bare = bare.removeprefix("l'")
        title = rng.choice([
            f"{bare[:1].upper()}{bare[1:]} {rng.choice(problems)}",
            f"{'How to' if english else 'Comment'} {rng.choice(actions)} {subject}",
            f"{'Error' if english else 'Erreur'} {rng.choice(CODES)} {'on' if english else 'sur'} {bare}",
            f"FAQ {bare}",
        ])
        sentence = _sentence_en if english else _sentence_fr
        paragraphs = []
        for _ in range(rng.randint(2, 5)):
            paragraphs.append(" ".join(sentence(rng, rng.choice([subject, subject, rng.choice(subjects)]))
                                       for _ in range(rng.randint(2, 5))))
        heading = "## Solution" if not english else "## Solution"
        body = f"{paragraphs[0]}\n\n{heading}\n\n" + "\n\n".join(f"- {p}" if k % 2 else p
                                                               for k, p in enumerate(paragraphs[1:]))
        tags = ", ".join(sorted(set(rng.sample(TAGS, rng.randint(1, 3)))))
        created = now - timedelta(days=rng.uniform(0, 1500))
        updated = created + timedelta(days=rng.uniform(0, (now - created).days or 1))
        published = rng.random() < 0.9
        yield (pk, title[:200], f"{slug_of(title)}-{pk}", body, rng.choice(categories), tags,
               "public" if rng.random() < 0.7 else "internal", "published" if published else "draft",
               rng.choice(authors), None, created, updated, created if published else None,
               rng.randint(0, 5000), rng.randint(0, 80), rng.randint(0, 20))


def slug_of(title: str) -> str:
    from django.utils.text import slugify

    return slugify(title)[:180]


# Must match kb.services.search_vector_expression(): French then English, title A, tags C, body B.
VECTOR_SQL = " || ".join(
    f"setweight(to_tsvector('{config}'::regconfig, COALESCE({column}, '')), '{weight}')"
    for config in ("french", "english") for column, weight in (("title", "A"), ("tags", "C"), ("body", "B"))
)


def load_articles(target: int) -> None:
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from kb.models import Article
    from tickets.models import Category

    existing = Article.objects.count()
    if existing >= target:
        print(f"  {existing:,} articles already loaded")
        return
    agent, _created = User.objects.get_or_create(username="bench_kb_agent", defaults={"email": "kb@example.org"})
    agent.groups.add(Group.objects.get_or_create(name="N2")[0])
    categories = [Category.objects.get_or_create(name=name, parent=None)[0].pk
                  for name in ("Poste de travail", "Réseau", "Applications métier", "Comptes et accès", "Téléphonie")]
    rng = random.Random(42 + existing)
    start_id = (Article.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    columns = [f.column for f in Article._meta.concrete_fields if f.column != "search_vector"]
    n = target - existing
    with connection.cursor() as cursor:
        raw = cursor.connection
        with step(f"COPY {n:,} articles"), \
                raw.cursor().copy(f"COPY kb_article ({', '.join(columns)}) FROM STDIN") as copy:
            for row in article_rows(n, start_id, rng, authors=[agent.pk], categories=categories):
                copy.write_row(row)
        with step("search vectors in SQL (one UPDATE), ANALYZE"):
            raw.execute(f"UPDATE kb_article SET search_vector = {VECTOR_SQL} WHERE search_vector IS NULL")
            raw.execute("SELECT setval(pg_get_serial_sequence('kb_article', 'id'), (SELECT MAX(id) FROM kb_article))")
        cursor.execute("VACUUM ANALYZE kb_article")


def _last_article_select(captured) -> str:
    # The trigram fallback runs in a transaction: the capture also holds set_config and COMMIT.
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT \"kb_article")][-1]


def bench_search(repeat: int) -> dict:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kb.selectors import article_search

    requester, _created = User.objects.get_or_create(username="bench_kb_requester")
    agent = User.objects.get(username="bench_kb_agent")
    agent.groups.add(Group.objects.get_or_create(name="N2")[0])
    results = {}
    for label, user in (("requester", requester), ("agent", agent)):
        for query in QUERIES:  # warm the cache once, as a running server would be
            article_search(user=user, query=query, limit=20)
        times, per_query = [], {}
        for query in QUERIES:
            runs = timed(lambda q=query, u=user: article_search(user=u, query=q, limit=20), repeat=repeat)
            times += runs
            per_query[query] = (sorted(runs)[len(runs) // 2], len(article_search(user=user, query=query, limit=20)))
        median, p95 = summary(times)
        slowest = sorted(per_query.items(), key=lambda item: -item[1][0])[:5]
        results[label] = {"median": median, "p95": p95, "max": max(times), "slowest": slowest,
                          "zero": [q for q, (_t, hits) in per_query.items() if hits == 0]}
    # EXPLAIN of one representative query, as the selector sends it.
    with CaptureQueriesContext(connection) as captured:
        article_search(user=requester, query="imprimante réseau erreur", limit=20)
    sql = _last_article_select(captured)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        results["explain"] = "\n".join(row[0] for row in cursor.fetchall())
    with CaptureQueriesContext(connection) as captured:
        article_search(user=requester, query="imprimente", limit=20)
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', '0.45', true)")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + _last_article_select(captured))
        results["explain_trigram"] = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("ROLLBACK")
    return results


def prepare_auto_close(tickets: int) -> None:
    """Tickets loaded once (seed_scale's COPY loader); then, in SQL, all resolved within the last
    HELPDESK_AUTO_CLOSE_DAYS except DUE of them, resolved 8 to 30 days ago."""
    import seed_scale
    from django.conf import settings
    from django.db import connection

    from tickets.models import Ticket

    existing = Ticket.objects.count()
    if existing < tickets:
        print(f"  loading {tickets - existing:,} tickets with bench/seed_scale.py")
        seed_scale.load(tickets - existing)
    days = settings.HELPDESK_AUTO_CLOSE_DAYS
    with connection.cursor() as cursor:
        # The first run turns the whole load into recent resolutions (about a minute at 1M rows);
        # later runs only touch the tickets the previous run closed or left due.
        with step(f"every ticket resolved within the last {days - 1} days (SQL)"):
            cursor.execute(
                "UPDATE tickets_ticket SET status = 'resolved', closed_at = NULL, solution = 'Corrigé.', "
                "resolved_at = now() - random() * %s * interval '1 day' "
                "WHERE status <> 'resolved' OR resolved_at IS NULL OR resolved_at <= now() - %s * interval '1 day'",
                [days - 1, days])
        with step(f"{DUE:,} of them due: resolved 8 to 30 days ago (SQL)"):
            cursor.execute(
                "UPDATE tickets_ticket SET resolved_at = now() - (8 + random() * 22) * interval '1 day' "
                "WHERE id IN (SELECT id FROM tickets_ticket ORDER BY random() LIMIT %s)", [DUE])
        cursor.execute("VACUUM ANALYZE tickets_ticket")


def bench_auto_close() -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tickets import tasks
    from tickets.models import Notification, Ticket
    from tickets.services import tickets_auto_close

    enqueued = []
    # The broker pushes, counted not sent: one per notification, or one per batch of them.
    tasks.send_notification.apply_async = lambda args, **options: enqueued.append(list(args))
    tasks.send_notifications.apply_async = lambda args, **options: enqueued.append(args[0])
    cutoff = timezone.now() - timedelta(days=settings.HELPDESK_AUTO_CLOSE_DAYS)
    resolved = Ticket.objects.filter(status="resolved").count()
    due = Ticket.objects.filter(status="resolved", resolved_at__lte=cutoff).count()
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM tickets_ticket WHERE status = 'resolved' AND resolved_at <= %s "
            "ORDER BY resolved_at LIMIT 500 FOR UPDATE SKIP LOCKED", [cutoff])
        explain = "\n".join(row[0] for row in cursor.fetchall())
    notifications_before = Notification.objects.count()
    runs = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            closed = tickets_auto_close()
            seconds = time.perf_counter() - start
        runs.append({"closed": closed, "seconds": seconds, "queries": len(captured.captured_queries)})
    return {"resolved": resolved, "due": due, "runs": runs, "explain": explain, "enqueued": len(enqueued),
            "outbox": Notification.objects.count() - notifications_before,
            "left_due": Ticket.objects.filter(status="resolved", resolved_at__lte=cutoff).count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-close", action="store_true")
    args = parser.parse_args()
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    name = setup_django(fresh=args.fresh)
    from django.conf import settings

    settings.CELERY_TASK_ALWAYS_EAGER = False
    print(f"bench database {name} · {machine()} · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    if not args.skip_search:
        load_articles(args.articles)
        from kb.models import Article

        visible = Article.objects.filter(status="published", audience="public").count()
        result = bench_search(args.repeat)
        print(f"\nsearch over {Article.objects.count():,} articles ({visible:,} public and published), "
              f"{len(QUERIES)} queries × {args.repeat} runs, limit 20, snippets included:")
        for label in ("requester", "agent"):
            r = result[label]
            verdict = "OK" if r["p95"] < SEARCH_TARGET_MS else "OVER TARGET"
            print(f"  as {label}: median {r['median']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms "
                  f"(target p95 < {SEARCH_TARGET_MS} ms: {verdict})")
            print("    slowest: " + "; ".join(f"{q!r} {t:.1f} ms ({h} hits)" for q, (t, h) in r["slowest"]))
            print(f"    no result: {r['zero']}")
        print("\nEXPLAIN ANALYZE of 'imprimante réseau erreur' (requester):\n" + result["explain"])
        print("\nEXPLAIN ANALYZE of the trigram fallback for 'imprimente':\n" + result["explain_trigram"])
    if not args.skip_close:
        prepare_auto_close(args.tickets)
        result = bench_auto_close()
        print(f"\nauto-close: {result['resolved']:,} resolved tickets, {result['due']:,} due")
        for number, run in enumerate(result["runs"], 1):
            verdict = "OK" if run["seconds"] < AUTO_CLOSE_TARGET_S else "OVER TARGET"
            print(f"  run {number}: closed {run['closed']} in {run['seconds'] * 1000:.0f} ms, {run['queries']} queries "
                  f"(target < {AUTO_CLOSE_TARGET_S:.0f} s: {verdict})")
        print(f"  outbox rows written {result['outbox']}, enqueued after commit {result['enqueued']}, "
              f"still due {result['left_due']}")
        print("  EXPLAIN ANALYZE of the due-ticket selection:\n" + result["explain"])


if __name__ == "__main__":
    main()
