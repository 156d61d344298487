"""The WSGI application named by DJANGO_SETTINGS_MODULE (the product or the floor), wrapped to tell the
benchmark what each request cost the server: response headers X-Bench-Statements (SQL statements sent
to PostgreSQL, transaction control and connection health checks included) and X-Bench-CPU-us (the
worker thread's CPU time for the request, so waiting on PostgreSQL or Redis is not counted).

    gunicorn bench.counted_wsgi:application      # what bench/http_load.py starts

The wrapper costs a few microseconds per request; the product and the floor both go through it.
"""

from __future__ import annotations

import os
import threading
import time

from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

_local = threading.local()


def _count(n: int = 1) -> None:
    _local.statements = getattr(_local, "statements", 0) + n


def _counting(method, statements: int):
    def counted(self, *args, **kwargs):
        _count(statements)
        return method(self, *args, **kwargs)

    return counted


# A transaction is BEGIN (sent by psycopg before its first statement) and COMMIT or ROLLBACK; the health
# check (CONN_HEALTH_CHECKS) is a SELECT 1 sent outside Django's cursor wrappers.
BaseDatabaseWrapper.commit = _counting(BaseDatabaseWrapper.commit, 2)
BaseDatabaseWrapper.rollback = _counting(BaseDatabaseWrapper.rollback, 2)
_is_usable = {}


def _patch_backend() -> None:
    cls = type(connection)
    if cls not in _is_usable and hasattr(cls, "is_usable"):
        _is_usable[cls] = cls.is_usable
        cls.is_usable = _counting(cls.is_usable, 1)


SHOW_SQL = os.environ.get("BENCH_SHOW_SQL") == "1"


def _execute(execute, sql, params, many, context):
    _count()
    if SHOW_SQL:
        _local.sql.append(" ".join(sql.split())[:90])
    return execute(sql, params, many, context)


_inner = get_wsgi_application()
_patch_backend()


def application(environ, start_response):
    _local.statements = 0
    _local.sql = []
    started = time.thread_time()

    def counted_start_response(status, headers, exc_info=None):
        headers = [*headers, ("X-Bench-Statements", str(_local.statements)),
                   ("X-Bench-CPU-us", str(int((time.thread_time() - started) * 1e6)))]
        if SHOW_SQL:  # BENCH_SHOW_SQL=1: the statements themselves, to see what a count is made of
            headers.append(("X-Bench-SQL", " | ".join(_local.sql).encode("ascii", "replace").decode()))
        return start_response(status, headers, exc_info)

    with connection.execute_wrapper(_execute):
        return _inner(environ, counted_start_response)
