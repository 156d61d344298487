"""The auto-close beat job: resolved tickets without an answer are closed after N days (the specification)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sla.models import SlaClock
from tests.factories import advance, make_ticket
from tickets import services
from tickets.models import EventKind, Notification, Status, Survey, Ticket
from tickets.tasks import auto_close_resolved_tickets

START = datetime(2030, 3, 4, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _status(ticket: Ticket) -> str:
    return Ticket.objects.values_list("status", flat=True).get(pk=ticket.pk)


def _close_events(ticket: Ticket):
    return ticket.events.filter(kind=EventKind.TRANSITION, data__transition="close")


def test_the_default_delay_is_seven_days(settings):
    assert settings.HELPDESK_AUTO_CLOSE_DAYS == 7


def test_a_ticket_resolved_more_than_seven_days_ago_is_closed(clock, ticket, agent_n1):
    resolved = advance(ticket, to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=7, minutes=1))

    assert auto_close_resolved_tickets() == 1

    stored = Ticket.objects.get(pk=resolved.pk)
    assert stored.status == Status.CLOSED
    assert stored.closed_at == START + timedelta(days=7, minutes=1)


def test_a_ticket_resolved_less_than_seven_days_ago_stays_resolved(clock, ticket, agent_n1):
    resolved = advance(ticket, to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=6, hours=23, minutes=59))

    assert auto_close_resolved_tickets() == 0

    assert _status(resolved) == Status.RESOLVED
    assert not _close_events(resolved).exists()


def test_only_the_old_enough_resolved_tickets_are_closed(clock, requester, category, agent_n1):
    old = advance(make_ticket(requester=requester, category=category), to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=3))
    young = advance(make_ticket(requester=requester, category=category), to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=4, minutes=1))

    assert auto_close_resolved_tickets() == 1

    assert (_status(old), _status(young)) == (Status.CLOSED, Status.RESOLVED)


@pytest.mark.parametrize("status", ["new", "in_progress", "waiting"])
def test_an_open_ticket_is_never_closed_however_old(clock, ticket, agent_n1, status):
    if status != "new":
        ticket = advance(ticket, to=status, agent=agent_n1)
    clock.shift(timedelta(days=60))

    assert auto_close_resolved_tickets() == 0

    assert _status(ticket) == status


def test_a_reopened_ticket_is_not_closed_on_its_old_resolution_date(clock, ticket, agent_n1, requester):
    resolved = advance(ticket, to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=2))
    services.ticket_reopen(ticket=resolved, actor=requester, reason="Toujours en panne.")
    clock.shift(timedelta(days=30))

    assert auto_close_resolved_tickets() == 0

    assert _status(ticket) == Status.IN_PROGRESS


def test_the_automatic_close_is_recorded_without_an_actor_and_marked_automatic(clock, ticket, agent_n1):
    resolved = advance(ticket, to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=8))

    auto_close_resolved_tickets()

    event = _close_events(resolved).get()
    assert event.actor is None
    assert event.data["automatic"] is True
    assert (event.data["from"], event.data["to"]) == (Status.RESOLVED, Status.CLOSED)


def test_the_requester_is_told_the_ticket_was_closed(clock, ticket, agent_n1):
    resolved = advance(ticket, to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=8))

    auto_close_resolved_tickets()

    event = _close_events(resolved).get()
    assert list(Notification.objects.filter(event=event).values_list("recipient", flat=True)) == [
        resolved.requester_id
    ]


def test_running_the_job_twice_closes_nothing_twice(clock, requester, category, agent_n1):
    tickets = [advance(make_ticket(requester=requester, category=category), to="resolved", agent=agent_n1)
               for _ in range(3)]
    clock.shift(timedelta(days=8))

    first, second = auto_close_resolved_tickets(), auto_close_resolved_tickets()

    assert (first, second) == (3, 0)
    for ticket in tickets:
        assert _close_events(ticket).count() == 1


def test_a_ticket_the_requester_closed_is_not_closed_again(clock, ticket, agent_n1):
    closed = advance(ticket, to="closed", agent=agent_n1)
    clock.shift(timedelta(days=8))

    assert auto_close_resolved_tickets() == 0

    assert _close_events(closed).count() == 1
    assert _close_events(closed).get().data["automatic"] is False


def test_the_delay_follows_the_setting(settings, clock, ticket, agent_n1):
    settings.HELPDESK_AUTO_CLOSE_DAYS = 2
    resolved = advance(ticket, to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=2, minutes=1))

    assert auto_close_resolved_tickets() == 1

    assert _status(resolved) == Status.CLOSED


def test_an_automatic_close_counts_the_closure_phase_surveys_and_stops_the_clocks(clock, requester, category,
                                                                                   agent_n1):
    # ticket_close and the sweep share one implementation (services.lifecycle._close): nothing to compare.
    automatic = advance(make_ticket(requester=requester, category=category), to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=8))

    services.tickets_auto_close()

    two = Ticket.objects.values("status", "closure_seconds", "phase_started_at").get(pk=automatic.pk)
    assert (two["status"], two["phase_started_at"]) == (Status.CLOSED, None)
    assert two["closure_seconds"] == 8 * 24 * 3600  # resolved → closed, counted in the closure phase
    assert Survey.objects.filter(ticket=automatic).exists()
    assert not SlaClock.objects.filter(ticket=automatic, next_check_at__isnull=False).exists()
    assert list(Notification.objects.filter(event__ticket=automatic, event__data__transition="close")
                .values_list("template", flat=True)) == ["survey"]


def test_a_ticket_that_already_has_its_survey_is_not_surveyed_again(clock, ticket, agent_n1):
    advance(ticket, to="resolved", agent=agent_n1)
    Survey.objects.create(ticket=ticket)
    clock.shift(timedelta(days=8))

    assert services.tickets_auto_close() == 1

    assert Survey.objects.filter(ticket=ticket).count() == 1
    last_close = _close_events(ticket).latest("id")
    assert list(Notification.objects.filter(event=last_close).values_list("template", flat=True)) == [
        "status_changed"
    ]


def test_tickets_resolved_at_different_times_get_their_own_closure_time(clock, requester, category, agent_n1):
    tickets = []
    for hours in (0, 5, 29):
        clock.move_to(START + timedelta(hours=hours))
        tickets.append(advance(make_ticket(requester=requester, category=category), to="resolved", agent=agent_n1))
    clock.move_to(START + timedelta(days=9))

    assert services.tickets_auto_close() == 3

    stored = {t.pk: t for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])}
    assert [stored[t.pk].closure_seconds for t in tickets] == [
        int((START + timedelta(days=9) - stored[t.pk].resolved_at).total_seconds()) for t in tickets
    ]
    assert len({stored[t.pk].closure_seconds for t in tickets}) == 3
    assert all(stored[t.pk].version == t.version + 1 for t in tickets)
    assert {stored[t.pk].status for t in tickets} == {Status.CLOSED}


@pytest.mark.parametrize("count", [2, 12])
def test_the_statements_do_not_grow_with_the_batch(clock, requester, category, agent_n1, count,
                                                   django_assert_num_queries):
    for _ in range(count):
        advance(make_ticket(requester=requester, category=category), to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=8))

    # SAVEPOINT; the locking SELECT with the requesters; the UPDATE (tickets resolved at the same time
    # share every value: no second UPDATE for the per-ticket ones); the INSERT of the events; the
    # surveys already sent; the INSERT of the surveys; of the notifications; the SLA clocks' UPDATE;
    # RELEASE.
    with django_assert_num_queries(9):
        assert services.tickets_auto_close(batch=50) == count


def test_batches_close_up_to_the_limit(clock, requester, category, agent_n1):
    for _ in range(5):
        advance(make_ticket(requester=requester, category=category), to="resolved", agent=agent_n1)
    clock.shift(timedelta(days=8))

    assert services.tickets_auto_close(batch=2, limit=3) == 3
    assert services.tickets_auto_close(batch=2) == 2
    assert Ticket.objects.filter(status=Status.CLOSED).count() == 5
