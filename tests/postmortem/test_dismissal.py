"""B10: "not a major incident" in one click on an automatic P1/P2 alert. The reason is required and
recorded in the ticket's history; the incident leaves the open list; its war room no longer opens.
Raising the ticket again does not alert again, except from a dismissed P2 to P1."""

import pytest
from django.urls import reverse

from core.exceptions import ActionRefused
from postmortem import services
from postmortem.models import IncidentState, MajorIncident, Postmortem, Trigger
from tests.factories import advance, make_ticket
from tests.postmortem.conftest import make_major_ticket, resolve, war_room_mails
from tickets import services as ticket_services

REASON = "Un seul poste touché : la priorité P2 vient de l'impact mal saisi."


def dismiss_url(incident):
    return reverse("postmortem:dismiss", args=[incident.pk])


def raise_to(ticket, priority, agent):
    ticket.refresh_from_db()
    return ticket_services.ticket_change_priority(ticket=ticket, actor=agent, priority=priority, reason="Réévaluée")


@pytest.fixture
def p2_alert(requester, category, agent_n1) -> MajorIncident:
    """A P2 ticket taken by agent1: its automatic alert."""
    ticket = advance(make_major_ticket(requester=requester, category=category, priority="P2"), to="in_progress",
                     agent=agent_n1)
    return MajorIncident.objects.get(ticket=ticket)


def test_an_agent_dismisses_an_automatic_alert_from_the_workspace(client, p2_alert, agent_n1):
    ticket = p2_alert.ticket
    client.force_login(agent_n1)
    workspace = client.get(ticket.get_agent_url()).content.decode()
    assert 'data-testid="dismiss-incident"' in workspace

    response = client.post(dismiss_url(p2_alert), {"reason": REASON, "origin": "workspace"})

    assert response.status_code == 302
    assert response["Location"] == ticket.get_agent_url()
    p2_alert.refresh_from_db()
    assert (p2_alert.state, p2_alert.dismissed_by, p2_alert.dismiss_reason, p2_alert.dismissed_priority) == (
        IncidentState.DISMISSED, agent_n1, REASON, "P2")
    event = ticket.events.get(kind="incident", data__incident="dismissed")
    assert (event.actor, event.data["reason"], event.is_public) == (agent_n1, REASON, False)
    workspace = client.get(ticket.get_agent_url()).content.decode()
    assert 'data-testid="incident-dismissed"' in workspace
    assert "Pas un incident majeur" in workspace
    assert 'data-testid="war-room-link"' not in workspace
    assert 'data-testid="declare-incident"' in workspace  # an agent can still declare it by hand


def test_the_war_room_offers_the_dismissal_too(client, p2_alert, agent_n1):
    client.force_login(agent_n1)
    assert b'data-testid="incident-dismiss-form"' in client.get(p2_alert.get_absolute_url()).content

    response = client.post(dismiss_url(p2_alert), {"reason": REASON, "origin": "war_room"})

    assert response.status_code == 302
    p2_alert.refresh_from_db()
    assert p2_alert.state == IncidentState.DISMISSED


@pytest.mark.parametrize("origin", ["workspace", "war_room"])
def test_a_reason_is_required(client, p2_alert, agent_n1, origin):
    client.force_login(agent_n1)

    response = client.post(dismiss_url(p2_alert), {"reason": "  ", "origin": origin})

    assert response.status_code == 400
    assert b"invalid-feedback" in response.content
    p2_alert.refresh_from_db()
    assert p2_alert.state == IncidentState.ALERT
    assert not p2_alert.ticket.events.filter(kind="incident", data__incident="dismissed").exists()


def test_the_dismissed_incident_leaves_the_open_list(client, p2_alert, requester, category, agent_n1):
    other = MajorIncident.objects.get(ticket=make_major_ticket(requester=requester, category=category))
    services.incident_dismiss(incident=p2_alert, actor=agent_n1, reason=REASON)
    client.force_login(agent_n1)

    def listed(**params):
        content = client.get(reverse("postmortem:list"), params).content.decode()
        return {i.ticket.reference for i in (p2_alert, other) if f'data-testid="incident-{i.pk}"' in content}

    assert listed(state="open") == {other.ticket.reference}
    assert listed(state="alert") == {other.ticket.reference}
    assert listed(state="dismissed") == {p2_alert.ticket.reference}
    assert listed() == {p2_alert.ticket.reference, other.ticket.reference}  # still on record


def test_the_war_room_cannot_be_opened_for_a_dismissed_incident(client, p2_alert, agent_n1, agent_n2, other_requester,
                                                                category):
    services.incident_dismiss(incident=p2_alert, actor=agent_n1, reason=REASON)
    other = make_ticket(requester=other_requester, category=category)
    client.force_login(agent_n2)

    attempts = [
        client.post(reverse("postmortem:join", args=[p2_alert.pk])),
        client.post(reverse("postmortem:mobilise", args=[p2_alert.pk])),
        client.post(reverse("postmortem:add_entry", args=[p2_alert.pk]), {"time": "00:00", "date": "2026-01-01",
                                                                           "text": "x"}),
        client.post(reverse("postmortem:post_update", args=[p2_alert.pk]), {"body": "Point"}),
        client.post(reverse("postmortem:link_ticket", args=[p2_alert.pk]), {"reference": other.reference}),
        client.post(dismiss_url(p2_alert), {"reason": REASON}),
    ]

    assert [response.status_code for response in attempts] == [409] * 6
    p2_alert.refresh_from_db()
    assert (p2_alert.state, p2_alert.participants.count(), p2_alert.entries.count(), p2_alert.links.count()) == (
        IncidentState.DISMISSED, 0, 0, 0)
    page = client.get(p2_alert.get_absolute_url()).content.decode()
    assert 'data-testid="incident-dismissed"' in page
    for form in ("incident-entry-form", "incident-update-form", "incident-join", "incident-link-form",
                 "incident-dismiss-form"):
        assert f'data-testid="{form}"' not in page, form


def test_only_an_automatic_alert_without_linked_tickets_can_be_dismissed(client, ticket, p2_alert, agent_n1,
                                                                        other_requester, category):
    declared = services.incident_declare(ticket=ticket, actor=agent_n1, reason="Toute la compta est bloquée")
    services.incident_link_ticket(incident=p2_alert, actor=agent_n1,
                                  ticket=make_ticket(requester=other_requester, category=category))
    client.force_login(agent_n1)
    assert b'data-testid="dismiss-incident"' not in client.get(ticket.get_agent_url()).content
    assert b'data-testid="dismiss-incident"' not in client.get(p2_alert.ticket.get_agent_url()).content

    by_hand = client.post(dismiss_url(declared), {"reason": REASON})
    linked = client.post(dismiss_url(p2_alert), {"reason": REASON})

    assert (by_hand.status_code, linked.status_code) == (409, 409)
    assert "déclaré par un technicien" in by_hand.content.decode()
    assert MajorIncident.objects.filter(state=IncidentState.DISMISSED).count() == 0


def test_a_mobilised_incident_cannot_be_dismissed(p2_alert, agent_n1):
    services.incident_mobilise(incident=p2_alert, actor=agent_n1)

    with pytest.raises(ActionRefused, match="Mobilisation"):
        services.incident_dismiss(incident=p2_alert, actor=agent_n1, reason=REASON)


def test_raising_a_dismissed_ticket_again_does_not_reopen_it(p2_alert, agent_n1, manager, mailoutbox,
                                                              django_capture_on_commit_callbacks):
    services.incident_dismiss(incident=p2_alert, actor=agent_n1, reason=REASON)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        raise_to(p2_alert.ticket, "P3", agent_n1)
        raise_to(p2_alert.ticket, "P2", agent_n1)

    p2_alert.refresh_from_db()
    assert p2_alert.state == IncidentState.DISMISSED
    assert war_room_mails(mailoutbox, p2_alert) == []
    assert MajorIncident.objects.filter(ticket=p2_alert.ticket).count() == 1


def test_raising_a_dismissed_p2_to_p1_alerts_again(p2_alert, agent_n1, manager, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    services.incident_dismiss(incident=p2_alert, actor=agent_n1, reason=REASON)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        raise_to(p2_alert.ticket, "P1", agent_n1)

    p2_alert.refresh_from_db()
    assert (p2_alert.state, p2_alert.trigger, p2_alert.dismissed_at) == (IncidentState.ALERT, Trigger.RAISED, None)
    assert [mail.to for mail in war_room_mails(mailoutbox, p2_alert)] == [[manager.email]]
    event = p2_alert.ticket.events.get(kind="incident", data__incident="redeclared")
    assert event.data["priority"] == "P1"


def test_a_dismissed_p1_is_not_alerted_again_by_a_raise(requester, category, agent_n1):
    ticket = advance(make_major_ticket(requester=requester, category=category, priority="P1"), to="in_progress",
                     agent=agent_n1)
    incident = services.incident_dismiss(incident=ticket.major_incident, actor=agent_n1, reason=REASON)

    raise_to(ticket, "P2", agent_n1)
    raise_to(ticket, "P1", agent_n1)

    incident.refresh_from_db()
    assert incident.state == IncidentState.DISMISSED


def test_an_agent_declares_a_dismissed_ticket_again_by_hand(client, p2_alert, agent_n1, agent_n2):
    services.incident_dismiss(incident=p2_alert, actor=agent_n1, reason=REASON)
    client.force_login(agent_n2)

    response = client.post(reverse("postmortem:declare", args=[p2_alert.ticket.reference]),
                           {"reason": "En fait tout le service est touché."})

    assert response.status_code == 302
    assert response["Location"] == p2_alert.get_absolute_url()
    p2_alert.refresh_from_db()
    assert (p2_alert.state, p2_alert.trigger, p2_alert.declared_by) == (IncidentState.ALERT, Trigger.MANUAL,
                                                                        agent_n2)


def test_resolving_a_dismissed_ticket_opens_no_postmortem(p2_alert, agent_n1):
    services.incident_dismiss(incident=p2_alert, actor=agent_n1, reason=REASON)

    resolve(p2_alert.ticket, agent=agent_n1)

    p2_alert.refresh_from_db()
    assert p2_alert.state == IncidentState.DISMISSED
    assert not Postmortem.objects.exists()


def test_requesters_see_no_banner_nor_reason_for_a_dismissed_alert(client, p2_alert, requester, agent_n1):
    services.incident_dismiss(incident=p2_alert, actor=agent_n1, reason=REASON)
    client.force_login(requester)

    content = client.get(p2_alert.ticket.get_absolute_url()).content.decode()

    assert 'data-testid="incident-banner"' not in content
    assert "incident majeur" not in content
    assert "Un seul poste" not in content


def test_requesters_get_404_on_the_dismissal_and_nothing_changes(client, p2_alert, requester, other_requester):
    for user in (requester, other_requester):
        client.force_login(user)
        assert client.post(dismiss_url(p2_alert), {"reason": REASON}).status_code == 404
    p2_alert.refresh_from_db()
    assert p2_alert.state == IncidentState.ALERT
