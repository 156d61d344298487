"""The creation's signal protocol (tickets.signals): receivers of ticket_creating may return history lines,
which the creation writes with its "created" event; receivers of ticket_created get the creation's events and
may return alerts, which go into the outbox with the acknowledgement of receipt. One INSERT each (issue 16)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_ticket
from tickets.models import EventKind, Notification
from tickets.signals import Alert, HistoryLine, returned, ticket_created, ticket_creating


@pytest.fixture
def connected():
    """Connect receivers for one test: connected(signal, function)."""
    done = []

    def connect(signal, function):
        signal.connect(function, dispatch_uid=f"test.{len(done)}", weak=False)
        done.append((signal, f"test.{len(done)}"))

    yield connect
    for signal, uid in done:
        signal.disconnect(dispatch_uid=uid)


def test_a_line_returned_before_the_insert_is_written_with_the_created_event(requester, category, agent_n2,
                                                                             connected):
    seen = {}

    def line(sender, ticket, **kwargs):
        return [HistoryLine(EventKind.FLAGGED, {"flag": "test"})]

    def alert(sender, ticket, events, **kwargs):
        seen["events"] = [(event.kind, event.pk is not None) for event in events]
        return [Alert(events[1], [agent_n2], "recurring_flagged")]

    connected(ticket_creating, line)
    connected(ticket_created, alert)
    with CaptureQueriesContext(connection) as captured:
        ticket = make_ticket(requester=requester, category=category)

    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len([sql for sql in inserts if "tickets_ticketevent" in sql]) == 1
    assert len([sql for sql in inserts if "tickets_notification" in sql]) == 1
    assert seen["events"] == [(EventKind.CREATED, True), (EventKind.FLAGGED, True)]
    created, flagged = ticket.events.order_by("id")
    assert (created.kind, created.is_public, created.actor_id) == (EventKind.CREATED, True, requester.pk)
    assert (flagged.kind, flagged.is_public, flagged.actor_id, flagged.data) == (
        EventKind.FLAGGED, False, None, {"flag": "test"})
    assert set(Notification.objects.filter(event__ticket=ticket).values_list("event_id", "recipient_id", "template")) == {
        (created.pk, requester.pk, "ticket_created"), (flagged.pk, agent_n2.pk, "recurring_flagged")}


def test_a_receiver_that_returns_something_else_is_a_programming_error(requester, category, connected):
    connected(ticket_creating, lambda sender, ticket, **kwargs: ticket.title)

    with pytest.raises(TypeError, match="not a list of HistoryLine"):
        make_ticket(requester=requester, category=category)


def test_returned_keeps_the_receivers_order_and_skips_none():
    lines = [HistoryLine("a", {}), HistoryLine("b", {})]

    assert returned([(object(), None), (object(), lines[:1]), (object(), []), (object(), lines[1:])],
                    HistoryLine) == lines
    with pytest.raises(TypeError):
        returned([(object(), [Alert(None, [], "x")])], HistoryLine)
