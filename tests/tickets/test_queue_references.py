"""The queue's rows name their category, organisation and assignee by id, read from the reference cache
(tickets.selectors.queue_table_rows): the page's statement joins the requester only, so PostgreSQL plans a join of
two tables, not five. With the cache off, the three are joined (a read of the cache would be a query)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import cache as core_cache
from tests.factories import OrganisationFactory, UserFactory, advance, make_ticket


def _page_statement(client) -> tuple[str, str, list[str]]:
    """The queue page's HTML, its statement over the tickets and all its statements."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/agent/")
    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries
                  if q["sql"].startswith("SELECT") and '"tickets_ticket"."reference"' in q["sql"]]
    assert len(statements) == 1
    return response.content.decode(), statements[0], [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def assigned(category, agent_n1):
    requester = UserFactory(username="vip", organisation=OrganisationFactory(name="Banque Alpine", is_vip=True))
    return advance(make_ticket(requester=requester, category=category, title="Imprimante bloquée"),
                   to="in_progress", agent=agent_n1)


@pytest.mark.parametrize(("reference_cache", "joins"), [(True, 1), (False, 4)], ids=["reference-cache", "joined"])
def test_the_page_joins_the_requester_only_with_the_reference_cache(client, agent_n1, assigned, settings,
                                                                     reference_cache, joins):
    settings.HELPDESK_REFERENCE_CACHE = reference_cache
    client.force_login(agent_n1)
    client.get("/agent/")

    html, statement, _all = _page_statement(client)

    assert statement.count(" JOIN ") == joins
    row = html[html.index(assigned.reference):]
    row = row[:row.index("</tr>")]
    assert assigned.category.name in row
    assert "text-vip" in row
    assert agent_n1.get_full_name() in row


def test_an_assignee_who_no_longer_works_tickets_is_still_named(client, agent_n2, assigned, settings):
    """agent_list() holds the active agents: one who left the agents' groups is read by id, in one statement."""
    settings.HELPDESK_REFERENCE_CACHE = True
    departed = UserFactory(username="parti", first_name="Paul", last_name="Parti")
    type(assigned).objects.filter(pk=assigned.pk).update(assignee=departed)
    client.force_login(agent_n2)
    client.get("/agent/")

    html, _statement, statements = _page_statement(client)

    row = html[html.index(assigned.reference):]
    assert "Paul Parti" in row[:row.index("</tr>")]
    read = [sql for sql in statements if sql.startswith("SELECT") and 'FROM "auth_user" WHERE' in sql
            and f"IN ({departed.pk})" in sql]
    assert len(read) == 1


def test_a_renamed_category_and_a_new_vip_show_on_the_next_page(client, agent_n1, assigned, settings):
    settings.HELPDESK_REFERENCE_CACHE = True
    client.force_login(agent_n1)
    client.get("/agent/")
    assigned.category.name = "Impression & copieurs"
    assigned.category.save()
    organisation = assigned.organisation
    organisation.is_vip = False
    organisation.save()

    html, _statement, _all = _page_statement(client)

    row = html[html.index(assigned.reference):]
    row = row[:row.index("</tr>")]
    assert "Impression &amp; copieurs" in row
    assert "text-vip" not in row


def test_the_reference_maps_are_built_once_per_version(db, settings, django_assert_num_queries):
    settings.HELPDESK_REFERENCE_CACHE = True
    from accounts.selectors import AGENTS, agent_list

    first = core_cache.by_pk(AGENTS, agent_list)
    with django_assert_num_queries(0):
        assert core_cache.by_pk(AGENTS, agent_list) is first
    Group.objects.get_or_create(name="N1")[0].user_set.add(UserFactory(username="nouvelle"))
    core_cache.invalidate(AGENTS)
    assert "nouvelle" in {agent.username for agent in core_cache.by_pk(AGENTS, agent_list).values()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statistics objects are PostgreSQL's")
def test_postgresql_knows_the_status_and_assignee_together(db):
    """tickets 0020: the (status, assignee_id) combinations' statistics, which make the "Unassigned" view read
    its index in order (bench/RESULTS.md, issue 16, session 21)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT stxkind FROM pg_statistic_ext WHERE stxname = 'ticket_status_assignee_stats'")
        assert cursor.fetchall() == [(["m"],)]


def test_a_reference_deleted_since_the_page_was_read_shows_as_none(agent_n1, assigned, settings):
    """Between the page's statement and its completion, the assignee was deleted: the row shows nobody, no error."""
    from tickets.selectors import queue_table_rows, ticket_queue_for_agent

    settings.HELPDESK_REFERENCE_CACHE = True
    rows = list(ticket_queue_for_agent(agent=agent_n1, filters={"view": "all"}, table=True))
    row = next(ticket for ticket in rows if ticket.pk == assigned.pk)
    row.assignee_id = 987_654_321  # nobody has this id any more

    queue_table_rows(rows)

    assert row.assignee is None
    assert row.category.name == assigned.category.name
