"""A suggested storm: its email, declaring it a major incident in one click, dismissing it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from core.exceptions import ActionRefused
from postmortem.models import IncidentState, LinkedTicket, MajorIncident
from storms.models import Storm, StormState
from storms.services import storm_declare, storm_dismiss
from storms.services.detection import regrowth_threshold
from tests.conftest import login
from tests.factories import advance
from tickets.models import Notification, Status, Ticket

from .conftest import T0, burst, file, person

pytestmark = pytest.mark.django_db


def test_each_suggestion_is_emailed_once_to_managers_with_its_tickets(baseline, vpn, manager, agent_n1):
    tickets = burst(6, category=vpn)

    notification = Notification.objects.get(template="storm_suggested")
    assert notification.recipient == manager  # managers and N4, not every agent
    assert [reference for reference, _title in notification.event.data["tickets"]] == [t.reference for t in
                                                                                      tickets[:5]]
    from tickets.outbox import build_message

    message = build_message(notification)
    assert message.subject.startswith("Orage de tickets : 5 tickets en 8 min : VPN, 3 organisations")
    assert tickets[0].reference in message.body and f"/storms/{Storm.objects.get().pk}/" in message.body


def test_declaring_links_the_tickets_opens_the_war_room_and_tells_the_requesters(baseline, vpn, agent_n1, manager):
    tickets = burst(6, category=vpn)
    storm = Storm.objects.get()

    incident = storm_declare(storm=storm, actor=agent_n1, update="Le VPN est en panne, nous y travaillons.")

    assert incident.ticket == tickets[0] and incident.state == IncidentState.MOBILISATION
    assert set(LinkedTicket.objects.filter(incident=incident).values_list("ticket_id", flat=True)) == {
        t.pk for t in tickets[1:]}
    assert incident.participants.filter(pk=agent_n1.pk).exists()
    told = set(Notification.objects.filter(template="incident_update_requester").values_list("recipient_id",
                                                                                           flat=True))
    assert told == {t.requester_id for t in tickets}
    storm.refresh_from_db()
    assert (storm.state, storm.incident, storm.declared_by) == (StormState.DECLARED, incident, agent_n1)


def test_a_ticket_joining_a_declared_storm_is_linked_and_resolved_with_the_incident(baseline, vpn, agent_n1):
    tickets = burst(5, category=vpn)
    incident = storm_declare(storm=Storm.objects.get(), actor=agent_n1, update="En cours.")

    late = file(T0 + timedelta(minutes=20), requester=person("late"), category=vpn)

    assert LinkedTicket.objects.filter(incident=incident, ticket=late).exists()
    advance(tickets[0], to="resolved", agent=agent_n1)
    assert Ticket.objects.get(pk=late.pk).status == Status.RESOLVED


def test_declaring_twice_is_refused(baseline, vpn, agent_n1):
    burst(5, category=vpn)
    storm = Storm.objects.get()
    storm_declare(storm=storm, actor=agent_n1, update="En cours.")

    with pytest.raises(ActionRefused):
        storm_declare(storm=storm, actor=agent_n1, update="Encore.")
    assert MajorIncident.objects.count() == 1


def test_a_storm_with_a_p1_ticket_is_declared_on_that_incident(baseline, vpn, agent_n1):
    from tickets.models import Scale

    tickets = burst(4, category=vpn)
    p1 = file(T0 + timedelta(minutes=9), requester=person("boss"), category=vpn, urgency=Scale.HIGH,
              impact=Scale.HIGH)
    automatic = MajorIncident.objects.get(ticket=p1)

    incident = storm_declare(storm=Storm.objects.get(), actor=agent_n1, update="En cours.")

    assert incident == automatic
    assert LinkedTicket.objects.filter(incident=incident).count() == len(tickets)


def test_dismissing_needs_a_reason_and_a_dismissed_storm_comes_back_only_once_grown(baseline, vpn, agent_n1, manager):
    burst(5, category=vpn)
    storm = Storm.objects.get()
    with pytest.raises(ActionRefused):
        storm_dismiss(storm=storm, actor=agent_n1, reason="  ")

    storm_dismiss(storm=storm, actor=agent_n1, reason="Maintenance planifiée du VPN")
    threshold = regrowth_threshold(5)
    assert threshold == 10  # 5 × 1.5 = 8 by the factor, but at least 5 more

    for i in range(threshold - 5 - 1):
        file(T0 + timedelta(minutes=10 + i), requester=person(f"g{i}"), category=vpn)
    storm.refresh_from_db()
    assert (storm.state, storm.ticket_count) == (StormState.DISMISSED, threshold - 1)
    assert Notification.objects.filter(template="storm_suggested").count() == 1

    file(T0 + timedelta(minutes=30), requester=person("last"), category=vpn)
    storm.refresh_from_db()
    assert (storm.state, storm.ticket_count) == (StormState.SUGGESTED, threshold)
    assert Notification.objects.filter(template="storm_suggested").count() == 2


def test_a_requester_cannot_declare_nor_dismiss(baseline, vpn, requester):
    burst(5, category=vpn)
    storm = Storm.objects.get()
    with pytest.raises(ActionRefused):
        storm_declare(storm=storm, actor=requester, update="x")
    with pytest.raises(ActionRefused):
        storm_dismiss(storm=storm, actor=requester, reason="x")


# --- Pages


@pytest.mark.parametrize("name", ["list", "banner", "detail", "declare", "dismiss"])
def test_requesters_get_a_404_on_every_storm_page(client, baseline, vpn, requester, name):
    burst(5, category=vpn)
    pk = Storm.objects.get().pk
    url = reverse(f"storms:{name}", args=[pk] if name in ("detail", "declare", "dismiss") else [])
    login(client, requester)

    response = client.post(url, {"reason": "x", "update": "x"}) if name in ("declare", "dismiss") else client.get(url)

    assert response.status_code == 404
    assert Storm.objects.get().state == StormState.SUGGESTED


def test_the_queue_banner_shows_the_suggestion_in_french(client, baseline, vpn, agent_n1):
    burst(5, category=vpn)
    login(client, agent_n1)

    queue = client.get(reverse("agent:queue"))
    banner = client.get(reverse("storms:banner"))

    assert 'hx-get="/storms/banner/"' in queue.content.decode()
    text = banner.content.decode()
    assert "5 tickets en 8 min : VPN, 3 organisations" in text and "déclarer un incident majeur ?" in text


def test_the_banner_is_empty_once_dismissed(client, baseline, vpn, agent_n1):
    burst(5, category=vpn)
    login(client, agent_n1)

    response = client.post(reverse("storms:dismiss", args=[Storm.objects.get().pk]), {"reason": "Test de charge"})

    assert response.status_code == 302
    assert "storm-suggestion" not in client.get(reverse("storms:banner")).content.decode()


def test_one_click_declares_and_opens_the_war_room(client, baseline, vpn, agent_n1):
    tickets = burst(5, category=vpn)
    storm = Storm.objects.get()
    login(client, agent_n1)

    page = client.get(reverse("storms:detail", args=[storm.pk]))
    response = client.post(reverse("storms:declare", args=[storm.pk]), {"update": "Panne VPN en cours."})

    assert all(t.reference in page.content.decode() for t in tickets)
    incident = MajorIncident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()


def test_empty_forms_come_back_with_errors(client, baseline, vpn, agent_n1):
    burst(5, category=vpn)
    storm = Storm.objects.get()
    login(client, agent_n1)

    assert client.post(reverse("storms:declare", args=[storm.pk]), {"update": ""}).status_code == 400
    assert client.post(reverse("storms:dismiss", args=[storm.pk]), {"reason": ""}).status_code == 400
    assert client.post(reverse("storms:declare", args=[storm.pk + 99]), {"update": "x"}).status_code == 404


def test_declaring_a_declared_storm_is_a_409(client, baseline, vpn, agent_n1):
    burst(5, category=vpn)
    storm = Storm.objects.get()
    login(client, agent_n1)
    client.post(reverse("storms:declare", args=[storm.pk]), {"update": "x"})

    assert client.post(reverse("storms:declare", args=[storm.pk]), {"update": "x"}).status_code == 409
