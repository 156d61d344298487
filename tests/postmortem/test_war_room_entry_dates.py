"""B4: a war-room entry is never silently dated the previous day. A time still to come today is shown
as "recorded as 22/11 23:50" and needs a confirmation; a future entry is refused with the form kept;
an entry whose day was only inferred cannot pull the outage's start back by more than 12 hours."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ActionRefused
from postmortem import services
from postmortem.models import IncidentEntry, Postmortem
from tests.postmortem.conftest import make_major_ticket, resolve

PARIS = timezone.get_fixed_timezone(60)  # 23 Nov is winter time in Paris


@pytest.fixture
def nine_am():
    """Monday 23 November 2026, 09:00 in Paris: the newcomer's walk-through."""
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=PARIS), tick=False) as clock:
        yield clock


@pytest.fixture
def war_room(nine_am, client, incident, agent_n1):
    client.force_login(agent_n1)
    return reverse("postmortem:add_entry", args=[incident.pk])


def local(entry) -> str:
    return timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M")


def test_a_time_a_few_minutes_ahead_is_shown_with_its_inferred_day_before_saving(client, war_room):
    response = client.post(war_room, {"time": "09:05", "text": "Bascule DNS"})

    assert response.status_code == 400
    assert not IncidentEntry.objects.exists()
    content = response.content.decode()
    assert 'data-testid="entry-date-confirm"' in content
    assert "sera enregistrée le 22/11 09:05, hier" in content
    assert 'name="confirm" value="2026-11-22T09:05"' in content
    assert "Bascule DNS" in content  # the form is kept


def test_the_author_confirms_the_inferred_day(client, war_room):
    response = client.post(war_room, {"time": "23:50", "text": "Déploiement", "confirm": "2026-11-22T23:50"})

    assert response.status_code == 302
    entry = IncidentEntry.objects.get()
    assert (local(entry), entry.date_explicit) == ("2026-11-22 23:50", True)


def test_a_confirmation_covers_only_the_moment_it_was_shown_for(client, war_room):
    response = client.post(war_room, {"time": "23:55", "text": "Déploiement", "confirm": "2026-11-22T23:50"})

    assert response.status_code == 400
    assert 'name="confirm" value="2026-11-22T23:55"' in response.content.decode()
    assert not IncidentEntry.objects.exists()


def test_a_time_earlier_today_is_recorded_today_without_a_question(client, war_room):
    response = client.post(war_room, {"time": "08:42", "text": "Premières erreurs 502"})

    assert response.status_code == 302
    entry = IncidentEntry.objects.get()
    assert (local(entry), entry.date_explicit) == ("2026-11-23 08:42", False)


def test_a_given_date_is_recorded_as_given(client, war_room):
    response = client.post(war_room, {"time": "23:50", "date": "2026-11-21", "text": "Mise en production"})

    assert response.status_code == 302
    entry = IncidentEntry.objects.get()
    assert (local(entry), entry.date_explicit) == ("2026-11-21 23:50", True)


def test_an_entry_in_the_future_is_refused_with_a_clear_message_and_the_form_kept(client, war_room):
    response = client.post(war_room, {"time": "09:30", "date": "2026-11-23", "text": "Retour à la normale"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "23/11 09:30 est dans le futur" in content
    assert "Retour à la normale" in content
    assert not IncidentEntry.objects.exists()


def test_a_minute_ahead_of_the_server_clock_is_tolerated(client, war_room):
    response = client.post(war_room, {"time": "09:01", "text": "Horloge du poste en avance"})

    assert response.status_code == 302
    assert local(IncidentEntry.objects.get()) == "2026-11-23 09:01"


def test_the_service_refuses_a_future_entry_too(nine_am, incident, agent_n1):
    with pytest.raises(ActionRefused, match="dans le futur"):
        services.incident_add_entry(incident=incident, author=agent_n1, text="Plus tard",
                                    at=timezone.now() + timedelta(hours=1))


def _postmortem_after_two_hours(clock, ticket, agent) -> Postmortem:
    clock.shift(timedelta(hours=2))
    resolve(ticket, agent=agent)
    return Postmortem.objects.get(incident__ticket=ticket)


def test_an_entry_with_an_inferred_day_cannot_pull_the_outage_start_back_a_day(nine_am, requester, category,
                                                                               agent_n1):
    ticket = make_major_ticket(requester=requester, category=category)  # created and declared at 09:00
    services.incident_add_entry(incident=ticket.major_incident, author=agent_n1, text="Bascule DNS",
                                at=timezone.now() - timedelta(hours=23, minutes=55))  # 22/11 09:05

    postmortem = _postmortem_after_two_hours(nine_am, ticket, agent_n1)

    assert postmortem.started_at == ticket.created_at
    assert postmortem.duration == timedelta(hours=2)  # not "23 h 55 min"
    assert "22/11 09:05 - Bascule DNS" in postmortem.timeline  # still in the timeline, with its day


def test_an_entry_with_an_inferred_day_moves_the_start_within_12_hours(nine_am, requester, category, agent_n1):
    ticket = make_major_ticket(requester=requester, category=category)
    services.incident_add_entry(incident=ticket.major_incident, author=agent_n1, text="Premières alertes",
                                at=timezone.now() - timedelta(minutes=40))

    postmortem = _postmortem_after_two_hours(nine_am, ticket, agent_n1)

    assert timezone.localtime(postmortem.started_at).strftime("%H:%M") == "08:20"


def test_an_entry_with_a_given_date_moves_the_start_as_far_as_it_says(nine_am, requester, category, agent_n1):
    ticket = make_major_ticket(requester=requester, category=category)
    at = timezone.now() - timedelta(hours=23, minutes=55)
    services.incident_add_entry(incident=ticket.major_incident, author=agent_n1, text="Mise en production",
                                at=at, date_explicit=True)

    postmortem = _postmortem_after_two_hours(nine_am, ticket, agent_n1)

    assert postmortem.started_at == at
