"""The ITIL priority matrix (the specification, "The ticket") and an agent's override with a reason."""

from __future__ import annotations

import pytest

from core.exceptions import ActionRefused
from tests.factories import advance, make_ticket
from tickets import services
from tickets.models import EventKind, Priority, Scale, Ticket, priority_for
from tickets.selectors import ticket_timeline

# (impact, urgency) -> priority, the specification's table row by row.
MATRIX = [
    (Scale.HIGH, Scale.HIGH, Priority.P1),
    (Scale.HIGH, Scale.MEDIUM, Priority.P2),
    (Scale.HIGH, Scale.LOW, Priority.P3),
    (Scale.MEDIUM, Scale.HIGH, Priority.P2),
    (Scale.MEDIUM, Scale.MEDIUM, Priority.P3),
    (Scale.MEDIUM, Scale.LOW, Priority.P4),
    (Scale.LOW, Scale.HIGH, Priority.P3),
    (Scale.LOW, Scale.MEDIUM, Priority.P4),
    (Scale.LOW, Scale.LOW, Priority.P4),
]


def _stored(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# --- The matrix


@pytest.mark.parametrize(("impact", "urgency", "expected"), MATRIX)
def test_priority_for_follows_the_itil_matrix(impact, urgency, expected):
    assert priority_for(urgency=urgency, impact=impact) == expected


@pytest.mark.parametrize(("impact", "urgency", "expected"), MATRIX)
def test_a_new_ticket_gets_the_matrix_priority_of_its_urgency_and_impact(requester, category, impact,
                                                                         urgency, expected):
    ticket = make_ticket(requester=requester, category=category, urgency=urgency, impact=impact)

    stored = _stored(ticket)
    assert stored.priority == expected
    assert not stored.priority_overridden
    assert ticket.events.get(kind=EventKind.CREATED).data["priority"] == expected


@pytest.mark.parametrize(("urgency", "impact"), [("urgent", Scale.HIGH), (Scale.HIGH, "huge")])
def test_priority_for_rejects_a_value_outside_the_scale(urgency, impact):
    with pytest.raises(ValueError):
        priority_for(urgency=urgency, impact=impact)


# --- An agent's override


def test_an_agent_overrides_the_priority_with_a_reason_kept_in_a_private_history_event(ticket, agent_n1,
                                                                                      requester):
    services.ticket_change_priority(ticket=ticket, actor=agent_n1, priority=Priority.P1,
                                    reason="  Tout le site est arrêté.  ")

    stored = _stored(ticket)
    assert stored.priority == Priority.P1
    assert stored.priority_overridden
    event = ticket.events.get(kind=EventKind.PRIORITY_CHANGED)
    assert event.actor == agent_n1
    assert not event.is_public
    assert event.data == {"from": Priority.P3, "to": Priority.P1, "reason": "Tout le site est arrêté."}
    assert event in ticket_timeline(ticket=ticket, user=agent_n1)
    assert event not in ticket_timeline(ticket=ticket, user=requester)


def test_a_manager_may_override_the_priority_too(ticket, manager):
    services.ticket_change_priority(ticket=ticket, actor=manager, priority=Priority.P4, reason="Cosmétique.")

    assert _stored(ticket).priority == Priority.P4


def test_an_override_on_a_ticket_in_progress_is_allowed(ticket, agent_n1):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)

    services.ticket_change_priority(ticket=ticket, actor=agent_n1, priority=Priority.P2, reason="Fonction KO.")

    assert _stored(ticket).priority == Priority.P2


def _assert_override_refused(ticket: Ticket, **kwargs) -> None:
    before = Ticket.objects.values("priority", "priority_overridden", "version").get(pk=ticket.pk)
    with pytest.raises(ActionRefused) as excinfo:
        services.ticket_change_priority(ticket=ticket, **kwargs)
    assert str(excinfo.value.message).strip()
    assert Ticket.objects.values("priority", "priority_overridden", "version").get(pk=ticket.pk) == before
    assert not ticket.events.filter(kind=EventKind.PRIORITY_CHANGED).exists()


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_an_override_without_a_reason_is_refused(ticket, agent_n1, reason):
    _assert_override_refused(ticket, actor=agent_n1, priority=Priority.P1, reason=reason)


@pytest.mark.parametrize("role", ["requester", "other_requester"])
def test_a_requester_cannot_override_the_priority(request, ticket, role):
    _assert_override_refused(ticket, actor=request.getfixturevalue(role), priority=Priority.P1,
                             reason="C'est urgent pour moi.")


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_the_priority_of_a_resolved_or_closed_ticket_cannot_be_overridden(ticket, agent_n1, status):
    ticket = advance(ticket, to=status, agent=agent_n1)

    _assert_override_refused(ticket, actor=agent_n1, priority=Priority.P1, reason="Trop tard.")
