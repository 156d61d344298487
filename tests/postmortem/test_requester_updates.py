"""Status updates reach the requesters of the incident's ticket and of its linked tickets: by email,
once each, about their own ticket, and as a banner on that ticket's page while the incident is under
way. The banner shows the update's text and time only: no author, no war-room entry, no private note."""

import pytest
from django.urls import reverse
from django.utils import translation

from postmortem import services
from tests.factories import UserFactory, make_ticket
from tests.postmortem.conftest import resolve
from tickets import services as ticket_services

UPDATE = "Le répartiteur de charge est redémarré ; le site revient progressivement."


@pytest.fixture
def linked(incident, other_requester, agent_n1, category):
    """A ticket of another requester, reporting the same outage, linked to the incident."""
    ticket = make_ticket(requester=other_requester, category=category, title="Erreur 502 sur le site")
    services.incident_link_ticket(incident=incident, actor=agent_n1, ticket=ticket)
    ticket.refresh_from_db()
    return ticket


def requester_mails(mailoutbox, user):
    return [message for message in mailoutbox if message.to == [user.email]]


def test_a_status_update_is_emailed_to_every_affected_requester_about_their_own_ticket(
    client, incident, linked, requester, other_requester, agent_n1, mailoutbox, django_capture_on_commit_callbacks,
):
    bystander = UserFactory(username="bystander")
    make_ticket(requester=bystander, title="Imprimante")
    client.force_login(agent_n1)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("postmortem:post_update", args=[incident.pk]), {"body": UPDATE})

    assert response.status_code == 302
    for user, ticket in ((requester, incident.ticket), (other_requester, linked)):
        [mail] = requester_mails(mailoutbox, user)
        assert UPDATE in mail.body
        assert ticket.get_absolute_url() in mail.body  # their own ticket, a page they may open
        assert incident.get_absolute_url() not in mail.body  # never the war room
        assert agent_n1.get_username() not in mail.body
        assert mail.subject.startswith(f"[{ticket.reference}] Point de situation sur l'incident majeur : ")  # French
        assert UPDATE in mail.alternatives[0][0]
    assert not requester_mails(mailoutbox, bystander)
    assert not requester_mails(mailoutbox, agent_n1)  # the author is not told what they wrote
    recorded = linked.events.get(kind="incident", data__incident="update")
    assert (recorded.is_public, recorded.data["reason"]) == (False, UPDATE)


def test_a_requester_of_several_affected_tickets_is_told_once(incident, requester, agent_n1, category, mailoutbox,
                                                              django_capture_on_commit_callbacks):
    second = make_ticket(requester=requester, category=category, title="Le site ne répond plus")
    services.incident_link_ticket(incident=incident, actor=agent_n1, ticket=second)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_post_update(incident=incident, author=agent_n1, body=UPDATE)

    [mail] = requester_mails(mailoutbox, requester)
    assert incident.ticket.get_absolute_url() in mail.body


def test_the_requester_page_shows_the_latest_update_and_its_time_only(client, incident, linked, requester,
                                                                      other_requester, agent_n1):
    services.incident_add_entry(incident=incident, author=agent_n1, at=incident.declared_at,
                                text="ENTREE-SALLE-DE-CRISE")
    ticket_services.followup_add(ticket=incident.ticket, author=agent_n1, body="NOTE-PRIVEE", is_public=False)
    services.incident_post_update(incident=incident, author=agent_n1, body="Premier point : diagnostic en cours.")
    latest = services.incident_post_update(incident=incident, author=agent_n1, body=UPDATE)

    for user, ticket in ((requester, incident.ticket), (other_requester, linked)):
        client.force_login(user)
        page = client.get(ticket.get_absolute_url())
        content = page.content.decode()
        assert 'data-testid="incident-banner"' in content
        banner = content.split('data-testid="incident-banner"')[1].split('data-testid="description"')[0]
        assert UPDATE.replace("'", "&#x27;") in banner
        assert "Premier point" not in banner  # the latest one only
        assert latest.created_at.astimezone().strftime("%d/%m/%Y") in banner
        assert "Nadia" not in banner and agent_n1.get_username() not in banner  # who wrote it is internal
        for secret in ("ENTREE-SALLE-DE-CRISE", "NOTE-PRIVEE", incident.get_absolute_url()):
            assert secret not in content, secret


def test_the_banner_is_escaped(client, incident, requester, agent_n1):
    services.incident_post_update(incident=incident, author=agent_n1, body='<script>alert("x")</script>')
    client.force_login(requester)

    content = client.get(incident.ticket.get_absolute_url()).content.decode()

    assert '<script>alert("x")</script>' not in content
    assert "&lt;script&gt;" in content


def test_no_banner_for_a_fresh_alert_nor_once_the_incident_is_resolved(client, incident, requester, agent_n1):
    client.force_login(requester)
    assert b'data-testid="incident-banner"' not in client.get(incident.ticket.get_absolute_url()).content

    services.incident_mobilise(incident=incident, actor=agent_n1)
    mobilised = client.get(incident.ticket.get_absolute_url()).content.decode()
    assert 'data-testid="incident-banner"' in mobilised
    assert "Nos équipes y travaillent" in mobilised

    services.incident_post_update(incident=incident, author=agent_n1, body=UPDATE)
    resolve(incident.ticket, agent=agent_n1)
    assert b'data-testid="incident-banner"' not in client.get(incident.ticket.get_absolute_url()).content


@pytest.mark.parametrize(("language", "heading", "latest"), [
    ("fr", "Un incident majeur touche votre demande", "Dernier point"),
    ("en", "A major incident affects your request", "Latest update"),
])
def test_the_banner_reads_in_the_requesters_language(client, incident, requester, agent_n1, language, heading,
                                                     latest):
    services.incident_post_update(incident=incident, author=agent_n1, body=UPDATE)
    client.force_login(requester)

    content = client.get(incident.ticket.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    translation.activate("fr")  # LocaleMiddleware leaves the request's language active in the thread

    assert heading in content
    assert latest in content


def test_another_requester_still_gets_404_on_an_affected_ticket(client, incident, linked, other_requester,
                                                                requester, agent_n1):
    services.incident_post_update(incident=incident, author=agent_n1, body=UPDATE)
    client.force_login(other_requester)
    assert client.get(incident.ticket.get_absolute_url()).status_code == 404
    client.force_login(requester)
    assert client.get(linked.get_absolute_url()).status_code == 404
