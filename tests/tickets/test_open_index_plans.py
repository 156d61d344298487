"""The queue's priority, "Mine" and breached pages read the open tickets' own partial indexes (tickets 0017): the
newest open tickets rarely match those filters, and read from ticket_open_created the page passed over every one of
them before finding 26 that do. The dashboard's backlogs, all of it and one organisation's, are counted from an index
alone (tickets 0017 and 0018): they read every open ticket's heap page."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard import metrics
from tests.conftest import login
from tests.factories import OrganisationFactory, UserFactory, make_ticket
from tests.plans import plan_nodes
from tickets.models import OPEN_STATUSES, Priority, SlaState, Status, Ticket

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")


def _fill(template: Ticket, *, agent, other_agent) -> None:
    """10,000 tickets like the template, a minute apart, of seven requesters and three organisations: 8 in 10
    closed, 1 in 10 resolved, the open ones spread over the table as over months of tickets; of the open ones
    the newer half are P3, on time and another agent's, the 500 P1 tickets, the breached ones and the agent's
    own older, as a queue looks once a day's submissions are in."""
    rows = []
    requesters = [template.requester_id, *(UserFactory(username=f"requester{n}").pk for n in range(6))]
    organisations = [OrganisationFactory(name=f"Organisation {n}").pk for n in range(3)]
    for number in range(10000):
        open_, older = number % 10 == 9, number < 5000
        fields = {field.attname: getattr(template, field.attname) for field in Ticket._meta.concrete_fields
                  if not field.primary_key}
        fields.update(reference=f"~plan{number:05d}", created_at=template.created_at - timedelta(minutes=10000 - number),
                      status=Status.IN_PROGRESS if open_ else Status.RESOLVED if number % 10 == 8 else Status.CLOSED,
                      priority=Priority.P1 if open_ and older else Priority.P3,
                      assignee_id=(agent if open_ and older else other_agent).pk,
                      sla_state=SlaState.BREACHED if open_ and older else SlaState.ON_TIME,
                      requester_id=requesters[number % 7], organisation_id=organisations[number % 3])
        rows.append(Ticket(**fields))
    Ticket.objects.bulk_create(rows)


def _page_statement(client, path: str) -> str:
    """The statement that reads the page's rows: the one with the page's LIMIT."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    pages = [query["sql"] for query in queries.captured_queries
             if 'FROM "tickets_ticket"' in query["sql"] and "LIMIT 26" in query["sql"]]
    assert len(pages) == 1, [query["sql"] for query in queries.captured_queries]
    return pages[0]


# Transactional, as the backlog's tests: a test's rolled-back 10,000 rows would stay in the table's pages and
# indexes until a vacuum and move the plans of the PostgreSQL tests that run after it
# (tests/escalation/test_recurring_plan.py); a transactional test ends with TRUNCATE, which leaves none.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("path", "index"), [("/agent/?priority=P1", "ticket_open_priority"),
                                             ("/agent/?view=mine", "ticket_open_assignee"),
                                             ("/agent/?sla=breached", "ticket_open_breached")])
def test_the_queue_reads_the_open_index_of_its_filter(client, requester, category, agent_n1, path, index):
    _fill(make_ticket(requester=requester, category=category), agent=agent_n1,
          other_agent=UserFactory(username="agent9", groups=["N1"]))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
    login(client, agent_n1)

    nodes = plan_nodes(_page_statement(client, path))

    # Only the filter's own entries: at this size the planner sorts those 500 rows after its joins; at
    # 1,000,000 tickets it reads the index's first 26 in the page's order (bench/output/*s17*).
    assert index in {node.get("Index Name") for node in nodes}, nodes
    assert "ticket_open_created" not in {node.get("Index Name") for node in nodes}
    # The page is still the filter's 25 newest tickets, newest first (the same 500 for the three filters).
    expected = list(Ticket.objects.filter(status__in=OPEN_STATUSES, priority=Priority.P1, assignee=agent_n1,
                                          sla_state=SlaState.BREACHED)
                    .order_by("-created_at", "-id").values_list("reference", flat=True)[:25])
    page = client.get(path).content.decode()
    positions = [page.find(reference) for reference in expected]
    assert -1 not in positions and positions == sorted(positions)
    assert "~plan09999" not in page  # the newest open ticket, P3, on time, another agent's


def _backlog_scans(tickets) -> tuple[set, dict]:
    """The scans of the backlog's one statement, and the backlog."""
    with CaptureQueriesContext(connection) as queries:
        backlog = metrics.backlog(tickets)
    (statement,) = queries.captured_queries
    scans = {(node["Node Type"], node.get("Index Name")) for node in plan_nodes(statement["sql"])
             if "Scan" in node["Node Type"]}
    return scans, backlog


def _assert_counts(backlog: dict, tickets) -> None:
    open_tickets = list(tickets.filter(status__in=OPEN_STATUSES).values_list("status", "level", "priority"))
    for position, field in enumerate(("status", "level", "priority")):
        counted = Counter(row[position] for row in open_tickets)
        assert {row[field]: row["count"] for row in backlog[field]} == counted


@pytest.mark.django_db(transaction=True)
def test_the_backlog_is_counted_from_the_open_index_alone(requester, category, agent_n1):
    _fill(make_ticket(requester=requester, category=category), agent=agent_n1,
          other_agent=UserFactory(username="agent9", groups=["N1"]))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tickets_ticket")  # the visibility map, as autovacuum keeps it

    scans, backlog = _backlog_scans(Ticket.objects.all())

    assert scans == {("Index Only Scan", "ticket_open_priority")}
    _assert_counts(backlog, Ticket.objects.all())
    assert {row["priority"]: row["count"] for row in backlog["priority"]}[Priority.P1] == 500


@pytest.mark.django_db(transaction=True)
def test_an_organisations_backlog_is_counted_from_its_active_index_alone(requester, category, agent_n1):
    _fill(make_ticket(requester=requester, category=category), agent=agent_n1,
          other_agent=UserFactory(username="agent9", groups=["N1"]))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    organisation = Ticket.objects.filter(reference="~plan00009").values_list("organisation_id", flat=True).get()
    tickets = Ticket.objects.filter(organisation_id=organisation)

    scans, backlog = _backlog_scans(tickets)

    # Its active tickets' index, open and resolved: the resolved ones filtered out from the index's own columns.
    assert scans == {("Index Only Scan", "ticket_organisation_active")}
    _assert_counts(backlog, tickets)
    assert sum(row["count"] for row in backlog["status"]) == 334  # the open tickets numbered 9, 39, 69…
