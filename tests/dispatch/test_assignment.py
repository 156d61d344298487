"""Automatic assignment: each policy, ties by rotation, the maximum load, skills, presence, and the
signals it runs on (created, escalated, reopened)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dispatch.models import Absence, AgentProfile, Assignment, Policy, Trigger
from dispatch.services import dispatch_sweep
from tests.factories import CategoryFactory, advance, make_ticket
from tickets import services as ticket_services
from tickets.models import EventKind

from .conftest import make_agent, set_policy


def _new(requester, category, **kwargs):
    return make_ticket(requester=requester, category=category, **kwargs)


def test_policy_off_leaves_the_ticket_to_the_level(team, requester, erp):
    set_policy(Policy.OFF)
    ticket = _new(requester, erp)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert not Assignment.objects.exists()


def test_no_skill_at_the_level_means_no_automatic_ticket(requester, erp, clock, agent_n1):
    set_policy(Policy.DEADLINE_AWARE)
    ticket = _new(requester, erp)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_round_robin_rotates_over_the_skilled_agents(team, requester, erp):
    set_policy(Policy.ROUND_ROBIN)
    assignees = []
    for _i in range(6):
        ticket = _new(requester, erp)
        ticket.refresh_from_db()
        assignees.append(ticket.assignee.username)
    # Nobody has received one yet: by id first, then whoever waited longest.
    assert assignees == ["julien", "sarah", "marc", "julien", "sarah", "marc"]


def test_least_loaded_gives_to_the_agent_with_fewest_open_tickets(team, requester, erp, clock):
    set_policy(Policy.OFF)
    for _i in range(2):
        ticket_services.ticket_assign(ticket=_new(requester, erp), actor=team["julien"], assignee=team["julien"])
    ticket_services.ticket_assign(ticket=_new(requester, erp), actor=team["sarah"], assignee=team["sarah"])
    set_policy(Policy.LEAST_LOADED)
    ticket = _new(requester, erp)
    ticket.refresh_from_db()
    assert ticket.assignee == team["marc"]


def test_ties_go_by_rotation(team, requester, erp, clock):
    set_policy(Policy.LEAST_LOADED)
    first = _new(requester, erp)
    clock.shift(timedelta(minutes=1))
    second = _new(requester, erp)
    clock.shift(timedelta(minutes=1))
    third = _new(requester, erp)
    owners = {t.reference: t for t in (first, second, third)}
    for t in owners.values():
        t.refresh_from_db()
    assert {t.assignee.username for t in owners.values()} == {"julien", "sarah", "marc"}


def test_deadline_aware_picks_the_queue_that_keeps_the_deadline(team, requester, erp, clock):
    set_policy(Policy.OFF)
    # Julien holds four P2 tickets due soon; Sarah one; Marc none but he is away.
    for _i in range(4):
        ticket_services.ticket_assign(ticket=_new(requester, erp, urgency="high"), actor=team["julien"],
                                      assignee=team["julien"])
    ticket_services.ticket_assign(ticket=_new(requester, erp, urgency="high"), actor=team["sarah"],
                                  assignee=team["sarah"])
    AgentProfile.objects.filter(agent=team["marc"]).update(is_available=False)
    set_policy(Policy.DEADLINE_AWARE)
    ticket = _new(requester, erp, urgency="high")
    ticket.refresh_from_db()
    assert ticket.assignee == team["sarah"]
    log = Assignment.objects.get(ticket=ticket)
    assert log.policy == Policy.DEADLINE_AWARE and log.trigger == Trigger.CREATED
    assert log.open_count == 1 and log.max_open == 8
    assert log.margin_seconds is not None


def test_deadline_aware_prefers_an_agent_whose_queue_leaves_more_margin_even_with_more_tickets(
        team, requester, erp, clock):
    set_policy(Policy.OFF)
    # Julien: two P4 tickets (due in days). Sarah: one P1 ticket due in 15 minutes.
    for _i in range(2):
        ticket_services.ticket_assign(ticket=_new(requester, erp, urgency="low", impact="low"), actor=team["julien"],
                                      assignee=team["julien"])
    ticket_services.ticket_assign(ticket=_new(requester, erp, urgency="high", impact="high"), actor=team["sarah"],
                                  assignee=team["sarah"])
    AgentProfile.objects.filter(agent=team["marc"]).update(is_available=False)
    set_policy(Policy.DEADLINE_AWARE)
    ticket = _new(requester, erp, urgency="high")  # P2: first response within the hour
    ticket.refresh_from_db()
    # Behind Sarah's P1 it would start in an hour; before Julien's P4 tickets, it starts at once.
    assert ticket.assignee == team["julien"]


def test_nobody_above_the_maximum_load(team, requester, erp, clock):
    set_policy(Policy.LEAST_LOADED, max_open=1)
    tickets = [_new(requester, erp) for _i in range(4)]
    for t in tickets:
        t.refresh_from_db()
    assert sorted(t.assignee.username for t in tickets[:3]) == ["julien", "marc", "sarah"]
    assert tickets[3].assignee is None


def test_skills_cover_sub_categories_and_exclude_other_categories(team, requester, erp, erp_sub, clock):
    set_policy(Policy.ROUND_ROBIN)
    network = CategoryFactory(name="Réseau")
    sub = _new(requester, erp_sub)
    sub.refresh_from_db()
    assert sub.assignee == team["julien"]
    other = _new(requester, network)
    other.refresh_from_db()
    assert other.assignee == team["marc"]  # the only one with every category
    log = Assignment.objects.get(ticket=sub)
    assert log.skill == "ERP"


def test_absent_off_shift_and_away_agents_receive_nothing(team, requester, erp, clock):
    set_policy(Policy.ROUND_ROBIN)
    Absence.objects.create(agent=team["julien"], starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 6))
    AgentProfile.objects.filter(agent=team["sarah"]).update(is_available=False)
    ticket = _new(requester, erp)
    ticket.refresh_from_db()
    assert ticket.assignee == team["marc"]
    clock.shift(timedelta(hours=9))  # 19:00: nobody is on shift
    late = _new(requester, erp)
    late.refresh_from_db()
    assert late.assignee is None


def test_the_sweep_gives_waiting_tickets_when_a_shift_begins(team, requester, erp, clock):
    set_policy(Policy.ROUND_ROBIN)
    clock.shift(timedelta(hours=10))  # 20:00
    ticket = _new(requester, erp)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert dispatch_sweep() == 0
    clock.shift(timedelta(hours=13, minutes=5))  # Thursday 9:05
    assert dispatch_sweep() == 1
    ticket.refresh_from_db()
    assert ticket.assignee is not None
    assert Assignment.objects.get(ticket=ticket).trigger == Trigger.SWEEP
    assert dispatch_sweep() == 0  # twice records nothing twice


def test_an_escalated_ticket_goes_to_an_agent_of_the_next_level(team, requester, erp, clock):
    set_policy(Policy.ROUND_ROBIN)
    set_policy(Policy.ROUND_ROBIN, level="N2")
    specialist = make_agent("lea", "Léa", "Garnier", level="N2", categories=[erp])
    ticket = _new(requester, erp)
    ticket.refresh_from_db()
    ticket = advance(ticket, to="in_progress", agent=ticket.assignee)
    ticket_services.ticket_set_level(ticket=ticket, actor=ticket.assignee, level="N2", reason="skill_unavailable")
    ticket.refresh_from_db()
    assert ticket.level == "N2" and ticket.assignee == specialist
    assert Assignment.objects.filter(ticket=ticket, trigger=Trigger.ESCALATED, agent=specialist).exists()


def test_a_reopened_ticket_whose_agent_is_away_goes_to_another(team, requester, erp, clock):
    set_policy(Policy.ROUND_ROBIN)
    ticket = _new(requester, erp)
    ticket.refresh_from_db()
    first = ticket.assignee
    ticket = advance(ticket, to="resolved", agent=first)
    AgentProfile.objects.filter(agent=first).update(is_available=False)
    ticket_services.ticket_reopen(ticket=ticket, actor=requester, reason="Toujours en panne")
    ticket.refresh_from_db()
    assert ticket.assignee not in (None, first)
    assert Assignment.objects.filter(ticket=ticket, trigger=Trigger.REOPENED).exists()


def test_a_reopened_ticket_stays_with_its_present_agent(team, requester, erp, clock):
    set_policy(Policy.ROUND_ROBIN)
    ticket = _new(requester, erp)
    ticket.refresh_from_db()
    first = ticket.assignee
    ticket = advance(ticket, to="resolved", agent=first)
    ticket_services.ticket_reopen(ticket=ticket, actor=requester, reason="Toujours en panne")
    ticket.refresh_from_db()
    assert ticket.assignee == first
    assert not Assignment.objects.filter(ticket=ticket, trigger=Trigger.REOPENED).exists()


def test_the_assignment_is_in_the_timeline_with_its_reason(team, requester, erp):
    set_policy(Policy.DEADLINE_AWARE)
    ticket = _new(requester, erp)
    event = ticket.events.get(kind=EventKind.ASSIGNED)
    assert event.actor is None and not event.is_public
    assert event.data["why"]["by"] == "dispatch"
    assert event.data["why"]["skill"] == "ERP"


@pytest.mark.parametrize("tickets_count", [1, 10])
def test_a_decision_has_a_fixed_query_budget(team, requester, erp, clock, tickets_count, django_assert_max_num_queries):
    from dispatch.services import tickets_dispatch
    from tickets.models import Ticket

    set_policy(Policy.OFF)
    created = [_new(requester, erp) for _i in range(tickets_count)]
    set_policy(Policy.DEADLINE_AWARE)
    tickets = list(Ticket.objects.select_related("assignee", "requester").filter(pk__in=[t.pk for t in created]))
    # settings, handling stats, category tree, skills+agents+profiles+calendars, absences, open tickets,
    # the calendar's hours and holidays (first time seen), UPDATE tickets, INSERT events, INSERT emails,
    # INSERT log, upsert profiles; webhooks' receiver of the recorded events.
    with django_assert_max_num_queries(16):
        rows = tickets_dispatch(tickets=tickets, trigger=Trigger.SWEEP)
    assert len(rows) == tickets_count


def test_without_the_reference_cache_a_batch_reads_the_settings_once(team, requester, erp, clock, settings):
    """Without the reference cache (the embedded default, or Redis down) the level settings and skilled levels
    are read once per batch, not once per ticket: an escalation sweep of 100 tickets made 200 more statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dispatch.services import tickets_dispatch
    from tickets.models import Ticket

    set_policy(Policy.OFF)
    created = [_new(requester, erp) for _i in range(12)]
    set_policy(Policy.DEADLINE_AWARE)
    settings.HELPDESK_REFERENCE_CACHE = False
    counts = []
    for batch in (created[:2], created[2:]):
        tickets = list(Ticket.objects.select_related("assignee", "requester").filter(pk__in=[t.pk for t in batch]))
        with CaptureQueriesContext(connection) as queries:
            rows = tickets_dispatch(tickets=tickets, trigger=Trigger.SWEEP)
        assert len(rows) == len(batch)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_sweep_also_gives_an_escalated_ticket_nobody_could_take(team, requester, erp, clock):
    set_policy(Policy.ROUND_ROBIN)
    set_policy(Policy.ROUND_ROBIN, level="N2")
    ticket = _new(requester, erp)
    ticket.refresh_from_db()
    ticket = advance(ticket, to="in_progress", agent=ticket.assignee)
    ticket_services.ticket_set_level(ticket=ticket, actor=ticket.assignee, level="N2", reason="skill_unavailable")
    ticket.refresh_from_db()
    assert ticket.assignee is None  # nobody holds an N2 skill yet
    specialist = make_agent("lea", "Léa", "Garnier", level="N2", categories=[erp])
    assert dispatch_sweep() == 1
    ticket.refresh_from_db()
    assert ticket.assignee == specialist and ticket.status == "in_progress"


def test_a_skill_given_after_the_cache_was_warm_is_used_at_once(requester, erp, clock, office_hours,
                                                                django_assert_num_queries):
    """Level settings and skilled levels come from the reference cache; a new skill or policy renews them, and
    while nobody holds a skill a ticket costs the dispatch no query at all."""
    set_policy(Policy.ROUND_ROBIN)
    first = _new(requester, erp)
    from dispatch.services.assignment import ticket_dispatch

    with django_assert_num_queries(0):
        assert ticket_dispatch(ticket=first, trigger=Trigger.CREATED) is None
    julien = make_agent("julien", "Julien", "Roux", categories=[erp], calendar=office_hours)
    second = _new(requester, erp)
    second.refresh_from_db()
    assert second.assignee == julien
    set_policy(Policy.OFF)
    third = _new(requester, erp)
    third.refresh_from_db()
    assert third.assignee is None
