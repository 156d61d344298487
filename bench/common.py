"""Shared set-up of the benchmark scripts: a PostgreSQL database of their own, Django configured on it.

Run every script from the repository root with the venv's python and DATABASE_URL pointing at the
PostgreSQL server's `postgres` database or any database on it; the scripts work in BENCH_DB (default
`bench`), which they create, never in the database named by DATABASE_URL.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bench_database_url(name: str | None = None) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parsed = urlparse(base)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://…")
    return urlunparse(parsed._replace(path="/" + (name or os.environ.get("BENCH_DB", "bench"))))


def create_database(name: str, *, fresh: bool) -> None:
    import psycopg

    admin = urlunparse(urlparse(bench_database_url(name))._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(*, fresh: bool = False, migrate: bool = True) -> str:
    """Point Django at the bench database (created if missing) and migrate it."""
    name = os.environ.get("BENCH_DB", "bench")
    create_database(name, fresh=fresh)
    os.environ["DATABASE_URL"] = bench_database_url(name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    return name


def timed(fn, *, repeat: int) -> list[float]:
    """Wall times of `repeat` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


@contextmanager
def step(label: str):
    start = time.perf_counter()
    print(f"  {label}…", end="", flush=True)
    yield
    print(f" {time.perf_counter() - start:.1f} s", flush=True)


def machine() -> str:
    import platform

    cores = os.cpu_count()
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = 0
    return f"{platform.node()}: {cores} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of `sql`, in a transaction rolled back (ANALYZE runs a write too)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan
