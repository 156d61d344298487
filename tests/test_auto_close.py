"""The auto-close beat job: resolved tickets without an answer are closed after N days (SPEC.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import advance, make_ticket
from tickets import services
from tickets.models import EventKind, Notification, Status, Ticket
from tickets.tasks import auto_close_resolved_tickets

START = datetime(2030, 3, 4, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The cast's passwords are hashed once per test: the default hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


def test_a_close_refused_within_a_batch_rolls_back_alone(clock, requester, category, agent_n1, monkeypatch):
    first, second, third = (advance(make_ticket(requester=requester, category=category), to="resolved",
                                    agent=agent_n1) for _ in range(3))
    clock.shift(timedelta(days=8))
    real_close = services.ticket_close

    def close_but_fail_on_the_second(*, ticket, **kwargs):
        closed = real_close(ticket=ticket, **kwargs)
        if ticket.pk == second.pk:  # written, then refused: its savepoint must take its writes back
            raise services.TransitionRefused("refused", ticket=closed)
        return closed

    monkeypatch.setattr(services, "ticket_close", close_but_fail_on_the_second)

    assert services.tickets_auto_close(batch=10) == 2

    assert [_status(t) for t in (first, second, third)] == [Status.CLOSED, Status.RESOLVED, Status.CLOSED]
    assert not _close_events(second).exists()
