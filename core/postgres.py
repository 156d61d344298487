"""Prepared statements for the SELECTs a process repeats, on PostgreSQL (issue 16, session 8).

Django sends every statement with its values written in (psycopg's client-side binding: the ORM does not
write statements that PostgreSQL could prepare with parameters, Django ticket #20516), so PostgreSQL plans
each one anew. For the queue's page, a join of five tables over a table with 27 indexes, planning took
three to six times as long as running it (`EXPLAIN ANALYZE` at a million tickets: 2.8–4 ms planning, 0.6 ms
execution). The same page for every agent sends the very same text, values included.

`PreparingCursor` lets psycopg's own statement cache (`prepare_threshold`, `prepared_max`: the connection's
settings, per connection) prepare such a text once it has been run `prepare_threshold` times: PostgreSQL
then keeps its plan, made for those very values (a statement with no parameters: no generic plan whose
partial indexes could not be proved), and runs it without planning. Only SELECTs: one SELECT is one statement,
whereas a text of several statements (a migration, a script) cannot be prepared. psycopg forgets every
prepared statement on a rollback and on DROP, ALTER or DISCARD ALL, and deallocates the least recently used
beyond `prepared_max`.

PostgreSQL replans a prepared statement when a table it reads changes (a migration adding a column or an index).
A change of a selected column's type (a longer CharField too) made by another process fails the statement's next
execution ("cached plan must not change result type"), and psycopg would keep the statement: outside a
transaction, as a page reads, the cursor forgets every prepared statement of the connection (DEALLOCATE ALL) and
runs the text again unprepared, so the page is answered; inside one, the error stands, and the rollback that
follows makes psycopg forget them.

Off with `DB_PREPARE_THRESHOLD=off` (settings): behind a pooler in transaction mode that does not follow the
protocol's prepared statements (PgBouncer before 1.21, or without `max_prepared_statements`), a statement
prepared on one server connection is unknown on the next.

It overrides psycopg's ClientCursor._get_prepared (which answers "never"), a private method, sends no
parameters to a prepared client query and keeps its text for Django's query log:
tests/test_postgres_prepare.py checks that a repeated SELECT is prepared and the rest are not, so
that a psycopg upgrade that changes it fails there.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db import connection, connections
from django.db.backends.postgresql.base import Cursor, CursorDebugWrapper, CursorMixin, ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from django.utils.connection import ConnectionProxy
from psycopg import RawCursor, adapters, errors, postgres
from psycopg.adapt import Loader
from psycopg.pq import Format, TransactionStatus
from psycopg.types.numeric import Int8

_SELECT = (b"SELECT", b"select")
_PLAN_CHANGED = ("0A000", "cached plan must not change result type")


class PreparingCursor(Cursor):
    """Django's cursor (client-side binding), whose SELECTs psycopg's statement cache may prepare."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        try:
            return super().execute(query, params, prepare=prepare, binary=binary)
        except errors.FeatureNotSupported as error:
            if (error.sqlstate != _PLAN_CHANGED[0] or _PLAN_CHANGED[1] not in str(error)
                    or self._conn.info.transaction_status != TransactionStatus.IDLE):
                raise
        # A column's type changed under a prepared statement, outside a transaction (see the module's docstring).
        self._conn.execute("DEALLOCATE ALL")  # psycopg sees it and empties its cache of names
        return super().execute(query, params, prepare=False, binary=binary)

    def _get_prepared(self, pgq, prepare=None):
        if pgq.query[:6] not in _SELECT:
            return super()._get_prepared(pgq, prepare)  # ClientCursor's: never prepared
        decision = self._conn._prepared.get(pgq, prepare)
        if decision[1]:  # to be prepared, or prepared already (named)
            # The values are written in the text: the statement has no parameters to bind (a client query keeps
            # them beside the text, which the prepared statement's execution would send).
            pgq.params = None
        return decision

    def _send_query_prepared(self, name, pgq, *, binary=None):
        # What Django's query log reads (last_executed_query: the text, values written in), which psycopg sets
        # on the unprepared path only.
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)


def use_preparing_cursor(sender, connection, **kwargs) -> None:
    """connection_created: on PostgreSQL, the connection's cursors are PreparingCursors (Django's own otherwise).
    Whether and when they prepare is the connection's `prepare_threshold` (settings: DB_PREPARE_THRESHOLD)."""
    if connection.vendor == "postgresql":
        connection.connection.cursor_factory = PreparingCursor


# psycopg's loader of a timestamptz in text: the compiled one when psycopg's binary package is installed.
_NATIVE_TIMESTAMPTZ = adapters.get_loader(postgres.types["timestamptz"].oid, Format.TEXT)


class _UtcTimestamptzLoader(Loader):
    """psycopg's own loader of a timestamptz (compiled, with psycopg's binary package), for a connection whose time
    zone is UTC: what Django's loader gives (an aware datetime in UTC, `datetime.timezone.utc`), at a tenth of its
    cost. Django's loader derives from psycopg's pure-Python one to set each value's zone; where the session's zone
    is UTC, psycopg's gives it already. A queue page reads 128 of them (Django's: 3 µs each), the workspace of a
    long ticket several hundred. `timezone` is what Django compares to decide whether to register its own loader
    again on each cursor (DatabaseWrapper.create_cursor)."""

    timezone = datetime.UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._native = _NATIVE_TIMESTAMPTZ(oid, context)
        # The compiled loader's own method, which psycopg's row maker then calls without a Python frame of ours.
        self.load = self._native.load

    def load(self, data):  # what the instance's own (above) does
        return self._native.load(data)


def load_timestamps_natively(sender, connection, **kwargs) -> None:
    """connection_created: on PostgreSQL with USE_TZ and the session's zone UTC (Django's default), timestamptz
    values are read by psycopg's own loader (_UtcTimestamptzLoader) instead of Django's."""
    if (connection.vendor == "postgresql" and settings.USE_TZ and connection.timezone is datetime.UTC
            and connection.connection.info.parameter_status("TimeZone") == "UTC"):
        connection.connection.adapters.register_loader("timestamptz", _UtcTimestamptzLoader)


def connection_itself(connection):
    """The connection object behind `django.db.connection`, a proxy that looks it up again (the thread's, by
    asgiref's Local) at each attribute read: a request's writes read about 150 of them, a few percent of a
    submission's CPU. Given a connection object, that object."""
    if isinstance(connection, ConnectionProxy):
        return connections[connection._alias]
    return connection


def bound_cursor(connection, *, numbered: bool = False):
    """On PostgreSQL, a cursor of `connection` that sends the values beside the statement's text (psycopg's
    server-side binding, Django's own `ServerBindingCursor`), wrapped as Django wraps its cursors (the execute
    wrappers; the query log, with the values written in the text as before); elsewhere the connection's cursor.

    For the statements a request repeats with other values, whose best plan is the same for any values:
    `core.db.insert_rows`'s INSERT of a few rows, the request's user by id, the recurring rule's two counts.
    Written in by the client, the values make each run another text, which psycopg parses again to place them
    (anew each time beyond 50 values: its cache's limit) and PostgreSQL parses and plans again. Sent apart, the
    text repeats: psycopg prepares it once the connection has run it `prepare_threshold` times (none with
    DB_PREPARE_THRESHOLD=off), and PostgreSQL runs it without parsing, and after five runs with its generic plan
    (bench/RESULTS.md, issue 16, session 10). Not for a read whose plan depends on its values: a generic plan
    cannot prove the queue's partial indexes.

    `numbered`: the statements given are written with PostgreSQL's own placeholders, $1, $2… (`numbered_sql`),
    which psycopg sends as they are (its RawCursor). With Django's %s, psycopg finds and numbers the placeholders
    of each statement, and keeps what it found for statements of at most 50 values: a new ticket's alert to the ten
    agents of N2 (80 values) was read anew at each run, 0.16 ms. Off PostgreSQL there is nothing to number: give
    the connection's cursor its %s."""
    connection = connection_itself(connection)
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = (_RawBindingCursor if numbered else ServerBindingCursor)(connection.connection)
    return _LoggedBoundCursor(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


_NUMBERED = re.compile(r"\$[0-9]+")


def numbered_sql(sql: str) -> str:
    """`sql` with Django's %s placeholders as $1, $2… in order, for `bound_cursor(…, numbered=True)`: a statement
    of ours whose only % are its placeholders (identifiers from the models' meta, values as parameters)."""
    parts = sql.split("%s")
    if any("%" in part or _NUMBERED.search(part) for part in parts):
        raise ValueError("numbered_sql: a % or a $n besides the placeholders")
    return "".join(part + (f"${number}" if number < len(parts) else "") for number, part in enumerate(parts, 1))


class _RawBindingCursor(CursorMixin, RawCursor):
    """Django's ServerBindingCursor with PostgreSQL's own placeholders (psycopg's RawCursor)."""


def bigints(values: list) -> list:
    """`values`, the integers as bigint, for a bound statement (bound_cursor) on PostgreSQL. psycopg types each
    integer by its value (smallint below 32,768, integer, bigint) and prepares a statement per text and types:
    the ids of a page, small and large mixed as they come, would make a statement per mix. PostgreSQL compares a
    bigint with a smallint or integer column by the same index. Not for every bound value: wrapped, an integer
    costs psycopg more than its own (an INSERT's hundred values, 1 % of a submission's instructions)."""
    if connection.vendor != "postgresql":
        return values
    return [Int8(value) if type(value) is int else value for value in values]


class _LoggedBoundCursor(CursorDebugWrapper):
    """Django's debug wrapper, whose log would read the text psycopg sent (placeholders, or nothing once the
    statement is prepared): the log shows the statement with its values written in, as a client-bound one."""

    def execute(self, sql, params=None):
        logged = self.db.ops.compose_sql(_NUMBERED.sub("%s", sql) if isinstance(self.cursor, RawCursor) else sql,
                                         params) if params else sql
        with self.debug_sql(logged, params):
            return CursorWrapper.execute(self, sql, params)
