"""Two people acting on the same ticket at once: one wins, the other is told it changed (the specification)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django_fsm import ConcurrentTransition

from core.exceptions import ActionRefused, StaleForm
from tests.factories import advance
from tickets import services
from tickets.models import EventKind, Priority, Status, Ticket


def _snapshot(ticket: Ticket) -> tuple[dict, int, int]:
    """What a refused action must leave as it was: the row, its history and its followups."""
    values = Ticket.objects.values("status", "version", "assignee_id", "priority", "solution").get(pk=ticket.pk)
    return values, ticket.events.count(), ticket.followups.count()


# --- (a) A stale form: expected_version


STALE_ACTIONS = {
    "take": lambda ticket, agent, version: services.ticket_take(ticket=ticket, actor=agent,
                                                                  expected_version=version),
    "change_priority": lambda ticket, agent, version: services.ticket_change_priority(
        ticket=ticket, actor=agent, priority=Priority.P1, reason="Site arrêté.", expected_version=version),
    # The service still checks a version it is given (escalation's detailed followup passes one); the
    # reply views no longer pass it, so a stale reply is added (tests/tickets/test_views_conflict.py).
    "reply": lambda ticket, agent, version: services.followup_add(
        ticket=ticket, author=agent, body="Nous regardons.", expected_version=version),
}


@pytest.mark.parametrize("action", STALE_ACTIONS)
def test_a_stale_expected_version_raises_ticket_changed_with_the_fresh_row(ticket, agent_n1, agent_n2, action):
    loaded_version = ticket.version
    services.ticket_assign(ticket=ticket, actor=agent_n2, assignee=agent_n2)  # someone else acts first
    before = _snapshot(ticket)

    with pytest.raises(StaleForm) as excinfo:
        STALE_ACTIONS[action](ticket, agent_n1, loaded_version)

    fresh = excinfo.value.ticket
    assert str(excinfo.value.message).strip()
    assert ticket.reference in str(excinfo.value.message)
    assert fresh.pk == ticket.pk
    assert fresh.version == before[0]["version"] != loaded_version
    assert fresh.assignee == agent_n2
    assert _snapshot(ticket) == before


def test_a_stale_resolve_changes_nothing(ticket, agent_n1, requester):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    loaded_version = ticket.version
    services.followup_add(ticket=ticket, author=requester, body="Ça remarche tout seul ?")
    before = _snapshot(ticket)

    with pytest.raises(StaleForm) as excinfo:
        services.ticket_resolve(ticket=ticket, actor=agent_n1, solution="Redémarré.",
                                expected_version=loaded_version)

    assert excinfo.value.ticket.status == Status.IN_PROGRESS
    assert excinfo.value.ticket.version == before[0]["version"]
    assert _snapshot(ticket) == before


def test_the_current_expected_version_is_accepted(ticket, agent_n1):
    taken = services.ticket_take(ticket=ticket, actor=agent_n1, expected_version=ticket.version)

    assert taken.status == Status.IN_PROGRESS
    assert taken.version == ticket.version + 1


def test_a_service_acts_on_the_row_as_it_is_now_not_on_the_callers_stale_copy(ticket, agent_n1, agent_n2):
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_take(ticket=ticket, actor=agent_n1)
    before = _snapshot(ticket)

    with pytest.raises(ActionRefused):
        services.ticket_take(ticket=stale, actor=agent_n2)

    assert _snapshot(ticket) == before
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent_n1


# --- (b) Two agents take the same ticket at the same moment (real concurrent transactions)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_version", [True, False], ids=["from-a-form", "without-version"])
def test_two_agents_taking_a_ticket_at_once_one_wins_and_the_other_is_told(ticket, agent_n1, agent_n2,
                                                                           with_version):
    if connection.vendor == "sqlite":
        pytest.skip("row locks between concurrent transactions need PostgreSQL (CI runs on it)")
    agents = [agent_n1, agent_n2]
    copies = [Ticket.objects.get(pk=ticket.pk) for _ in agents]  # each agent's page loaded the ticket
    barrier = threading.Barrier(len(agents))
    outcomes: dict[str, object] = {}

    def take(agent, copy):
        try:
            barrier.wait()
            services.ticket_take(ticket=copy, actor=agent,
                                 expected_version=copy.version if with_version else None)
            outcomes[agent.username] = "took"
        except Exception as exc:  # noqa: BLE001 - the assertions below say which errors are expected
            outcomes[agent.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(agent, copy)) for agent, copy in zip(agents, copies, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [name for name, outcome in outcomes.items() if outcome == "took"]
    losers = [outcome for outcome in outcomes.values() if outcome != "took"]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1
    assert isinstance(losers[0], StaleForm | ActionRefused), repr(losers[0])
    if isinstance(losers[0], StaleForm):
        assert losers[0].ticket.status == Status.IN_PROGRESS
    stored = Ticket.objects.select_related("assignee").get(pk=ticket.pk)
    assert stored.status == Status.IN_PROGRESS
    assert stored.assignee.username == winners[0]
    assert stored.version == ticket.version + 1
    takes = stored.events.filter(kind=EventKind.TRANSITION, data__transition="take")
    assert takes.count() == 1
    assert takes.get().actor.username == winners[0]


# --- (c) django-fsm's ConcurrentTransitionMixin, below the services


def test_saving_a_copy_loaded_before_another_transition_raises_concurrent_transition(ticket):
    first = Ticket.objects.get(pk=ticket.pk)
    second = Ticket.objects.get(pk=ticket.pk)
    first.take()
    first.save()

    second.take()
    # (save() marks the enclosing transaction for rollback on error: give it its own savepoint.)
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()

    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


def test_saving_a_stale_copy_even_without_a_transition_raises_concurrent_transition(ticket):
    first = Ticket.objects.get(pk=ticket.pk)
    second = Ticket.objects.get(pk=ticket.pk)
    first.take()
    first.save()

    second.title = "Écrase le statut ?"
    # (save() marks the enclosing transaction for rollback on error: give it its own savepoint.)
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()

    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.title) == (Status.IN_PROGRESS, ticket.title)
