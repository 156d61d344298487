"""The deadline-aware rule (a margin enough for the ticket, then the load), and what the sweep does
besides giving unassigned tickets: hand on an off-duty agent's unstarted tickets that would wait too
long for them, and even the loads out at the levels that assign by load."""

from __future__ import annotations

from datetime import date, time, timedelta

from dispatch.models import Absence, AgentProfile, Assignment, HandlingStat, Policy, Trigger
from dispatch.services import dispatch_sweep
from sla.models import BusinessCalendar
from sla.services import sla_calendar_save
from tests.factories import CategoryFactory, advance, make_ticket
from tickets import services as ticket_services

from .conftest import make_agent, set_policy


def _new(requester, category, **kwargs):
    ticket = make_ticket(requester=requester, category=category, **kwargs)
    ticket.refresh_from_db()
    return ticket


def _give(ticket, agent):
    ticket_services.ticket_assign(ticket=ticket, actor=agent, assignee=agent)
    ticket.refresh_from_db()
    return ticket


def test_deadline_aware_gives_to_the_least_loaded_of_the_agents_with_margin_enough(team, requester, erp, clock):
    set_policy(Policy.OFF)
    # Julien: two P4 tickets (the new P3 would go before them: its whole 4 hours of margin).
    # Sarah: one P3 due before the new one (it would start after an hour: 3 hours of margin).
    for _i in range(2):
        _give(_new(requester, erp, urgency="low", impact="low"), team["julien"])
    _give(_new(requester, erp), team["sarah"])
    AgentProfile.objects.filter(agent=team["marc"]).update(is_available=False)
    clock.shift(timedelta(minutes=5))
    set_policy(Policy.DEADLINE_AWARE)
    ticket = _new(requester, erp)
    # Both margins exceed what the ticket needs (p90 − p50 = 2 h by default): they are equally safe,
    # and the lighter load decides, not the hour of margin more.
    assert ticket.assignee == team["sarah"]
    log = Assignment.objects.get(ticket=ticket)
    assert log.open_count == 1 and log.margin_seconds == 3 * 3600  # due 14:05, started at 11:05


def test_deadline_aware_takes_the_largest_margin_when_no_queue_is_safe(team, requester, erp, clock):
    set_policy(Policy.OFF)
    # Both hold P2 tickets due in the hour: a new P2 would be late behind either; Julien's queue is shorter.
    for _i in range(3):
        _give(_new(requester, erp, urgency="high"), team["sarah"])
    _give(_new(requester, erp, urgency="high"), team["julien"])
    _give(_new(requester, erp, urgency="high"), team["julien"])
    AgentProfile.objects.filter(agent=team["marc"]).update(is_available=False)
    set_policy(Policy.DEADLINE_AWARE)
    ticket = _new(requester, erp, urgency="high")
    assert ticket.assignee == team["julien"]


def _morning_shift():
    calendar = BusinessCalendar(name="Matin", time_zone="Europe/Paris", holiday_country="FR")
    return sla_calendar_save(calendar=calendar, hours=[(d, time(8), time(12)) for d in range(5)], holidays=[])


def test_an_off_duty_agents_unstarted_ticket_that_cannot_wait_for_them_is_handed_on(team, requester, erp, clock):
    set_policy(Policy.ROUND_ROBIN)
    morning = make_agent("paul", "Paul", "Morin", categories=[erp], calendar=_morning_shift())
    set_policy(Policy.OFF)
    urgent = _give(_new(requester, erp, urgency="high"), morning)  # P2: first response within the hour
    later = _give(_new(requester, erp, urgency="low", impact="low"), morning)  # P4: within 24 hours
    started = _give(_new(requester, erp, urgency="high"), morning)
    started = advance(started, to="in_progress", agent=morning)
    set_policy(Policy.ROUND_ROBIN)
    clock.shift(timedelta(hours=2, minutes=30))  # 12:30: Paul's shift is over until 8:00 tomorrow
    assert dispatch_sweep() == 1
    for ticket in (urgent, later, started):
        ticket.refresh_from_db()
    assert urgent.assignee in (team["julien"], team["sarah"], team["marc"])
    assert Assignment.objects.get(ticket=urgent).trigger == Trigger.OFF_DUTY
    # Back at 8:00, in time for a first response due at 12:30 tomorrow; and a started ticket stays his.
    assert later.assignee == morning and started.assignee == morning
    assert dispatch_sweep() == 0


def test_an_absent_agents_unstarted_tickets_go_to_the_present_ones(team, requester, erp, clock):
    set_policy(Policy.OFF)
    ticket = _give(_new(requester, erp, urgency="low", impact="low"), team["julien"])
    Absence.objects.create(agent=team["julien"], starts_on=date(2026, 3, 4), ends_on=date(2026, 3, 5))
    set_policy(Policy.LEAST_LOADED)
    assert dispatch_sweep() == 1
    ticket.refresh_from_db()
    assert ticket.assignee in (team["sarah"], team["marc"])


def test_nobody_present_leaves_an_off_duty_agents_tickets_where_they_are(team, requester, erp, clock):
    set_policy(Policy.OFF)
    ticket = _give(_new(requester, erp, urgency="high"), team["julien"])
    set_policy(Policy.ROUND_ROBIN)
    clock.shift(timedelta(hours=10))  # 20:00: everybody's day is over
    assert dispatch_sweep() == 0
    ticket.refresh_from_db()
    assert ticket.assignee == team["julien"]


def test_the_sweep_evens_out_the_loads_of_present_agents(team, requester, erp, clock):
    # Julien received four tickets while he was the only one available (the others were away).
    set_policy(Policy.LEAST_LOADED)
    for name in ("sarah", "marc"):
        AgentProfile.objects.filter(agent=team[name]).update(is_available=False)
    tickets = [_new(requester, erp, urgency="low", impact="low") for _i in range(4)]
    set_policy(Policy.OFF)
    by_hand = _give(_new(requester, erp, urgency="low", impact="low"), team["julien"])  # a person's choice
    set_policy(Policy.LEAST_LOADED)
    assert all(t.assignee == team["julien"] for t in tickets)
    AgentProfile.objects.filter(agent__in=[team["sarah"], team["marc"]]).update(is_available=True)
    # Five open tickets against none and none: three move, the latest deadlines first, until no one
    # holds two more than another (5/0/0 → 2/2/1 or 2/1/2).
    assert dispatch_sweep() == 3
    loads = sorted(t.assignee.username for t in (*tickets, by_hand) if t.refresh_from_db() is None)
    assert sorted(loads.count(name) for name in ("julien", "sarah", "marc")) == [1, 2, 2]
    by_hand.refresh_from_db()
    assert by_hand.assignee == team["julien"]
    moved = Assignment.objects.filter(trigger=Trigger.REBALANCE)
    assert moved.count() == 3 and set(moved.values_list("ticket_id", flat=True)) <= {t.pk for t in tickets}
    assert dispatch_sweep() == 0  # balanced: a second sweep moves nothing


def test_round_robin_does_not_even_out_loads(team, requester, erp, clock):
    set_policy(Policy.ROUND_ROBIN)
    for name in ("sarah", "marc"):
        AgentProfile.objects.filter(agent=team[name]).update(is_available=False)
    for _i in range(3):
        _new(requester, erp)
    AgentProfile.objects.filter(agent__in=[team["sarah"], team["marc"]]).update(is_available=True)
    assert dispatch_sweep() == 0


def test_a_started_ticket_is_never_moved_to_even_loads(team, requester, erp, clock):
    set_policy(Policy.LEAST_LOADED)
    for name in ("sarah", "marc"):
        AgentProfile.objects.filter(agent=team[name]).update(is_available=False)
    tickets = [_new(requester, erp) for _i in range(3)]
    for ticket in tickets:
        advance(ticket, to="in_progress", agent=team["julien"])
    AgentProfile.objects.filter(agent__in=[team["sarah"], team["marc"]]).update(is_available=True)
    assert dispatch_sweep() == 0


def test_evening_out_respects_the_skills(team, requester, erp, clock):
    network = CategoryFactory(name="Réseau")
    set_policy(Policy.LEAST_LOADED)
    for name in ("julien", "sarah"):
        AgentProfile.objects.filter(agent=team[name]).update(is_available=False)
    tickets = [_new(requester, network) for _i in range(3)]
    assert all(t.assignee == team["marc"] for t in tickets)
    AgentProfile.objects.filter(agent__in=[team["julien"], team["sarah"]]).update(is_available=True)
    assert dispatch_sweep() == 0  # only Marc handles the network


def test_a_ticket_its_queue_would_make_late_goes_to_a_colleague_who_meets_its_deadline(team, requester, erp, clock):
    # Julien received two P2 tickets (first response within the hour) while he was the only one present.
    set_policy(Policy.DEADLINE_AWARE)
    for name in ("sarah", "marc"):
        AgentProfile.objects.filter(agent=team[name]).update(is_available=False)
    first, second = (_new(requester, erp, urgency="high") for _i in range(2))
    assert first.assignee == second.assignee == team["julien"]
    # Sarah comes back holding two P4 tickets given by hand: the loads are even (2 and 2).
    set_policy(Policy.OFF)
    for _i in range(2):
        _give(_new(requester, erp, urgency="low", impact="low"), team["sarah"])
    AgentProfile.objects.filter(agent=team["sarah"]).update(is_available=True)
    set_policy(Policy.DEADLINE_AWARE)
    clock.shift(timedelta(minutes=10))
    # Behind the first (an hour of work), the second would start at 11:10, ten minutes after its
    # deadline; Sarah would answer it at once (her P4s are due tomorrow): it moves, and only it.
    assert dispatch_sweep() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assignee == team["julien"] and second.assignee == team["sarah"]
    log = Assignment.objects.filter(ticket=second).latest("pk")
    assert log.trigger == Trigger.AT_RISK and log.margin_seconds == 50 * 60
    assert dispatch_sweep() == 0  # met where it is now: it stays


def test_a_ticket_late_in_every_queue_stays_where_it_is(team, requester, erp, clock):
    set_policy(Policy.DEADLINE_AWARE)
    for name in ("sarah", "marc"):
        AgentProfile.objects.filter(agent=team[name]).update(is_available=False)
    _first, second = (_new(requester, erp, urgency="high") for _i in range(2))
    set_policy(Policy.OFF)
    for _i in range(2):  # Sarah's own P2s, due before Julien's second: it would be late behind them too
        _give(_new(requester, erp, urgency="high"), team["sarah"])
    AgentProfile.objects.filter(agent=team["sarah"]).update(is_available=True)
    set_policy(Policy.DEADLINE_AWARE)
    clock.shift(timedelta(minutes=10))
    assert dispatch_sweep() == 0
    second.refresh_from_db()
    assert second.assignee == team["julien"]


def test_deadline_aware_counts_the_ticket_an_agent_has_in_hand_first(team, requester, erp, clock):
    HandlingStat.objects.create(category=None, level="N1", samples=10, response_p50=600, response_p90=1200,
                                handling_p50=2 * 3600, handling_p90=2 * 3600 + 1800)
    set_policy(Policy.OFF)
    # Julien works on a P3 he took (an hour of it left, due in two days); Sarah holds a P4 not started.
    advance(_give(_new(requester, erp), team["julien"]), to="in_progress", agent=team["julien"])
    _give(_new(requester, erp, urgency="low", impact="low"), team["sarah"])
    AgentProfile.objects.filter(agent=team["marc"]).update(is_available=False)
    set_policy(Policy.DEADLINE_AWARE)
    ticket = _new(requester, erp, urgency="high")  # P2: first response within the hour
    # Julien would answer it after the hour his ticket in hand still needs (no margin, it needs 30 min);
    # Sarah at once, her P4 overtaken (an hour of margin): Sarah, though loads and rotation are equal.
    assert ticket.assignee == team["sarah"]
    assert Assignment.objects.get(ticket=ticket).margin_seconds == 3600
