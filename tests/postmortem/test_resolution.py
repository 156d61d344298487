"""Resolving the main ticket resolves the incident, its linked tickets, and opens the postmortem."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.utils import timezone

from postmortem import services
from postmortem.models import IncidentState, Postmortem, PostmortemState
from tests.factories import advance, make_ticket
from tests.postmortem.conftest import make_major_ticket, resolve
from tickets import services as ticket_services


def test_linked_tickets_are_resolved_with_the_main_one(incident, other_requester, agent_n1, agent_n2, category,
                                                      mailoutbox, django_capture_on_commit_callbacks):
    in_progress = make_ticket(requester=other_requester, category=category, title="Erreur 502")
    waiting = advance(make_ticket(requester=other_requester, category=category, title="Site lent"),
                      to="waiting", agent=agent_n2)
    for other in (in_progress, waiting):
        services.incident_link_ticket(incident=incident, actor=agent_n1, ticket=other)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        resolve(incident.ticket, agent=agent_n1)

    for other in (in_progress, waiting):
        other.refresh_from_db()
        assert other.status == "resolved"
        assert incident.ticket.reference in other.solution
        resolution = other.events.filter(kind="transition", data__transition="resolve").get()
        assert (resolution.actor, resolution.data["source"]) == (None, incident.ticket.reference)
    assert other_requester.email in {address for m in mailoutbox for address in m.to}
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLUTION


def test_the_postmortem_is_created_at_resolution_due_in_48_hours(requester, category, agent_n1):
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        ticket = make_major_ticket(requester=requester, category=category)
        incident = ticket.major_incident
        clock.shift(timedelta(minutes=5))
        working = advance(ticket, to="in_progress", agent=agent_n1)
        clock.shift(timedelta(minutes=10))
        services.incident_add_entry(incident=incident, author=agent_n1, at=timezone.now(),
                                    text="Redémarrage du répartiteur")
        clock.shift(timedelta(hours=1, minutes=45))
        ticket_services.ticket_resolve(ticket=working, actor=agent_n1, solution="Répartiteur redémarré.")
        resolved_at = timezone.now()

    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.state == PostmortemState.DRAFT
    assert postmortem.due_at == resolved_at + timedelta(hours=48)
    assert (postmortem.started_at, postmortem.ended_at) == (start, resolved_at)
    assert postmortem.duration == timedelta(hours=2)
    assert postmortem.owner == agent_n1
    assert postmortem.title == ticket.title
    assert "- 09:15 - Redémarrage du répartiteur" in postmortem.timeline  # Paris time
    assert postmortem.timeline.splitlines()[0].startswith("- 09:00 - ")
    assert postmortem.events.get().action == "created"


def test_reopening_the_ticket_sends_the_incident_back_to_mobilisation_and_keeps_one_postmortem(
    incident, agent_n1, requester
):
    resolved = resolve(incident.ticket, agent=agent_n1)
    ticket_services.ticket_reopen(ticket=resolved, actor=requester, reason="Toujours en panne")
    incident.refresh_from_db()
    assert incident.state == IncidentState.MOBILISATION

    resolve(incident.ticket, agent=agent_n1, solution="Vraiment corrigé cette fois.")

    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLUTION
    assert Postmortem.objects.filter(incident=incident).count() == 1


def test_resolving_an_ordinary_ticket_creates_no_postmortem(ticket, agent_n1):
    resolve(ticket, agent=agent_n1)

    assert not Postmortem.objects.exists()
