"""DB_POOL_MAX_SIZE turns PostgreSQL's persistent connections into a psycopg pool shared by a process's threads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRINT_DATABASE = ("import json; from helpdesk import settings as s; d = s.DATABASES['default']; "
                  "print(json.dumps({'age': d['CONN_MAX_AGE'], 'options': d.get('OPTIONS', {})}))")


def database_settings(**env) -> dict:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("DB_", "DATABASE_URL"))} | {"DEBUG": "1"} | env
    output = subprocess.run([sys.executable, "-c", PRINT_DATABASE], cwd=ROOT, env=environment,
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def test_postgresql_keeps_one_persistent_connection_per_thread_by_default():
    found = database_settings(DATABASE_URL="postgres://helpdesk@db:5432/helpdesk")
    assert found == {"age": 60, "options": {"prepare_threshold": 5}}


def test_a_pool_size_gives_postgresql_a_pool_and_no_persistent_connections():
    found = database_settings(DATABASE_URL="postgres://helpdesk@db:5432/helpdesk", DB_POOL_MAX_SIZE="4",
                              DB_POOL_MIN_SIZE="2", DB_POOL_TIMEOUT="5")
    assert found == {"age": 0, "options": {"prepare_threshold": 5,
                                           "pool": {"min_size": 2, "max_size": 4, "timeout": 5.0}}}


def test_sqlite_ignores_the_pool_size():
    found = database_settings(DATABASE_URL="sqlite:///tmp/x.sqlite3", DB_POOL_MAX_SIZE="4")
    assert "pool" not in found["options"]


@pytest.mark.django_db(transaction=True)
def test_the_pool_lends_its_connections_to_more_threads_than_it_holds(settings):
    """On PostgreSQL, with the psycopg pool installed: eight threads querying through a pool of two."""
    from django.db import connections

    if connections["default"].vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's (CI runs on it)")
    code = """
import django, os, threading
os.environ['DJANGO_SETTINGS_MODULE'] = 'helpdesk.settings'
django.setup()
from django.db import connection, connections
def work():
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1')
        connections.close_all()
threads = [threading.Thread(target=work) for _ in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
stats = connection.pool.get_stats()
print(stats['requests_num'], stats['pool_max'], stats.get('connections_num', 0))
"""
    url = settings.DATABASES["default"]
    database_url = f"postgres://{url['USER']}@{url['HOST'] or '127.0.0.1'}:{url['PORT'] or 5432}/{url['NAME']}"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DB_")} | {
        "DEBUG": "1", "DATABASE_URL": database_url, "DB_POOL_MAX_SIZE": "2"}
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
                            text=True, check=True).stdout
    requests, pool_max, opened = map(int, output.strip().splitlines()[-1].split())
    assert (requests, pool_max) == (24, 2)
    assert 1 <= opened <= 2
