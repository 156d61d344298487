"""The agent queue: filters, sorts, keyset pagination, built-in and saved views, fixed query counts."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, advance, make_ticket
from tickets import services
from tickets.models import SavedView, Scale, Ticket

ROW = re.compile(r'<tr data-href="/agent/tickets/([0-9-]+)/"[ >]')


def references(response) -> list[str]:
    return ROW.findall(response.content.decode())


@pytest.fixture
def agent_client(client, agent_n1):
    client.force_login(agent_n1)
    return client


def test_default_queue_shows_open_tickets_newest_first(agent_client, requester, agent_n1, category):
    old = make_ticket(requester=requester, category=category, title="Ancien")
    new = make_ticket(requester=requester, category=category, title="Récent")
    closed = advance(make_ticket(requester=requester, category=category), to="closed", agent=agent_n1)

    rows = references(agent_client.get(reverse("agent:queue")))

    assert rows == [new.reference, old.reference]
    assert closed.reference not in rows


@pytest.mark.parametrize("param, matching, other", [
    ("priority", {"urgency": Scale.HIGH, "impact": Scale.HIGH}, {"urgency": Scale.LOW, "impact": Scale.LOW}),
    ("ticket_type", {"ticket_type": "bug_report"}, {"ticket_type": "complaint"}),
    ("channel", {"channel": "phone"}, {"channel": "web"}),
])
def test_each_filter_alone_narrows_the_queue(agent_client, requester, category, param, matching, other):
    hit = make_ticket(requester=requester, category=category, **matching)
    miss = make_ticket(requester=requester, category=category, **other)
    value = {"priority": "P1", "ticket_type": "bug_report", "channel": "phone"}[param]

    rows = references(agent_client.get(reverse("agent:queue"), {param: value}))

    assert hit.reference in rows
    assert miss.reference not in rows


def test_category_filter_includes_sub_categories(agent_client, requester):
    network = CategoryFactory(name="Réseau")
    vpn = CategoryFactory(name="VPN", parent=network)
    printers = CategoryFactory(name="Imprimantes")
    in_child = make_ticket(requester=requester, category=vpn)
    in_parent = make_ticket(requester=requester, category=network)
    elsewhere = make_ticket(requester=requester, category=printers)

    rows = references(agent_client.get(reverse("agent:queue"), {"category": network.pk}))

    assert set(rows) == {in_child.reference, in_parent.reference}
    assert elsewhere.reference not in rows


def test_organisation_assignee_and_status_filters(agent_client, requester, agent_n1, agent_n2, category):
    acme = OrganisationFactory(name="Acme")
    member = UserFactory(username="acme_user", organisation=acme)
    acme_ticket = make_ticket(requester=member, category=category)
    mine = advance(make_ticket(requester=requester, category=category), to="waiting", agent=agent_n1)

    assert references(agent_client.get(reverse("agent:queue"), {"organisation": acme.pk})) == [acme_ticket.reference]
    assert references(agent_client.get(reverse("agent:queue"), {"assignee": agent_n1.pk})) == [mine.reference]
    assert references(agent_client.get(reverse("agent:queue"), {"status": "waiting"})) == [mine.reference]
    assert references(agent_client.get(reverse("agent:queue"), {"assignee": agent_n2.pk})) == []


def test_sla_state_filter_uses_what_the_sla_sweep_recorded(agent_client, requester, category):
    from sla.services import sla_check_deadlines

    late = make_ticket(requester=requester, category=category, urgency=Scale.HIGH, impact=Scale.HIGH)
    fine = make_ticket(requester=requester, category=category, urgency=Scale.LOW, impact=Scale.LOW)
    sla_check_deadlines(now=timezone.now() + timedelta(minutes=20))  # P1 response (15 min) breached

    assert references(agent_client.get(reverse("agent:queue"), {"sla": "breached"})) == [late.reference]
    assert fine.reference in references(agent_client.get(reverse("agent:queue"), {"sla": "on_time"}))


def test_created_range_filter(agent_client, requester, category):
    import time_machine

    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        old = make_ticket(requester=requester, category=category)
    new = make_ticket(requester=requester, category=category)
    since = (timezone.localdate() - timedelta(days=2)).isoformat()

    rows = references(agent_client.get(reverse("agent:queue"), {"created_after": since}))

    assert rows == [new.reference]
    assert old.reference not in rows


def test_search_by_reference_title_and_requester(agent_client, requester, other_requester, category):
    vpn = make_ticket(requester=requester, category=category, title="VPN hors service")
    printer = make_ticket(requester=other_requester, category=category, title="Imprimante bloquée")

    assert references(agent_client.get(reverse("agent:queue"), {"q": "vpn"})) == [vpn.reference]
    assert references(agent_client.get(reverse("agent:queue"), {"q": printer.reference})) == [printer.reference]
    assert references(agent_client.get(reverse("agent:queue"), {"q": "Durand"})) == [printer.reference]


def test_built_in_views(agent_client, requester, agent_n1, agent_n2, category):
    mine = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    theirs = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n2)
    unassigned = make_ticket(requester=requester, category=category)
    at_n2 = make_ticket(requester=requester, category=category)
    services.ticket_set_level(ticket=at_n2, actor=agent_n2, level="N2", reason="test")
    p1 = make_ticket(requester=requester, category=category, urgency=Scale.HIGH, impact=Scale.HIGH)

    def view(name):
        return set(references(agent_client.get(reverse("agent:queue"), {"view": name})))

    assert view("mine") == {mine.reference}
    assert view("unassigned") == {unassigned.reference, at_n2.reference, p1.reference}
    assert theirs.reference in view("level") and at_n2.reference not in view("level")
    assert view("breaching") == {p1.reference}  # P1 response due in 15 min, within the hour


def test_sorts_and_keyset_pages_cover_every_ticket_once(agent_client, requester, category, settings):
    settings.HELPDESK_PAGE_SIZE = 7
    made = {make_ticket(requester=requester, category=category,
                        urgency=[Scale.HIGH, Scale.MEDIUM, Scale.LOW][i % 3]).reference for i in range(20)}
    for sort in ("newest", "priority", "deadline", "age", "updated"):
        seen, url = [], reverse("agent:queue") + f"?sort={sort}"
        while url:
            html = agent_client.get(url).content.decode()
            seen += ROW.findall(html)
            match = re.search(r'href="\?([^"]*after=[^"]+)" rel="next"', html)
            url = reverse("agent:queue") + "?" + match.group(1).replace("&amp;", "&") if match else None
        assert len(seen) == 20 and set(seen) == made, sort
    by_priority = [Ticket.objects.get(reference=r).priority
                   for r in references(agent_client.get(reverse("agent:queue"), {"sort": "priority"}))]
    assert by_priority == sorted(by_priority)


def test_a_forged_cursor_or_unknown_sort_falls_back_to_the_first_page(agent_client, requester, category):
    ticket = make_ticket(requester=requester, category=category)

    for params in ({"after": "not-a-cursor"}, {"after": "W10"}, {"sort": "DROP TABLE"}, {"status": "nope"}):
        response = agent_client.get(reverse("agent:queue"), params)
        assert response.status_code == 200
        assert ticket.reference in references(response)


def test_htmx_request_gets_the_table_only(agent_client, requester, category):
    make_ticket(requester=requester, category=category)

    response = agent_client.get(reverse("agent:queue"), HTTP_HX_REQUEST="true")

    assert b"<html" not in response.content
    assert b'data-testid="queue"' in response.content


def test_saved_views_are_per_agent(client, agent_n1, agent_n2, requester, category):
    client.force_login(agent_n1)
    response = client.post(reverse("agent:saved_view_create"), {"name": "Mes P1", "query": "priority=P1&view=all"})
    assert response.status_code == 302
    assert response["Location"].endswith("?priority=P1&view=all")
    saved = SavedView.objects.get(agent=agent_n1)
    assert "Mes P1" in client.get(reverse("agent:queue")).content.decode()

    client.force_login(agent_n2)
    assert "Mes P1" not in client.get(reverse("agent:queue")).content.decode()
    assert client.post(reverse("agent:saved_view_delete", args=[saved.pk])).status_code == 404
    assert SavedView.objects.filter(pk=saved.pk).exists()


@pytest.mark.parametrize("size", [2, 25])
@pytest.mark.parametrize("params", [
    {}, {"view": "mine"}, {"view": "unassigned"}, {"view": "level"}, {"view": "breaching"},
    {"status": "waiting"}, {"priority": "P3"}, {"level": "N1"}, {"sla": "breached"}, {"q": "imprimante"},
    {"sort": "deadline"}, {"sort": "priority"}, {"category": "self"},
])
def test_every_queue_view_has_a_fixed_query_count(client, agent_n1, requester, django_assert_max_num_queries,
                                                  size, params):
    category = CategoryFactory(name="Imprimantes")
    organisation = OrganisationFactory(name="Acme")
    members = [UserFactory(username=f"member{i}", organisation=organisation) for i in range(3)]
    for i in range(size):
        make_ticket(requester=members[i % 3], category=category, title=f"Imprimante {i}")
    if params.get("category") == "self":
        params = {"category": category.pk}
    client.force_login(agent_n1)

    # session, user, the agent's groups (3); the filter's assignee, category and organisation choices (3);
    # requesters matching a search (a subquery, 0); the page of tickets with requester, assignee,
    # category and organisation joined (1); their SLA clocks (1); the saved views (1); the bulk form's
    # agents (1). Filtering by category adds the chosen category's lookup and the category tree (2).
    budget = 13 if "category" in params else 11
    with django_assert_max_num_queries(budget):
        response = client.get(reverse("agent:queue"), params)
    assert response.status_code == 200
