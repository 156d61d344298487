"""The postmortem list and an incident's linked tickets at any length (issue 23): keyset pages in order
across rows of the same instant, the filters kept on the page links, the same queries for few rows and
many, and nothing of it for a requester."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from postmortem.models import LinkedTicket, MajorIncident
from postmortem.selectors import LINKS_PAGE
from tests.factories import UserFactory
from tickets.models import Ticket


def _tickets(count: int, *, prefix: str, requester) -> list[Ticket]:
    now = timezone.now()
    return Ticket.objects.bulk_create([
        Ticket(reference=f"{prefix}-{n:06d}", title=f"Panne {n}", description="x", requester=requester,
               created_at=now, updated_at=now, phase_started_at=now) for n in range(count)])


def _incidents(count: int, *, requester) -> list[MajorIncident]:
    """`count` incidents declared two by two at the same instant (the id breaks the tie), newest first."""
    now = timezone.now()
    tickets = _tickets(count, prefix="1990", requester=requester)
    MajorIncident.objects.bulk_create([
        MajorIncident(ticket=ticket, declared_at=now - timedelta(minutes=n // 2), state="alert")
        for n, ticket in enumerate(tickets)])
    return list(MajorIncident.objects.order_by("-declared_at", "-id"))


def _listed(response) -> list[int]:
    return [incident.pk for incident in response.context["incidents"]]


def test_the_list_pages_newest_first_without_gap_or_repeat_and_back(client, requester, agent_n1, settings):
    settings.HELPDESK_PAGE_SIZE = 4
    expected = [incident.pk for incident in _incidents(11, requester=requester)]
    client.force_login(agent_n1)
    seen, params, pages = [], {}, []
    while True:
        response = client.get(reverse("postmortem:list"), params)
        pages.append(response)
        seen += _listed(response)
        if not response.context["page"].next:
            break
        params = {"older": response.context["page"].next}
    assert seen == expected and len(pages) == 3
    back = client.get(reverse("postmortem:list"), {"newer": pages[1].context["page"].previous})
    assert _listed(back) == _listed(pages[0])


def test_the_page_links_keep_the_filters(client, requester, agent_n1, settings):
    settings.HELPDESK_PAGE_SIZE = 2
    _incidents(5, requester=requester)
    client.force_login(agent_n1)
    response = client.get(reverse("postmortem:list"), {"state": "alert"})
    cursor = response.context["page"].next
    assert f'href="?state=alert&amp;older={cursor}"' in response.content.decode()


@pytest.mark.parametrize("count", [3, 300])
def test_the_list_costs_the_same_queries_for_3_and_300_incidents(client, requester, agent_n1, count, settings,
                                                                 django_assert_max_num_queries):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    _incidents(count, requester=requester)
    client.force_login(agent_n1)
    # session, user with its groups, the page (joined with ticket, declarer, postmortem and owner)
    with django_assert_max_num_queries(3):
        first = client.get(reverse("postmortem:list"))
    with django_assert_max_num_queries(3):
        client.get(reverse("postmortem:list"), {"older": first.context["page"].next or ""})


def test_a_requester_gets_404_on_the_list(client, requester):
    client.force_login(requester)
    assert client.get(reverse("postmortem:list")).status_code == 404


# --- The war room's linked tickets


def _link(incident, count: int, *, requester) -> list[int]:
    """`count` tickets linked to the incident, two at each instant, first linked first."""
    now = timezone.now()
    tickets = _tickets(count, prefix="1991", requester=requester)
    LinkedTicket.objects.bulk_create([
        LinkedTicket(incident=incident, ticket=ticket, linked_at=now + timedelta(minutes=n // 2))
        for n, ticket in enumerate(tickets)])
    return list(LinkedTicket.objects.filter(incident=incident).order_by("linked_at", "id")
                .values_list("ticket__reference", flat=True))


def _war_room_links(response) -> list[str]:
    return [link.ticket.reference for link in response.context["links"].links]


def test_the_linked_tickets_page_first_linked_first_without_gap_or_repeat(client, incident, requester, agent_n1):
    expected = _link(incident, 2 * LINKS_PAGE + 7, requester=requester)
    client.force_login(agent_n1)
    url = incident.get_absolute_url()
    seen, params, pages = [], {}, []
    while True:
        response = client.get(url, params)
        pages.append(response)
        seen += _war_room_links(response)
        if not response.context["links"].page.next:
            break
        params = {"links_after": response.context["links"].page.next}
    assert seen == expected and len(pages) == 3
    assert response.context["links"].count == len(expected)
    content = pages[0].content.decode()
    assert f'href="?links_after={pages[0].context["links"].page.next}#links"' in content
    back = client.get(url, {"links_before": pages[1].context["links"].page.previous})
    assert _war_room_links(back) == _war_room_links(pages[0])


def test_more_than_a_thousand_linked_tickets_are_counted_as_such(client, incident, requester, agent_n1):
    _link(incident, 1001, requester=requester)
    client.force_login(agent_n1)
    response = client.get(incident.get_absolute_url())
    assert response.context["links"].count == 1001
    assert "plus de 1\u202f000" in response.content.decode() or "plus de 1 000" in response.content.decode()


@pytest.mark.parametrize("count", [1, 300])
def test_the_war_room_costs_the_same_queries_for_1_and_300_linked_tickets(client, incident, requester, agent_n1,
                                                                          count, django_assert_max_num_queries):
    _link(incident, count, requester=requester)
    client.force_login(agent_n1)
    client.get(incident.get_absolute_url())
    with django_assert_max_num_queries(30) as captured:
        client.get(incident.get_absolute_url())
    # Not a budget of the whole war room (its other panels are tested elsewhere): the linked tickets cost
    # two statements (the page with tickets and assignees, the capped count) at any length.
    links = [q["sql"] for q in captured.captured_queries if "postmortem_linkedticket" in q["sql"]
             and "FROM \"postmortem_linkedticket\"" in q["sql"]]
    assert len(links) == 2, links


def test_a_requester_gets_404_on_the_war_room_and_its_link_pages(client, incident, requester, agent_n1):
    _link(incident, 3, requester=UserFactory(username="someone"))
    client.force_login(requester)
    assert client.get(incident.get_absolute_url()).status_code == 404
    assert client.get(incident.get_absolute_url(), {"links_after": "x"}).status_code == 404
