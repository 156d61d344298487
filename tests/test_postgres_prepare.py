"""On PostgreSQL, a SELECT that a connection repeats is prepared (core.postgres): PostgreSQL plans it once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection

from tests.test_settings_pool import database_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (CI runs on it)")
    connection.ensure_connection()
    return connection


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")  # psycopg's, by protocol
        return [statement for (statement,) in cursor.fetchall()]


def run_times(times: int, username: str) -> list:
    return [list(User.objects.filter(username=username).values_list("username", flat=True)) for _ in range(times)]


def test_a_select_run_as_often_as_the_threshold_is_prepared_with_its_values_and_keeps_answering(postgresql):
    threshold = connection.connection.prepare_threshold
    assert threshold == 5
    User.objects.create(username="prepared-marie")
    answers = run_times(threshold, "prepared-marie")
    assert not [s for s in prepared_statements() if "prepared-marie" in s]
    answers += run_times(3, "prepared-marie")  # the sixth run prepares it; the next ones execute it
    found = [s for s in prepared_statements() if "prepared-marie" in s]
    assert len(found) == 1 and found[0].startswith("SELECT") and "'prepared-marie'" in found[0]
    assert answers == [["prepared-marie"]] * (threshold + 3)
    # Another value is another text: not prepared until it is repeated in turn.
    assert run_times(1, "prepared-jean") == [[]]
    assert not [s for s in prepared_statements() if "prepared-jean" in s]


def test_the_prepared_statement_sees_rows_written_after_it_was_prepared(postgresql):
    run_times(8, "prepared-later")
    assert [s for s in prepared_statements() if "prepared-later" in s]
    User.objects.create(username="prepared-later")
    assert run_times(1, "prepared-later") == [["prepared-later"]]


def test_the_query_log_shows_a_prepared_select_with_its_values(postgresql):
    from django.test.utils import CaptureQueriesContext

    run_times(6, "prepared-logged")
    assert [s for s in prepared_statements() if "prepared-logged" in s]
    with CaptureQueriesContext(connection) as captured:
        run_times(1, "prepared-logged")
    [query] = captured.captured_queries
    assert query["sql"].startswith("SELECT") and "'prepared-logged'" in query["sql"]


def test_writes_are_never_prepared(postgresql):
    user = User.objects.create(username="prepared-writes")
    for _ in range(8):
        User.objects.filter(pk=user.pk).update(first_name="Marie")
    assert not [s for s in prepared_statements() if s.startswith("UPDATE")]


def test_a_failed_select_is_not_kept_and_the_connection_goes_on(postgresql):
    from django.db import DatabaseError, transaction

    for _ in range(7):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / (SELECT count(*) - count(*) FROM auth_user)")  # division by zero
    assert run_times(1, "nobody") == [[]]
    assert not [s for s in prepared_statements() if "1 / (" in s]


def test_the_threshold_comes_from_the_environment_and_off_turns_preparing_off():
    url = {"DATABASE_URL": "postgres://helpdesk@db:5432/helpdesk"}
    assert database_settings(**url)["options"]["prepare_threshold"] == 5
    assert database_settings(**url, DB_PREPARE_THRESHOLD="2")["options"]["prepare_threshold"] == 2
    assert database_settings(**url, DB_PREPARE_THRESHOLD="off")["options"]["prepare_threshold"] is None
    assert "prepare_threshold" not in database_settings(DATABASE_URL="sqlite:///tmp/x.sqlite3")["options"]


def elsewhere(sql: str) -> None:
    """`sql` run by another connection, as a migration in another process."""
    import psycopg

    params = connection.get_connection_params()
    for name in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(name, None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute(sql)


READ_AMOUNT = "SELECT amount FROM prepared_change WHERE id = 1"


@pytest.fixture
def changed_under_a_prepared_select(postgresql):
    """A table whose column's type another connection changes once this one has prepared READ_AMOUNT."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_change (id integer PRIMARY KEY, amount integer)")
        try:
            cursor.execute("INSERT INTO prepared_change VALUES (1, 5)")
            for _ in range(7):
                cursor.execute(READ_AMOUNT)
            assert [s for s in prepared_statements() if "prepared_change" in s]
            elsewhere("ALTER TABLE prepared_change ALTER COLUMN amount TYPE text")
            yield cursor
        finally:
            cursor.execute("DROP TABLE prepared_change")


@pytest.mark.django_db(transaction=True)
def test_a_column_whose_type_changes_under_a_prepared_select_is_read_again_unprepared(changed_under_a_prepared_select):
    """A migration run by another process, while this connection reads in autocommit as a web request does:
    PostgreSQL refuses the prepared statement, whose result type changed; the cursor forgets the connection's
    prepared statements and answers. (psycopg forgets them itself when the change goes through the same
    connection.)"""
    cursor = changed_under_a_prepared_select
    cursor.execute(READ_AMOUNT)
    assert cursor.fetchall() == [("5",)]
    assert prepared_statements() == []
    for _ in range(7):  # prepared again, with the new type
        cursor.execute(READ_AMOUNT)
    assert cursor.fetchall() == [("5",)]
    assert [s for s in prepared_statements() if "prepared_change" in s]


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_changed_type_fails_and_the_rollback_forgets_the_statements(
        changed_under_a_prepared_select):
    from django.db import DatabaseError, transaction

    cursor = changed_under_a_prepared_select
    with pytest.raises(DatabaseError, match="cached plan must not change result type"), transaction.atomic():
        cursor.execute(READ_AMOUNT)
    assert prepared_statements() == []
    cursor.execute(READ_AMOUNT)
    assert cursor.fetchall() == [("5",)]


def test_the_request_user_of_any_id_is_read_by_one_prepared_statement(postgresql):
    """accounts.backends.user_in_one_query sends the id beside the text (core.postgres.bound_cursor): after the
    threshold, one prepared statement serves every user, where a text with the id written in was one per user."""
    from accounts.backends import user_in_one_query

    people = [User.objects.create(username=f"bound-{n}", first_name=f"Personne {n}") for n in range(8)]
    found = [user_in_one_query(person.pk) for person in people]

    assert [(user.pk, user.first_name) for user in found] == [(person.pk, person.first_name) for person in people]
    bound = [s for s in prepared_statements() if 'FROM "auth_user"' in s and '"auth_user"."id" = $1' in s]
    assert len(bound) == 1
    assert not [s for s in prepared_statements() if any(f'"auth_user"."id" = {p.pk}' in s for p in people)]
    assert user_in_one_query(-1) is None


def test_the_ticket_and_its_panels_of_any_workspace_are_one_prepared_statement_each(postgresql, client):
    """A ticket by its reference (for an agent or its requester), its major incident and its dispatch panel send the
    ticket beside the text (bound): after the threshold, one prepared statement serves every ticket and person, where
    PostgreSQL planned the ticket's join of six tables anew for each (bench/RESULTS.md, issue 16, session 21)."""
    from tests.factories import CategoryFactory, UserFactory, make_ticket

    agent = UserFactory(username="agent-bound", groups=["N1"])
    category = CategoryFactory(name="Réseau")
    tickets = [make_ticket(requester=UserFactory(username=f"demandeur{n}"), category=category, title=f"Panne {n}")
               for n in range(7)]
    client.force_login(agent)
    for ticket in tickets:
        response = client.get(f"/agent/tickets/{ticket.reference}/")
        assert response.status_code == 200
        assert ticket.title in response.content.decode()
    for ticket in tickets:  # each requester their own ticket's page, by the same statement; another's is a 404
        client.force_login(ticket.requester)
        assert ticket.title in client.get(f"/tickets/{ticket.reference}/").content.decode()
        assert client.get(f"/tickets/{tickets[0 if ticket != tickets[0] else 1].reference}/").status_code == 404

    statements = prepared_statements()
    by_reference = [s for s in statements if s.startswith('SELECT "tickets_ticket"."id", "tickets_ticket"."reference"')
                    and '"tickets_ticket"."reference" = $1' in s]
    assert len(by_reference) == 1
    assert not [s for s in statements if any(f"'{ticket.reference}'" in s for ticket in tickets)]
    incidents = [s for s in statements if 'FROM "postmortem_majorincident"' in s]
    assert len(incidents) == 1 and "$1" in incidents[0]
    assert len([s for s in statements if 'FROM "dispatch_forecast"' in s and "$1" in s]) == 1


def test_the_recurring_counts_of_any_submission_are_one_prepared_statement(postgresql):
    from escalation.services import _RECENT_IN_CATEGORY
    from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, make_ticket

    organisation = OrganisationFactory(name="Fromagerie Dupont")
    category = CategoryFactory(name="Balance")
    # Eight people of one organisation submit one ticket each (the fifth on is recurring organisation-wide); each
    # submission runs the counts once, its values beside the one text.
    for n in range(8):
        make_ticket(requester=UserFactory(username=f"fromager{n}", organisation=organisation), category=category)

    texts = [s for s in prepared_statements()
             if s.startswith("SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM tickets_ticket")]
    assert len(texts) == 1 and "requester_id = $1" in texts[0]
    assert texts[0].count("$") == _RECENT_IN_CATEGORY.count("%s")


def test_the_clocks_of_any_queue_page_are_one_prepared_statement_whatever_the_ids_size(postgresql):
    """tickets.selectors.queue_table_clocks sends the page's ids beside the text (objects_compiled_for_ids,
    bound): one prepared statement for every page of that length, where the ids written in made a text per page.
    The ids go as bigint (core.postgres.bigints): typed by their value, an id above 32,767 beside smaller
    ones would have made another statement."""
    from sla.models import SlaClock
    from tests.factories import UserFactory, make_ticket
    from tickets.models import Ticket
    from tickets.selectors import queue_table_clocks

    requester = UserFactory(username="horloger")
    tickets = [make_ticket(requester=requester, title=f"Pendule {n}") for n in range(6)]
    pages = [tickets[n:n + 3] for n in range(4)]
    for page in pages:
        queue_table_clocks(page)
        for ticket in page:  # each ticket's own clocks, all of them
            assert sorted(c.target for c in ticket._prefetched_objects_cache["sla_clocks"]) == sorted(
                SlaClock.objects.filter(ticket=ticket).values_list("target", flat=True)) != []
    # The same length with an id no ticket has, of a larger integer type: the same statement, nothing found.
    for _ in range(2):
        absent = Ticket(pk=70_000)
        queue_table_clocks([tickets[0], tickets[1], absent])
        assert absent._prefetched_objects_cache["sla_clocks"] == []

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, parameter_types::text[] FROM pg_prepared_statements WHERE NOT from_sql")
        found = [(s, types) for s, types in cursor.fetchall() if 'FROM "sla_slaclock"' in s and "IN ($1, $2, $3)" in s]
    assert len(found) == 1
    assert found[0][1] == ["bigint"] * 3


def test_timestamps_are_read_by_psycopgs_own_loader_as_django_reads_them(postgresql):
    """core.postgres.load_timestamps_natively: the session's zone is UTC, so psycopg's compiled loader gives what
    Django's gives (aware, in UTC, `datetime.UTC`), and Django does not register its own again on each cursor."""
    import datetime

    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg.pq import Format

    from core.postgres import _UtcTimestamptzLoader

    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(1184, Format.TEXT) is _UtcTimestamptzLoader
        texts = ["2026-03-29 01:59:59.999999+00", "2026-03-29 03:30:00+02", "2026-10-25 02:30:00.5+01",
                 "1999-12-31 23:59:59-11:30", "2026-11-30 21:00:00.000001+00"]
        cursor.execute("SELECT " + ", ".join("%s::timestamptz" for _ in texts), texts)
        ours = cursor.fetchone()

    class DjangosLoader(BaseTzLoader):
        timezone = datetime.UTC

    django_loader = DjangosLoader(1184, connection.connection)
    assert list(ours) == [django_loader.load(text.encode()) for text in texts]
    assert all(value.tzinfo is datetime.UTC for value in ours)
    assert ours[1] == datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC)
