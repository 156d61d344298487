"""The toggle, refusing, the "À risque" page and the forecast panels: who sees and does what."""

from __future__ import annotations

from dispatch.models import AgentProfile, Forecast, Policy
from dispatch.services import forecasts_refresh
from tests.conftest import login
from tests.factories import make_ticket

from .conftest import set_policy


def test_an_agent_toggles_their_availability(client, team):
    login(client, team["julien"])
    response = client.get("/dispatch/availability/")
    assert response.status_code == 200 and "Disponible" in response.content.decode()
    response = client.post("/dispatch/availability/toggle/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Absent" in response.content.decode()
    assert AgentProfile.objects.get(agent=team["julien"]).is_available is False


def test_requesters_get_404_on_every_dispatch_page(client, requester, team, erp):
    set_policy(Policy.ROUND_ROBIN)
    ticket = make_ticket(requester=requester, category=erp)
    login(client, requester)
    assert client.get("/dispatch/availability/").status_code == 404
    assert client.post("/dispatch/availability/toggle/").status_code == 404
    assert client.get("/dispatch/at-risk/").status_code == 404
    assert client.post(f"/dispatch/tickets/{ticket.reference}/refuse/", {"reason": "x"}).status_code == 404


def test_another_requester_gets_404_on_the_refusal_of_a_ticket(client, other_requester, requester, team, erp):
    ticket = make_ticket(requester=requester, category=erp)
    login(client, other_requester)
    assert client.post(f"/dispatch/tickets/{ticket.reference}/refuse/", {"reason": "x"}).status_code == 404


def test_the_assignee_refuses_from_the_workspace(client, requester, team, erp):
    set_policy(Policy.ROUND_ROBIN)
    ticket = make_ticket(requester=requester, category=erp)
    login(client, team["julien"])
    page = client.get(ticket.get_agent_url()).content.decode()
    assert "Refuser ce ticket" in page
    response = client.post(f"/dispatch/tickets/{ticket.reference}/refuse/", {"reason": "En formation"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == team["sarah"]


def test_someone_else_refusing_is_a_conflict_not_a_500(client, requester, team, erp):
    set_policy(Policy.ROUND_ROBIN)
    ticket = make_ticket(requester=requester, category=erp)
    login(client, team["sarah"])
    response = client.post(f"/dispatch/tickets/{ticket.reference}/refuse/", {"reason": "Pas moi"})
    assert response.status_code == 409


def test_the_requester_sees_only_the_expected_first_response(client, requester, other_requester, team, erp, clock):
    set_policy(Policy.OFF)
    ticket = make_ticket(requester=requester, category=erp)
    forecasts_refresh()
    login(client, requester)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Première réponse attendue avant 10 h 00" in page
    assert "Marge" not in page and "forecast-panel" not in page
    login(client, other_requester)
    assert client.get(ticket.get_absolute_url()).status_code == 404


def _at_risk_world(requester, team, erp, count):
    """`count` P2 tickets in Julien's queue with two hours of work each: all but the first are late."""
    from dispatch.models import HandlingStat
    from tickets import services as ticket_services

    set_policy(Policy.OFF)
    HandlingStat.objects.create(category=None, level="N1", samples=10, handling_p50=2 * 3600, handling_p90=4 * 3600)
    tickets = [make_ticket(requester=requester, category=erp, urgency="high", title=f"Panne {i:02d}")
               for i in range(count)]
    for ticket in tickets:
        ticket_services.ticket_assign(ticket=ticket, actor=team["julien"], assignee=team["julien"])
    forecasts_refresh()
    return tickets


def test_the_queue_has_an_at_risk_view_riskiest_first(client, requester, team, erp, clock, agent_n1):
    _at_risk_world(requester, team, erp, 3)
    login(client, agent_n1)
    page = client.get("/agent/").content.decode()
    assert "?view=at_risk" in page  # the view's tab, next to the built-in ones
    page = client.get("/agent/?view=at_risk&sort=newest").content.decode()
    # The view imposes its order whatever the sort chosen: the least margin first.
    assert page.index("Panne 02") < page.index("Panne 01")
    assert "Panne 00" not in page
    assert Forecast.objects.filter(at_risk=True).count() == 2


def test_the_at_risk_view_pages_by_keyset_in_risk_order(client, requester, team, erp, clock, agent_n1, settings):
    settings.HELPDESK_PAGE_SIZE = 2
    _at_risk_world(requester, team, erp, 6)
    login(client, agent_n1)
    seen = []
    url = "/agent/?view=at_risk"
    while url:
        response = client.get(url)
        seen += [t.title for t in response.context["tickets"]]
        cursor = response.context["page"].next_cursor
        url = f"/agent/?view=at_risk&after={cursor}" if cursor else None
    assert seen == [f"Panne {i:02d}" for i in range(5, 0, -1)]


def test_the_at_risk_view_keeps_the_queues_budget(client, requester, team, erp, clock, agent_n1,
                                                  django_assert_max_num_queries, settings):
    from tests.tickets.test_query_budgets import AGENT_QUEUE

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    _at_risk_world(requester, team, erp, 12)
    login(client, agent_n1)
    client.get("/agent/?view=at_risk")
    # The queue's own budget: the forecast is joined to the page's query, not read per row.
    with django_assert_max_num_queries(AGENT_QUEUE):
        response = client.get("/agent/?view=at_risk")
    assert response.status_code == 200 and len(response.context["tickets"]) == 11


def test_the_former_at_risk_page_leads_to_the_queue_view(client, team):
    login(client, team["julien"])
    response = client.get("/dispatch/at-risk/")
    assert response.status_code == 302 and response["Location"] == "/agent/?view=at_risk"


def test_the_toggle_without_htmx_never_redirects_off_site(client, team):
    login(client, team["julien"])
    response = client.post("/dispatch/availability/toggle/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/agent/"
    response = client.post("/dispatch/availability/toggle/", {"next": "/kb/"})
    assert response["Location"] == "/kb/"
