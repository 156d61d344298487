"""The agent's next ticket: at a deadline-aware level, the tickets whose next deadline can still be met
first (earliest deadline first), the lost ones after (earliest first, back among the others a day after
their deadline); plain earliest deadline first elsewhere. The rule (`work_order`), its read (`agent_work_order`), the queue's "Prochains" view."""

from __future__ import annotations

from datetime import timedelta

from dispatch.models import HandlingStat, Policy
from dispatch.selectors import QueuedTicket, agent_work_order, work_order
from tests.conftest import login
from tests.factories import make_ticket
from tickets.models import Ticket

from .conftest import T0, set_policy

H = timedelta(hours=1)


def item(pk, due, work=H, *, responded=True, level="N1"):
    return QueuedTicket(pk=pk, key=due, response_due_at=None if responded else due,
                        resolution_due_at=due if responded else None, responded=responded, work=work, level=level)


def pks(items):
    return [i.pk for i in items]


def test_a_lost_ticket_goes_after_one_that_can_still_be_met():
    lost = item(1, T0 + 30 * timedelta(minutes=1))  # one hour of work, due in 30 minutes: lost
    met = item(2, T0 + 2 * H)
    assert pks(work_order([lost, met], now=T0, calendar=None)) == [2, 1]
    # Not deadline-aware (round-robin, least-loaded, no policy): plain earliest deadline first.
    assert pks(work_order([lost, met], now=T0, calendar=None, deadline_aware=lambda i: False)) == [1, 2]


def test_a_ticket_is_met_only_behind_the_met_ones_ahead_and_the_lost_keep_their_order():
    tickets = [
        item(1, T0 - H),  # already past
        item(2, T0 + H),  # met: done at T0 + 1 h
        item(3, T0 + 90 * timedelta(minutes=1)),  # behind 2 it would end at T0 + 2 h: lost
        item(4, T0 + 2 * H),  # 3 set aside, so done at T0 + 2 h: met
        item(5, T0 + 150 * timedelta(minutes=1)),  # would end at T0 + 3 h: lost
    ]
    assert pks(work_order(tickets, now=T0, calendar=None)) == [2, 4, 1, 3, 5]


def test_a_lost_ticket_is_not_starved_it_comes_back_a_day_after_its_deadline(monkeypatch):
    lost_today = item(1, T0 - 2 * H)  # comes back as if due at T0 + 22 h
    lost_yesterday = item(2, T0 - 25 * H)  # comes back as if due at T0 - 1 h: before everything
    met = item(3, T0 + 3 * H)
    tomorrow = item(4, T0 + 30 * H)
    assert pks(work_order([lost_today, lost_yesterday, met, tomorrow], now=T0, calendar=None)) == [2, 3, 1, 4]
    monkeypatch.setattr("dispatch.selectors.LOST_GRACE", None)  # without the grace: after every met ticket
    assert pks(work_order([lost_today, lost_yesterday, met, tomorrow], now=T0, calendar=None)) == [3, 4, 2, 1]


def test_a_first_response_is_met_when_the_ticket_is_started_in_time():
    answer = item(1, T0 + 30 * timedelta(minutes=1), work=2 * H, responded=False)
    assert pks(work_order([answer, item(2, T0 + 3 * H)], now=T0, calendar=None)) == [1, 2]
    late = item(3, T0 + H, responded=False)  # would start at T0 + 2 h, behind ticket 1
    assert pks(work_order([answer, late, item(2, T0 + 4 * H)], now=T0, calendar=None)) == [1, 2, 3]


def test_ties_go_by_id_and_a_ticket_without_deadline_comes_last():
    tickets = [item(3, None), item(2, T0 + 5 * H), item(1, T0 + 5 * H)]
    assert pks(work_order(tickets, now=T0, calendar=None)) == [1, 2, 3]


def test_time_counts_in_the_agents_working_hours(office_hours):
    # At 17:30 on office hours, one hour of work ends at 9:30 the next morning.
    evening = T0.replace(hour=17, minute=30)
    calendar = office_hours.as_working_calendar()
    tonight = item(1, evening + 2 * H)  # due at 19:30: lost on office hours, met round the clock
    tomorrow = item(2, evening + 20 * H)
    assert pks(work_order([tonight, tomorrow], now=evening, calendar=calendar)) == [2, 1]
    assert pks(work_order([tonight, tomorrow], now=evening, calendar=None)) == [1, 2]


def _julien_queue(requester, team, erp):
    """Four tickets in Julien's queue, two hours of work each, first responses due in −10 min, 30 min,
    1 h and 5 h: the first is lost, the second met (started now), the third lost behind it (started at
    12:00), the fourth met (started at 12:00)."""
    from tickets import services as ticket_services

    set_policy(Policy.OFF)
    HandlingStat.objects.create(category=None, level="N1", samples=10, handling_p50=2 * 3600, handling_p90=4 * 3600)
    dues = {"Passée": -10, "Bientôt": 30, "Dans l'heure": 60, "Cet après-midi": 300}
    tickets = {}
    for title, minutes in dues.items():
        ticket = make_ticket(requester=requester, category=erp, title=title)
        ticket_services.ticket_assign(ticket=ticket, actor=team["julien"], assignee=team["julien"])
        Ticket.objects.filter(pk=ticket.pk).update(response_due_at=T0 + timedelta(minutes=minutes),
                                                   resolution_due_at=T0 + timedelta(days=3))
        tickets[title] = ticket.pk
    return tickets


def test_the_agents_order_follows_the_levels_policy(requester, team, erp, clock, django_assert_max_num_queries):
    tickets = _julien_queue(requester, team, erp)
    set_policy(Policy.DEADLINE_AWARE)
    agent_work_order(team["julien"])  # the calendar's hours are read once, then cached until it is saved
    with django_assert_max_num_queries(4):  # the tickets, the observed times, the profile, the settings
        order = agent_work_order(team["julien"])
    assert pks(order) == [tickets[t] for t in ("Bientôt", "Cet après-midi", "Passée", "Dans l'heure")]
    for policy in (Policy.ROUND_ROBIN, Policy.LEAST_LOADED, Policy.OFF):
        set_policy(policy)
        assert pks(agent_work_order(team["julien"])) == [tickets[t] for t in (
            "Passée", "Bientôt", "Dans l'heure", "Cet après-midi")]


def test_the_forecast_lays_the_queue_out_in_the_same_order(requester, team, erp, clock):
    from dispatch.models import Forecast
    from dispatch.services import forecasts_refresh

    tickets = _julien_queue(requester, team, erp)
    set_policy(Policy.DEADLINE_AWARE)
    forecasts_refresh(alert=False)
    expected = dict(Forecast.objects.values_list("ticket_id", "response_expected_at"))
    assert expected[tickets["Bientôt"]] == T0
    assert expected[tickets["Cet après-midi"]] == T0 + 2 * H
    assert expected[tickets["Passée"]] == T0 + 4 * H
    assert expected[tickets["Dans l'heure"]] == T0 + 6 * H  # after the three others


def test_the_next_view_lists_the_agents_tickets_in_working_order(client, requester, team, erp, clock,
                                                                  django_assert_max_num_queries, settings):
    from tests.tickets.test_query_budgets import AGENT_QUEUE

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    tickets = _julien_queue(requester, team, erp)
    set_policy(Policy.DEADLINE_AWARE)
    make_ticket(requester=requester, category=erp, title="Celui de Sarah")
    login(client, team["julien"])
    page = client.get("/agent/").content.decode()
    assert "?view=next" in page and "Prochains" in page  # the view's tab, in French
    client.get("/agent/?view=next")
    # The queue's budget and a fixed number for the order (tickets, observed times, profile, settings).
    with django_assert_max_num_queries(AGENT_QUEUE + 4):
        response = client.get("/agent/?view=next&sort=newest")
    assert [t.pk for t in response.context["tickets"]] == [tickets[t] for t in (
        "Bientôt", "Cet après-midi", "Passée", "Dans l'heure")]


def test_the_next_view_pages_by_keyset(client, requester, team, erp, clock, settings):
    settings.HELPDESK_PAGE_SIZE = 3
    tickets = _julien_queue(requester, team, erp)
    set_policy(Policy.DEADLINE_AWARE)
    login(client, team["julien"])
    seen, url = [], "/agent/?view=next"
    while url:
        response = client.get(url)
        seen += [t.pk for t in response.context["tickets"]]
        cursor = response.context["page"].next_cursor
        url = f"/agent/?view=next&after={cursor}" if cursor else None
    assert seen == [tickets[t] for t in ("Bientôt", "Cet après-midi", "Passée", "Dans l'heure")]


def test_an_agent_without_tickets_gets_an_empty_next_view(client, team, clock):
    login(client, team["marc"])
    response = client.get("/agent/?view=next")
    assert response.status_code == 200 and list(response.context["tickets"]) == []
