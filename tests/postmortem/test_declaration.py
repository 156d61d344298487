"""A P1 or P2 ticket is a major incident, declared once; stakeholders are alerted after commit."""

import pytest
from django.urls import reverse

from postmortem.models import IncidentState, MajorIncident, Trigger
from tests.factories import advance, make_ticket
from tests.postmortem.conftest import make_major_ticket, war_room_mails
from tickets import services
from tickets.models import Notification


@pytest.mark.parametrize("priority", ["P1", "P2"])
def test_a_p1_or_p2_ticket_is_declared_a_major_incident_at_creation(requester, category, priority):
    ticket = make_major_ticket(requester=requester, category=category, priority=priority)

    incident = MajorIncident.objects.get(ticket=ticket)
    assert ticket.priority == priority
    assert (incident.state, incident.trigger, incident.declared_by) == (IncidentState.ALERT, Trigger.CREATED, None)
    event = ticket.events.get(kind="incident")
    assert (event.data["incident"], event.is_public) == ("declared", False)


def test_a_p3_ticket_is_not_a_major_incident(ticket):
    assert ticket.priority == "P3"
    assert not MajorIncident.objects.exists()


def test_raising_the_priority_to_p2_declares_the_incident(ticket, agent_n1):
    working = advance(ticket, to="in_progress", agent=agent_n1)

    services.ticket_change_priority(ticket=working, actor=agent_n1, priority="P2", reason="Fonction de paiement KO")

    incident = MajorIncident.objects.get(ticket=ticket)
    assert incident.trigger == Trigger.RAISED


def test_lowering_the_priority_to_p4_declares_nothing(ticket, agent_n1):
    working = advance(ticket, to="in_progress", agent=agent_n1)

    services.ticket_change_priority(ticket=working, actor=agent_n1, priority="P4", reason="Cosmétique")

    assert not MajorIncident.objects.exists()


def test_a_ticket_is_declared_only_once(requester, category, agent_n1):
    ticket = make_major_ticket(requester=requester, category=category, priority="P2")
    working = advance(ticket, to="in_progress", agent=agent_n1)

    services.ticket_change_priority(ticket=working, actor=agent_n1, priority="P1", reason="Tout le site")

    assert MajorIncident.objects.filter(ticket=ticket).count() == 1
    assert ticket.events.filter(kind="incident", data__incident="declared").count() == 1


def test_stakeholders_are_alerted_once_after_commit(requester, category, agent_n1, agent_n4, manager,
                                                   business_stakeholder, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = make_major_ticket(requester=requester, category=category)
        incident = MajorIncident.objects.get(ticket=ticket)
        assert war_room_mails(mailoutbox, incident) == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()
    for callback in callbacks:  # a duplicated task sends nothing twice
        callback()

    alerted = sorted(address for message in war_room_mails(mailoutbox, incident) for address in message.to)
    assert alerted == sorted([agent_n4.email, manager.email, business_stakeholder.email])
    assert Notification.objects.filter(template="incident_alert").count() == 3


def test_an_inactive_stakeholder_is_not_alerted(requester, category, business_stakeholder, mailoutbox,
                                                django_capture_on_commit_callbacks):
    business_stakeholder.incident_stakeholder.is_active = False
    business_stakeholder.incident_stakeholder.save()

    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_major_ticket(requester=requester, category=category)

    incident = MajorIncident.objects.get(ticket=ticket)
    assert all(business_stakeholder.email not in m.to for m in war_room_mails(mailoutbox, incident))


def test_an_agent_declares_a_major_incident_from_the_workspace(client, ticket, agent_n1, manager, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    client.force_login(agent_n1)
    workspace = client.get(ticket.get_agent_url())
    assert b'data-testid="declare-incident"' in workspace.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("postmortem:declare", args=[ticket.reference]),
                               {"reason": "Toute la comptabilité est bloquée."})

    incident = MajorIncident.objects.get(ticket=ticket)
    assert response.status_code == 302
    assert response["Location"] == incident.get_absolute_url()
    assert (incident.trigger, incident.declared_by, incident.reason) == (
        Trigger.MANUAL, agent_n1, "Toute la comptabilité est bloquée.")
    assert [m.to for m in war_room_mails(mailoutbox, incident)] == [[manager.email]]
    workspace = client.get(ticket.get_agent_url())
    assert incident.get_absolute_url().encode() in workspace.content


def test_declaring_twice_by_hand_keeps_one_incident(client, major_ticket, agent_n1):
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:declare", args=[major_ticket.reference]), {"reason": "Encore"})

    assert response.status_code == 302
    assert MajorIncident.objects.filter(ticket=major_ticket).count() == 1


def test_manual_declaration_without_a_reason_is_refused_with_the_form(client, ticket, agent_n1):
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:declare", args=[ticket.reference]), {"reason": ""})

    assert response.status_code == 400
    assert b"invalid-feedback" in response.content
    assert not MajorIncident.objects.exists()


def test_a_closed_ticket_cannot_be_declared(client, requester, category, agent_n1):
    closed = advance(make_ticket(requester=requester, category=category), to="closed", agent=agent_n1)
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:declare", args=[closed.reference]), {"reason": "Trop tard"})

    assert response.status_code == 409
    assert not MajorIncident.objects.exists()
