"""core.db.insert_rows: a request's few new rows in one INSERT written once per model and row count (issue 16),
the rows and objects the same as bulk_create's."""

from __future__ import annotations

from unittest import mock

from django.db.models import Value
from django.db.models.sql.compiler import SQLInsertCompiler
from django.utils import timezone

from core.db import insert_rows
from tests.factories import make_ticket
from tickets.models import EventKind, Notification, TicketEvent


def _events(ticket, actor, count: int, **data) -> list[TicketEvent]:
    return [TicketEvent(ticket=ticket, kind=EventKind.NOTE, actor=actor, is_public=False,
                        data={"n": n, **data}) for n in range(count)]


def test_the_rows_are_written_with_their_values_and_the_objects_left_saved(requester):
    ticket = make_ticket(requester=requester)
    events = _events(ticket, requester, 3, text="é « »")

    returned = insert_rows(events)

    assert returned == events
    assert all(event.pk and not event._state.adding and event._state.db == "default" for event in events)
    stored = {event.pk: event for event in TicketEvent.objects.filter(pk__in=[event.pk for event in events])}
    for n, event in enumerate(events):
        row = stored[event.pk]
        assert (row.ticket_id, row.kind, row.actor_id, row.is_public) == (ticket.pk, EventKind.NOTE,
                                                                           requester.pk, False)
        assert row.data == {"n": n, "text": "é « »"}  # in the order given
        assert row.created_at == event.created_at  # the default, as built


def test_the_statement_is_compiled_once_per_model_and_row_count(requester):
    ticket = make_ticket(requester=requester)
    insert_rows(_events(ticket, requester, 2))  # written (or already, by another test)
    with mock.patch.object(SQLInsertCompiler, "as_sql", autospec=True,
                           side_effect=SQLInsertCompiler.as_sql) as compiled:
        insert_rows(_events(ticket, requester, 2))
        event = TicketEvent.objects.filter(ticket=ticket).first()
        for template in ("status_changed", "ticket_escalated"):
            insert_rows([Notification(event=event, recipient=requester, template=template)])
    assert compiled.call_count == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.NOTE).count() == 4
    assert Notification.objects.filter(event=event, template__in=["status_changed", "ticket_escalated"]).count() == 2


def test_a_field_set_on_save_is_set(requester):
    """pre_save runs as in Django's INSERT (auto_now)."""
    from tickets.models import CannedReply

    before = timezone.now()
    reply = insert_rows([CannedReply(title="Merci", body="Bonjour")])[0]
    assert reply.updated_at >= before
    assert CannedReply.objects.get(pk=reply.pk).updated_at == reply.updated_at


def test_what_it_does_not_write_goes_through_bulk_create(requester):
    ticket = make_ticket(requester=requester)
    with mock.patch.object(TicketEvent.objects, "bulk_create", wraps=TicketEvent.objects.bulk_create) as bulk:
        many = insert_rows(_events(ticket, requester, 150))  # more rows than it writes itself
        expression = insert_rows([TicketEvent(ticket=ticket, kind=Value(EventKind.NOTE), data={})])
    assert bulk.call_count == 2
    assert len({event.pk for event in many}) == 150 and expression[0].pk
    assert TicketEvent.objects.get(pk=expression[0].pk).kind == EventKind.NOTE


def test_a_vip_recurring_tickets_outbox_rows_are_written_in_its_own_statement(requester, django_assert_num_queries):
    """21 outbox rows (a receipt, N2's ten agents alerted of the level and of the recurring problem): within what
    it writes itself, on SQLite's 999 values a statement too; through bulk_create they cost more than the rest of
    the submission (bench/RESULTS.md, issue 16, session 20)."""
    event = make_ticket(requester=requester).events.first()
    rows = [Notification(event=event, recipient=requester, template=f"alert{n}") for n in range(21)]

    with mock.patch.object(Notification.objects, "bulk_create", side_effect=AssertionError("bulk_create")), \
            django_assert_num_queries(1):
        insert_rows(rows)

    assert Notification.objects.filter(event=event, template__startswith="alert").count() == 21


def test_nothing_to_write_writes_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert insert_rows([]) == []


def test_plain_values_are_passed_as_django_would_prepare_them(requester):
    """The fields whose value goes as it is (str, int, bool, a key, None; on PostgreSQL an aware datetime) give
    what get_db_prep_save gives."""
    import datetime

    from django.db import connection

    from core.db import _AWARE, _insert_sql

    postgresql = connection.vendor == "postgresql"
    ticket = make_ticket(requester=requester)
    event = TicketEvent.objects.filter(ticket=ticket).first()
    paris = datetime.timezone(datetime.timedelta(hours=1))
    objects = [TicketEvent(ticket=ticket, kind="note", actor=None, is_public=True, data={}),
               Notification(event=event, recipient=requester, template="status_changed", attempts=3,
                            claimed_at=datetime.datetime(2026, 3, 29, 2, 30, tzinfo=paris))]
    plain_fields = aware_fields = 0
    for obj in objects:
        for field, plain in _insert_sql(type(obj), 1, postgresql=postgresql)[1]:
            value = field.pre_save(obj, True)
            if plain is _AWARE and value is not None:
                aware_fields += 1
                assert value.tzinfo is not None and field.get_db_prep_save(value, connection) is value, field.name
            elif plain is not None and (value is None or type(value) is plain):
                plain_fields += 1
                assert field.get_db_prep_save(value, connection) == value, field.name
    assert plain_fields >= 7  # kind, actor, is_public, ticket; event, recipient, template, attempts…
    # created_at twice, claimed_at: on PostgreSQL only (SQLite's adapter writes a text).
    assert aware_fields == (3 if postgresql else 0)


def test_a_naive_datetime_still_goes_through_django_which_makes_it_aware(requester):
    import datetime
    import warnings

    ticket = make_ticket(requester=requester)
    event = TicketEvent.objects.filter(ticket=ticket).first()
    naive = Notification(event=event, recipient=requester, template="status_changed",
                         claimed_at=datetime.datetime(2026, 7, 1, 12, 0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        insert_rows([naive])
    assert any("naive datetime" in str(warning.message) for warning in caught)
    assert Notification.objects.get(pk=naive.pk).claimed_at == datetime.datetime(2026, 7, 1, 10, 0,
                                                                               tzinfo=datetime.UTC)


def test_on_postgresql_the_values_go_beside_the_text_which_is_prepared_and_logged_with_them(requester):
    """core.postgres.bound_cursor: one text for any values, prepared once the connection has run it
    prepare_threshold times (psycopg parsed a text of more than 50 values anew at each run); the rows are the
    ones given, and the query log still shows the values."""
    import pytest
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("server-side binding is PostgreSQL's (CI runs on it)")
    ticket = make_ticket(requester=requester)
    threshold = connection.connection.prepare_threshold
    written = []
    for run in range(threshold + 2):  # ten rows of seven columns: 70 values
        written += insert_rows(_events(ticket, requester, 10, run=run, text=f"l'essai « {run} »"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall() if 'INSERT INTO "tickets_ticketevent"' in statement]
    assert len(prepared) == 1 and "$70" in prepared[0] and "essai" not in prepared[0]
    stored = dict(TicketEvent.objects.filter(pk__in=[event.pk for event in written]).values_list("pk", "data"))
    assert [stored[event.pk] for event in written] == [event.data for event in written]

    with CaptureQueriesContext(connection) as captured:
        insert_rows(_events(ticket, requester, 10, run="logged", text="l'essai"))
    [query] = captured.captured_queries
    assert query["sql"].startswith('INSERT INTO "tickets_ticketevent"') and "l''essai" in query["sql"]
    assert '"run": "logged"' in query["sql"] and "$1" not in query["sql"]


def test_the_connection_is_looked_up_once_not_through_the_proxy_at_each_value(requester):
    """django.db.connection is a proxy that looks the thread's connection up again (asgiref's Local) at each
    attribute: given to each field's get_db_prep_save, it was read about 150 times per submission, a tenth of
    its instructions (bench/RESULTS.md, issue 16, session 11). insert_rows and bound_cursor take the connection
    itself once (core.postgres.connection_itself) and write the same rows."""
    from django.db import connection, connections
    from django.utils.connection import ConnectionProxy

    from core.postgres import connection_itself

    assert connection_itself(connection) is connections["default"]
    assert connection_itself(connections["default"]) is connections["default"]
    ticket = make_ticket(requester=requester)
    insert_rows(_events(ticket, requester, 4, text="compiled"))  # the statement written once (_insert_sql)
    reads = []
    original = ConnectionProxy.__getattr__

    def counted(proxy, name):
        reads.append(name)
        return original(proxy, name)

    with mock.patch.object(ConnectionProxy, "__getattr__", counted):
        events = insert_rows(_events(ticket, requester, 4, text="une fois"))
    assert reads == []
    assert sorted(TicketEvent.objects.filter(pk__in=[event.pk for event in events]).values_list("data", flat=True),
                  key=lambda data: data["n"]) == [{"n": n, "text": "une fois"} for n in range(4)]


def test_numbered_sql_writes_postgresqls_placeholders_in_order_and_refuses_any_other_percent():
    import pytest

    from core.postgres import numbered_sql

    assert numbered_sql('INSERT INTO "t" ("a", "b") VALUES (%s, %s), (%s, %s) RETURNING "id"') == (
        'INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4) RETURNING "id"')
    assert numbered_sql('SELECT 1') == "SELECT 1"
    for written in ('SELECT %s, "50%"', "SELECT %s, $1", "SELECT %(name)s"):
        with pytest.raises(ValueError):
            numbered_sql(written)


def test_on_postgresql_psycopg_does_not_read_a_long_insert_to_number_its_placeholders(requester):
    """insert_rows writes $1, $2… itself on PostgreSQL (bound_cursor(numbered=True), psycopg's RawCursor): psycopg
    numbered the %s of each statement and kept the result only up to 50 values, so the alert to ten agents (80
    values) was read anew at each submission, 0.16 ms."""
    import pytest
    from django.db import connection
    from psycopg import _queries

    if connection.vendor != "postgresql":
        pytest.skip("psycopg's placeholders are PostgreSQL's (CI runs on it)")
    ticket = make_ticket(requester=requester)
    insert_rows(_events(ticket, requester, 10, text="compiled"))  # the statement written once
    with mock.patch.object(_queries, "_query2pg_nocache", wraps=_queries._query2pg_nocache) as read, \
            mock.patch.object(_queries, "_query2pg", wraps=_queries._query2pg) as read_cached:
        events = insert_rows(_events(ticket, requester, 10, text="sans relecture"))  # 70 values
    assert read.call_count == 0 and read_cached.call_count == 0
    assert TicketEvent.objects.filter(pk__in=[event.pk for event in events], data__text="sans relecture").count() == 10
