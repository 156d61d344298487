""""Me too": a requester typing a ticket that matches an incident under way follows it instead."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postmortem import services as incident_services
from postmortem.models import IncidentFollower, MajorIncident
from storms.models import Storm
from storms.services import storm_declare
from tests.conftest import login
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory
from tickets.models import Notification, Ticket
from tickets.outbox import build_message

from .conftest import burst

pytestmark = pytest.mark.django_db


@pytest.fixture
def vpn_incident(baseline, vpn, agent_n1) -> MajorIncident:
    burst(5, category=vpn)
    return storm_declare(storm=Storm.objects.get(), actor=agent_n1, update="Le VPN est en panne.")


def suggest(client, **params):
    return client.get(reverse("storms:follow_suggest"), params, HTTP_HX_REQUEST="true").content.decode()


def test_the_new_ticket_form_asks_for_incidents_as_the_requester_types(client, requester):
    login(client, requester)

    page = client.get(reverse("tickets:new")).content.decode()

    assert 'hx-get="/storms/follow/suggest/"' in page and "#id_category" in page


def test_a_matching_title_or_category_shows_the_incident_in_french(client, vpn_incident, vpn, requester):
    login(client, requester)

    assert "Un incident est en cours sur VPN" in suggest(client, title="Mon VPN ne marche plus")
    assert "Suivre cet incident" in suggest(client, category=vpn.pk)
    assert "Un incident est en cours sur VPN" in suggest(client, category=vpn.parent.pk)  # its parent
    assert "incident-follow" not in suggest(client, title="Mon écran est noir",
                                            category=CategoryFactory(name="Écran").pk)
    assert "incident-follow" not in suggest(client, title="x")


def test_a_typo_in_the_typed_title_still_finds_the_incident(client, vpn_incident, requester):
    login(client, requester)

    # The incident's title is "Le VPN ne se connecte plus": full-text search (PostgreSQL) or its stemmed
    # words (SQLite) find "connecte"; the trigrams, a typo of it.
    assert "Un incident est en cours sur VPN" in suggest(client, title="Mon poste ne se conecte plus")
    assert "incident-follow" not in suggest(client, title="Le wifi est coupé")
    # Short words are compared whole: one letter changed is another word.
    assert "incident-follow" not in suggest(client, title="Le VPM est coupé")


def test_the_incidents_typed_words_are_matched_in_a_bounded_number_of_queries(
        client, vpn_incident, requester, django_assert_max_num_queries):
    from storms.selectors import incidents_matching

    with django_assert_max_num_queries(3):
        found = incidents_matching(user=requester, title="Mon poste ne se conecte plus au réseau", category_id=None)

    assert [match.incident for match in found] == [vpn_incident]


def test_an_incident_not_under_way_is_not_shown(client, vpn_incident, requester, agent_n1):
    from tests.factories import advance

    advance(vpn_incident.ticket, to="resolved", agent=agent_n1)
    login(client, requester)

    assert "incident-follow" not in suggest(client, title="VPN coupé")


def test_an_organisation_storm_is_shown_to_its_members_only(client, baseline, agent_n1):
    from datetime import timedelta

    from .conftest import T0, file, person

    for i, title in enumerate(["Imprimante HS", "Partage inaccessible", "Messagerie lente", "Téléphone muet",
                               "Écran noir"]):
        file(T0 + timedelta(minutes=2 * i), requester=person(f"lyon{i}", "Lyon"),
             category=CategoryFactory(name=f"Cat {i}"), title=title)
    storm_declare(storm=Storm.objects.get(), actor=agent_n1, update="Panne électrique à Lyon.")
    colleague = UserFactory(username="lyon-colleague", organisation=OrganisationFactory(name="Lyon"))
    outsider = UserFactory(username="paris", organisation=OrganisationFactory(name="Paris"))

    login(client, colleague)
    assert "Un incident est en cours sur Lyon" in suggest(client, title="Messagerie lente")
    login(client, outsider)
    assert "incident-follow" not in suggest(client, title="Messagerie lente")


def test_following_files_no_ticket_and_sends_the_next_updates(client, vpn_incident, requester, agent_n1):
    tickets_before = Ticket.objects.count()
    login(client, requester)

    response = client.post(reverse("storms:follow", args=[vpn_incident.pk]), {"title": "VPN coupé",
                                                                               "description": "x"})

    status_url = reverse("postmortem:status", args=[vpn_incident.pk])
    assert response.status_code == 302 and response["Location"] == status_url
    assert Ticket.objects.count() == tickets_before
    assert IncidentFollower.objects.get(incident=vpn_incident).query == "VPN coupé"
    page = client.get(status_url).content.decode()
    assert "Le VPN est en panne." in page and "en cours" in page

    incident_services.incident_post_update(incident=vpn_incident, author=agent_n1, body="Rétabli à 80 %.")

    notification = Notification.objects.get(template="incident_update_follower", recipient=requester)
    message = build_message(notification)
    assert "Rétabli à 80 %." in message.body and status_url in message.body


def test_following_twice_is_one_follow(client, vpn_incident, requester):
    login(client, requester)
    client.post(reverse("storms:follow", args=[vpn_incident.pk]))
    client.post(reverse("storms:follow", args=[vpn_incident.pk]))

    assert IncidentFollower.objects.filter(incident=vpn_incident, user=requester).count() == 1
    assert "incident-follow" not in suggest(client, title="VPN coupé")  # already followed


def test_the_status_page_is_a_404_for_a_requester_who_does_not_follow(client, vpn_incident, other_requester):
    login(client, other_requester)

    assert client.get(reverse("postmortem:status", args=[vpn_incident.pk])).status_code == 404


def test_an_incident_not_under_way_cannot_be_followed(client, baseline, vpn, requester, agent_n1):
    from tests.postmortem.conftest import make_major_ticket

    alert = MajorIncident.objects.get(ticket=make_major_ticket(requester=agent_n1, category=vpn))  # ALERTE only
    login(client, requester)

    assert client.post(reverse("storms:follow", args=[alert.pk])).status_code == 404
    assert client.post(reverse("storms:follow", args=[alert.pk + 99])).status_code == 404
    assert not IncidentFollower.objects.exists()


def test_the_dashboard_counts_follows_as_avoided_tickets(client, vpn_incident, requester, manager):
    login(client, requester)
    client.post(reverse("storms:follow", args=[vpn_incident.pk]))
    login(client, manager)

    page = client.get(reverse("dashboard:index")).content.decode()

    assert 'data-testid="incident-followers">1<' in page
