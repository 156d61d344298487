"""The war room: participants, a timeline merging the system's events and people's entries, status
updates to stakeholders, linked tickets."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from postmortem import services
from postmortem.models import IncidentEntry, IncidentState, LinkedTicket, MajorIncident
from postmortem.selectors import war_room_timeline
from tests.factories import advance, make_ticket
from tests.postmortem.conftest import make_major_ticket, war_room_mails
from tickets import services as ticket_services

PARIS = timezone.get_fixed_timezone(60)  # 23 Nov is winter time in Paris


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=PARIS), tick=False) as clock:
        yield clock


def test_the_timeline_orders_system_events_and_human_entries_by_time(frozen, requester, category, agent_n1):
    ticket = make_major_ticket(requester=requester, category=category)  # 10:00 created + declared
    incident = ticket.major_incident
    frozen.shift(timedelta(minutes=20))
    advance(ticket, to="in_progress", agent=agent_n1)  # 10:20 take
    frozen.shift(timedelta(minutes=10))  # written at 10:30, about 09:55 and 10:10
    services.incident_add_entry(incident=incident, author=agent_n1, text="Alertes de supervision",
                                at=datetime(2026, 11, 23, 9, 55, tzinfo=PARIS))
    services.incident_add_entry(incident=incident, author=agent_n1, text="Bascule DNS lancée",
                                at=datetime(2026, 11, 23, 10, 10, tzinfo=PARIS))

    items = war_room_timeline(incident=incident)

    assert [item.at for item in items] == sorted(item.at for item in items)
    sources = [("human", item.entry.text) if item.is_human else ("system", item.event.kind) for item in items]
    assert sources[0] == ("human", "Alertes de supervision")
    assert sources.index(("system", "created")) < sources.index(("human", "Bascule DNS lancée"))
    assert sources.index(("human", "Bascule DNS lancée")) < sources.index(("system", "transition"))


def test_an_entry_is_added_with_an_hh_mm_time(frozen, client, incident, agent_n1):
    client.force_login(agent_n1)
    war_room = client.get(incident.get_absolute_url())
    assert b'data-testid="incident-entry-form"' in war_room.content
    assert b'hx-trigger="every 10s"' in war_room.content

    response = client.post(reverse("postmortem:add_entry", args=[incident.pk]),
                           {"time": "09:42", "text": "Premières erreurs 502"})

    assert response.status_code == 302
    entry = IncidentEntry.objects.get()
    assert timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M") == "2026-11-23 09:42"
    assert entry.author == agent_n1
    partial = client.get(reverse("postmortem:timeline", args=[incident.pk]))
    assert partial.status_code == 200
    assert "Premières erreurs 502" in partial.content.decode()
    assert b"<html" not in partial.content


def test_an_entry_in_the_future_or_without_text_is_refused_with_the_form(frozen, client, incident, agent_n1):
    client.force_login(agent_n1)

    future = client.post(reverse("postmortem:add_entry", args=[incident.pk]),
                         {"time": "11:00", "date": "2026-11-23", "text": "Plus tard"})
    empty = client.post(reverse("postmortem:add_entry", args=[incident.pk]), {"time": "09:00", "text": ""})

    assert (future.status_code, empty.status_code) == (400, 400)
    assert b"invalid-feedback" in future.content
    assert not IncidentEntry.objects.exists()


def test_the_first_participant_to_join_mobilises_the_war_room(client, incident, agent_n1, agent_n2):
    client.force_login(agent_n1)

    client.post(reverse("postmortem:join", args=[incident.pk]))
    client.force_login(agent_n2)
    client.post(reverse("postmortem:join", args=[incident.pk]))

    incident.refresh_from_db()
    assert incident.state == IncidentState.MOBILISATION
    assert set(incident.participants.all()) == {agent_n1, agent_n2}
    assert set(incident.ticket.participants.all()) >= {agent_n1, agent_n2}
    assert incident.ticket.events.filter(kind="incident", data__incident="mobilised").count() == 1


def test_an_agent_mobilises_by_hand_once(client, incident, agent_n1):
    client.force_login(agent_n1)

    first = client.post(reverse("postmortem:mobilise", args=[incident.pk]))
    second = client.post(reverse("postmortem:mobilise", args=[incident.pk]))

    assert (first.status_code, second.status_code) == (302, 409)
    incident.refresh_from_db()
    assert incident.state == IncidentState.MOBILISATION


def test_a_status_update_is_emailed_to_the_stakeholders_after_commit(
    client, incident, agent_n1, agent_n4, manager, business_stakeholder, mailoutbox,
    django_capture_on_commit_callbacks,
):
    client.force_login(agent_n1)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("postmortem:post_update", args=[incident.pk]),
                               {"body": "Cause identifiée, correctif en cours de déploiement."})

    assert response.status_code == 302
    mails = war_room_mails(mailoutbox, incident)
    assert sorted(a for m in mails for a in m.to) == sorted([agent_n4.email, manager.email,
                                                            business_stakeholder.email])
    assert all("correctif en cours" in m.body for m in mails)
    assert incident.status_updates.get().author == agent_n1


def test_a_linked_new_ticket_is_taken_by_the_agent_who_links_it(client, incident, requester, other_requester,
                                                                 agent_n1):
    other = make_ticket(requester=other_requester, title="Site en erreur 502")
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:link_ticket", args=[incident.pk]), {"reference": other.reference})

    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.status, other.assignee) == ("in_progress", agent_n1)
    assert LinkedTicket.objects.get().ticket == other
    assert list(incident.linked_tickets.all()) == [other]
    page = client.get(other.get_agent_url())
    assert incident.get_absolute_url().encode() in page.content


def test_linking_an_unknown_reference_is_refused_with_the_form(client, incident, agent_n1):
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:link_ticket", args=[incident.pk]), {"reference": "1999-000001"})

    assert response.status_code == 400
    assert not LinkedTicket.objects.exists()


def test_a_ticket_cannot_be_linked_twice_nor_to_its_own_incident(client, incident, other_requester, agent_n1,
                                                                 category):
    other = make_ticket(requester=other_requester, category=category)
    services.incident_link_ticket(incident=incident, actor=agent_n1, ticket=other)
    client.force_login(agent_n1)

    again = client.post(reverse("postmortem:link_ticket", args=[incident.pk]), {"reference": other.reference})
    itself = client.post(reverse("postmortem:link_ticket", args=[incident.pk]),
                         {"reference": incident.ticket.reference})

    assert (again.status_code, itself.status_code) == (409, 409)
    assert LinkedTicket.objects.count() == 1


def test_a_ticket_linked_to_an_incident_is_not_declared_again_when_raised(incident, other_requester, agent_n1,
                                                                          category):
    other = make_ticket(requester=other_requester, category=category)
    services.incident_link_ticket(incident=incident, actor=agent_n1, ticket=other)
    other.refresh_from_db()

    ticket_services.ticket_change_priority(ticket=other, actor=agent_n1, priority="P1", reason="Même panne")

    assert not MajorIncident.objects.filter(ticket=other).exists()


def test_the_timeline_names_people_and_says_who_joined(client, incident, agent_n1, agent_n4):
    services.incident_join(incident=incident, user=agent_n1)
    ticket_services.ticket_add_participants(ticket=incident.ticket, users=[agent_n4], actor=agent_n1,
                                            reason="Responsable N4")
    client.force_login(agent_n1)

    content = client.get(reverse("postmortem:timeline", args=[incident.pk])).content.decode()

    assert "a rejoint la cellule de crise" in content
    assert "a ajouté Léa Roux comme participant" in content
    assert "comme participants" not in content  # one person
    assert "a ajouté agent4" not in content and "a ajouté agent1" not in content
