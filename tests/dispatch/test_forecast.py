"""The breach forecast: percentiles, the queue arithmetic, at-risk flags and one alert per ticket."""

from __future__ import annotations

from datetime import time, timedelta

from dispatch.models import Forecast, HandlingStat, Policy
from dispatch.services import forecasts_refresh, handling_stats_recompute
from dispatch.services.forecast import percentile
from tests.factories import advance, make_ticket
from tickets import services as ticket_services
from tickets.models import EventKind, Notification

from .conftest import T0, set_policy


def test_percentiles_are_nearest_rank():
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.9) == 90
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) == 0


def test_handling_stats_come_from_resolved_tickets_per_category_and_level(team, requester, erp, clock):
    set_policy(Policy.OFF)
    for minutes in (10, 20, 30, 40, 50, 60):
        ticket = make_ticket(requester=requester, category=erp)
        ticket = advance(ticket, to="in_progress", agent=team["julien"])
        clock.shift(timedelta(minutes=minutes))
        ticket_services.ticket_resolve(ticket=ticket, actor=team["julien"], solution="ok")
    assert handling_stats_recompute() == 2  # ERP × N1, and N1 as a whole
    stat = HandlingStat.objects.get(category=erp, level="N1")
    assert stat.samples == 6
    assert stat.handling_p50 == 30 * 60
    assert stat.handling_p90 == 60 * 60


def test_handling_is_the_time_worked_not_the_time_a_ticket_waited_behind_another(team, requester, erp, clock):
    set_policy(Policy.OFF)
    julien = team["julien"]
    first = advance(make_ticket(requester=requester, category=erp), to="in_progress", agent=julien)
    second = advance(make_ticket(requester=requester, category=erp), to="in_progress", agent=julien)
    clock.shift(timedelta(minutes=40))
    ticket_services.ticket_resolve(ticket=first, actor=julien, solution="ok")
    clock.shift(timedelta(minutes=20))
    ticket_services.ticket_resolve(ticket=second, actor=julien, solution="ok")
    handling_stats_recompute()
    stat = HandlingStat.objects.get(category=None, level="N1")
    # Both taken at 10:00; the second was worked from 10:40, when the first was done: 40 and 20 minutes
    # (not 40 and 60).
    assert stat.samples == 2
    assert (stat.handling_p50, stat.handling_p90) == (20 * 60, 40 * 60)


def test_a_ticket_moved_to_another_level_counts_for_each_level_from_its_arrival(team, requester, erp, clock):
    from .conftest import make_agent

    set_policy(Policy.OFF)
    specialist = make_agent("lea", "Léa", "Garnier", level="N2", categories=[erp])
    ticket = advance(make_ticket(requester=requester, category=erp), to="in_progress", agent=team["julien"])
    clock.shift(timedelta(minutes=30))
    ticket_services.ticket_set_level(ticket=ticket, actor=team["julien"], level="N2", reason="skill_unavailable")
    ticket.refresh_from_db()
    clock.shift(timedelta(minutes=90))
    ticket_services.ticket_resolve(ticket=ticket, actor=specialist, solution="ok")
    handling_stats_recompute()
    assert HandlingStat.objects.get(category=None, level="N1").handling_p50 == 30 * 60
    assert HandlingStat.objects.get(category=None, level="N2").handling_p50 == 90 * 60


def test_the_forecast_follows_the_agents_queue_earliest_deadline_first(team, requester, erp, clock):
    set_policy(Policy.OFF)
    HandlingStat.objects.create(category=None, level="N1", samples=10, response_p50=600, response_p90=1200,
                                handling_p50=3600, handling_p90=7200)
    first = make_ticket(requester=requester, category=erp)  # P3: response due in 4 h
    second = make_ticket(requester=requester, category=erp, urgency="high")  # P2: response due in 1 h
    for ticket in (first, second):
        ticket_services.ticket_assign(ticket=ticket, actor=team["julien"], assignee=team["julien"])
    result = forecasts_refresh()
    assert result["tickets"] == 2
    urgent, later = Forecast.objects.get(ticket=second), Forecast.objects.get(ticket=first)
    # The P2 goes first: answered now, done in an hour; the P3 starts after it.
    assert urgent.response_expected_at == T0
    assert urgent.resolution_expected_at == T0 + timedelta(hours=1)
    assert later.response_expected_at == T0 + timedelta(hours=1)
    assert later.resolution_expected_at == T0 + timedelta(hours=2)
    assert not urgent.at_risk and not later.at_risk


def test_a_ticket_whose_forecast_passes_its_deadline_is_at_risk_and_alerted_once(team, requester, erp, clock, manager):
    set_policy(Policy.OFF)
    HandlingStat.objects.create(category=None, level="N1", samples=10, response_p50=600, response_p90=1200,
                                handling_p50=2 * 3600, handling_p90=4 * 3600)
    # Three P2 tickets for Julien: the third would be answered after 4 h, its deadline is in 1 h.
    tickets = [make_ticket(requester=requester, category=erp, urgency="high") for _i in range(3)]
    for ticket in tickets:
        ticket_services.ticket_assign(ticket=ticket, actor=team["julien"], assignee=team["julien"])
    result = forecasts_refresh()
    at_risk = Forecast.objects.filter(at_risk=True)
    assert result["at_risk"] == at_risk.count() == 2
    assert result["alerted"] == 2
    flagged = at_risk.order_by("margin_seconds").first()
    assert flagged.risk_target == "response" and flagged.margin_seconds == -3 * 3600
    events = list(tickets[2].events.filter(kind=EventKind.SLA, data__sla="at_risk"))
    assert len(events) == 1
    assert Notification.objects.filter(recipient=manager, template="sla_at_risk").count() == 2
    clock.shift(timedelta(minutes=5))
    again = forecasts_refresh()
    assert again["alerted"] == 0
    assert Notification.objects.filter(recipient=manager, template="sla_at_risk").count() == 2
    assert Forecast.objects.get(ticket=tickets[2]).flagged_at == T0  # the first time it was flagged


def test_unassigned_tickets_wait_for_the_levels_present_agents(team, requester, erp, clock):
    set_policy(Policy.OFF)
    HandlingStat.objects.create(category=None, level="N1", samples=10, response_p50=600, response_p90=1200,
                                handling_p50=3 * 3600, handling_p90=6 * 3600)
    tickets = [make_ticket(requester=requester, category=erp) for _i in range(6)]
    forecasts_refresh()
    starts = sorted(Forecast.objects.filter(ticket__in=tickets).values_list("response_expected_at", flat=True))
    # Three agents share the level: each 3 h ticket takes an hour of the level's capacity.
    assert starts == [T0 + timedelta(hours=h) for h in range(6)]


def test_forecasts_of_resolved_tickets_are_dropped(team, requester, erp, clock):
    set_policy(Policy.OFF)
    ticket = make_ticket(requester=requester, category=erp)
    forecasts_refresh()
    assert Forecast.objects.filter(ticket=ticket).exists()
    advance(ticket, to="resolved", agent=team["julien"])
    forecasts_refresh()
    assert not Forecast.objects.filter(ticket=ticket).exists()


def test_unassigned_tickets_wait_only_for_the_work_due_before_them(team, requester, erp, clock):
    set_policy(Policy.OFF)
    HandlingStat.objects.create(category=None, level="N1", samples=10, response_p50=600, response_p90=1200,
                                handling_p50=3600, handling_p90=7200)
    # Julien holds six P4 tickets (answer within 24 h): the sweep would give him the P3 before them.
    for _i in range(6):
        ticket = make_ticket(requester=requester, category=erp, urgency="low", impact="low")
        ticket_services.ticket_assign(ticket=ticket, actor=team["julien"], assignee=team["julien"])
    urgent = make_ticket(requester=requester, category=erp, urgency="high")  # P2, held by Sarah: due first
    ticket_services.ticket_assign(ticket=urgent, actor=team["sarah"], assignee=team["sarah"])
    waiting = make_ticket(requester=requester, category=erp)  # P3, nobody's
    forecasts_refresh()
    forecast = Forecast.objects.get(ticket=waiting)
    # Behind the P2's hour of work shared by the three present agents (20 min), not behind the P4s.
    assert forecast.response_expected_at == T0 + timedelta(minutes=20)
    assert not forecast.at_risk


def test_a_ticket_its_agent_would_start_after_their_shift_is_forecast_with_the_level(team, requester, erp, clock):
    from sla.models import BusinessCalendar
    from sla.services import sla_calendar_save

    from .conftest import make_agent

    set_policy(Policy.OFF)
    HandlingStat.objects.create(category=None, level="N1", samples=10, response_p50=600, response_p90=1200,
                                handling_p50=3600, handling_p90=7200)
    morning = sla_calendar_save(calendar=BusinessCalendar(name="Matin", time_zone="Europe/Paris",
                                                          holiday_country="FR"),
                                hours=[(d, time(8), time(12)) for d in range(5)], holidays=[])
    paul = make_agent("paul", "Paul", "Morin", categories=[erp], calendar=morning)
    tickets = [make_ticket(requester=requester, category=erp) for _i in range(3)]  # P3: answer by 14:00
    for ticket in tickets:
        ticket_services.ticket_assign(ticket=ticket, actor=paul, assignee=paul)
    set_policy(Policy.DEADLINE_AWARE)
    forecasts_refresh()
    starts = [Forecast.objects.get(ticket=t) for t in tickets]
    assert [f.response_expected_at for f in starts[:2]] == [T0, T0 + timedelta(hours=1)]
    # Paul's shift ends at 12:00 and he is back at 8:00 tomorrow, too late: the sweep hands the third
    # on at 12:00 to the agents present then (not at risk), instead of a start tomorrow (at risk).
    assert starts[2].response_expected_at == T0 + timedelta(hours=2)
    assert not any(f.at_risk for f in starts)


def test_a_levels_pool_is_worked_by_each_agent_in_their_own_hours(db, office_hours):
    from dispatch.services.forecast import Crew
    from sla.models import BusinessCalendar
    from sla.services import sla_calendar_save

    afternoon = sla_calendar_save(calendar=BusinessCalendar(name="Après-midi", time_zone="Europe/Paris",
                                                            holiday_country="FR"),
                                  hours=[(d, time(14), time(18)) for d in range(5)], holidays=[])
    crew = Crew([office_hours.as_working_calendar(), afternoon.as_working_calendar()], T0)  # Wednesday 10:00
    # Alone until 14:00 (4 h of work), then two: the fifth hour is done by 14:30.
    assert crew.done_at(timedelta(hours=5)) == T0 + timedelta(hours=4, minutes=30)
    # One ticket's own hour is one agent's hour, whoever else works.
    assert crew.done_at(timedelta(hours=1), start=T0 + timedelta(hours=4), agents=1) == T0 + timedelta(hours=5)
    # 12 h: 4 alone, then 4 h × 2 until 18:00; the last hour tomorrow from 9:00, alone.
    assert crew.done_at(timedelta(hours=13)) == T0 + timedelta(days=1)
