"""The queue's statements compiled once per connection (tickets.queue.statement_key, core.core_db.objects_compiled and
objects_compiled_for_ids): the same pages as a fresh compile, for every filter, sort and next page, and a change
of what a key names (the agent, their level, a new sub-category, the time zone) gives a new statement."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import db as core_db
from tests.factories import CategoryFactory, OrganisationFactory, advance, make_ticket
from tickets import queue
from tickets.models import Ticket
from tickets.queue import QueueFilter, statement_key

QUERIES = [
    "", "?view=mine", "?view=unassigned&sort=priority", "?view=level&sort=deadline", "?view=breaching",
    "?priority=P3&sort=age", "?status=in_progress&sort=updated", "?q=Imprimante", "?category={category}",
    "?organisation={organisation}&assignee={agent}", "?created_after=2020-01-01&updated_before=2100-01-01",
    "?ticket_type=incident&channel=web", "?view=at_risk", "?view=next", "?priority=bogus",
]
TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')
NEXT = re.compile(r'href="\?([^"]*after=[^"]+)" rel="next"')


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return TOKENS.sub(r"\1…", response.content.decode())


@pytest.fixture
def queue_data(requester, agent_n1, category):
    organisation = OrganisationFactory(name="Acme")
    requester.organisation = organisation
    requester.save()
    for number in range(5):
        ticket = make_ticket(requester=requester, category=category, title=f"Imprimante {number}")
        if number % 2:
            advance(ticket, to="in_progress", agent=agent_n1)
    return {"category": category.pk, "organisation": organisation.pk, "agent": agent_n1.pk}


def test_compiled_pages_are_fresh_pages(client, agent_n1, queue_data, settings, monkeypatch):
    settings.HELPDESK_PAGE_SIZE = 2  # so that most queries have a next page, with its cursor
    client.force_login(agent_n1)
    urls = [reverse("agent:queue") + query.format(**queue_data) for query in QUERIES]

    def pages():
        seen = []
        for url in urls:
            seen.append(_page(client, url))
            seen.append(_page(client, url))  # the second from the compiled statement
            found = NEXT.search(seen[-1])
            if found:
                seen.append(_page(client, reverse("agent:queue") + "?" + found.group(1).replace("&amp;", "&")))
        return seen

    compiled = pages()
    assert any(key[0][0] == "tickets.queue" for key in connection._helpdesk_statements if isinstance(key[0], tuple))
    monkeypatch.setattr(queue, "statement_key", lambda filterset: None)
    monkeypatch.setattr("tickets.views.agent.statement_key", lambda filterset: None)
    fresh = pages()

    assert compiled == fresh
    assert sum("Imprimante" in page for page in fresh) > len(urls)


def _references(client, query: str) -> list[str]:
    return re.findall(r'<tr data-href="/agent/tickets/([0-9-]+)/"', _page(client, reverse("agent:queue") + query))


def test_mine_is_each_agent_s_own(client, agent_n1, agent_n2, requester, category):
    first = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    second = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n2)

    client.force_login(agent_n1)
    assert _references(client, "?view=mine") == [first.reference]
    client.force_login(agent_n2)
    assert _references(client, "?view=mine") == [second.reference]


def test_a_new_sub_category_and_a_new_level_reach_the_next_page(client, agent_n1, agent_n2, requester, category):
    client.force_login(agent_n1)
    assert _references(client, f"?category={category.pk}") == []
    ticket = make_ticket(requester=requester, category=CategoryFactory(name="VPN", parent=category))
    assert _references(client, f"?category={category.pk}") == [ticket.reference]

    n2 = make_ticket(requester=requester, category=category)
    Ticket.objects.filter(pk=n2.pk).update(level="N2")
    assert n2.reference not in _references(client, "?view=level")
    agent_n1.groups.add(Group.objects.get(name="N2"))
    assert _references(client, "?view=level") == [n2.reference]


def test_the_key_names_what_the_statement_is_built_from(agent_n1, agent_n2, category):
    def key(agent, **params):
        data = QueryDict(mutable=True)
        data.update({"view": "all", "sort": "newest", **params})
        filterset = QueueFilter(data, agent=agent, queryset=Ticket.objects.all())
        assert filterset.is_valid()
        return statement_key(filterset)

    assert key(agent_n1) == key(agent_n2)  # "All open" is everyone's
    assert key(agent_n1, view="mine") != key(agent_n2, view="mine")
    assert key(agent_n1, view="level") != key(agent_n2, view="level")
    assert key(agent_n1, priority="P3") != key(agent_n1, priority="P2")
    with timezone.override("America/New_York"):
        new_york = key(agent_n1, created_after="2026-01-01")
    assert new_york != key(agent_n1, created_after="2026-01-01")
    before = key(agent_n1, category=str(category.pk))
    CategoryFactory(name="VPN", parent=category)
    assert key(agent_n1, category=str(category.pk)) != before
    assert key(agent_n1, view="breaching") is None and key(agent_n1, view="at_risk") is None


def test_objects_compiled_builds_what_the_queryset_does(agent_n1, requester, category, django_assert_num_queries):
    for number in range(3):
        make_ticket(requester=requester, category=category, title=f"Panne {number}")
    queryset = (Ticket.objects.select_related("requester", "category").only("reference", "title", "status",  # a state field
                                                                            "requester__username", "category__name")
                .order_by("-id"))
    expected = [(t.pk, t.reference, t.title, t.requester.username, t.category.name) for t in queryset]

    for _ in range(2):
        with django_assert_num_queries(1):
            found = core_db.objects_compiled(("test", "tickets"), lambda: queryset)
            assert [(t.pk, t.reference, t.title, t.requester.username, t.category.name) for t in found] == expected
    assert found[0].get_deferred_fields() == queryset[0].get_deferred_fields()
    stock = list(queryset)[0]
    with CaptureQueriesContext(connection) as ours:  # a column not read loads as Django's deferred fields do
        ours_description = found[0].description
    with CaptureQueriesContext(connection) as theirs:
        theirs_description = stock.description
    assert ours_description == theirs_description and len(ours) == len(theirs) >= 1
    with pytest.raises(ValueError):
        core_db.objects_compiled(("test", "prefetch"), lambda: queryset.prefetch_related("sla_clocks"))


def test_objects_compiled_keeps_the_most_recent_statements(db_connection_statements, monkeypatch, requester):
    monkeypatch.setattr(db_connection_statements, "size", 2)
    built = []

    def run(key):
        return core_db.objects_compiled(("test", key), lambda: built.append(key) or Ticket.objects.filter(pk=key))

    for key in (1, 2, 1, 3, 2):
        run(key)
    assert built == [1, 2, 3, 2]
    assert len(db_connection_statements) == 2


def test_objects_compiled_for_ids(requester, category, django_assert_num_queries):
    tickets = [make_ticket(requester=requester, category=category, title=f"Panne {n}") for n in range(3)]
    ids = [t.pk for t in tickets]

    def build(placeholders):
        return Ticket.objects.filter(pk__in=placeholders).only("title", "status").order_by("id")

    for chosen in (ids, ids[1:], ids[:2], ids[::-1], [ids[2]]):
        with django_assert_num_queries(1):
            assert [t.title for t in core_db.objects_compiled_for_ids("test.tickets", build, chosen)] == [
                t.title for t in tickets if t.pk in chosen]
    assert core_db.objects_compiled_for_ids("test.tickets", build, []) == []
    with pytest.raises(ValueError):
        core_db.objects_compiled_for_ids("test.constant", lambda placeholders: Ticket.objects.filter(pk=1), [1])


@pytest.fixture
def db_connection_statements(db):
    statements = core_db._connection_statements()
    statements.clear()
    return statements
