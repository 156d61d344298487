"""B5: a postmortem shared with requesters can be found by them (a link on their ticket page, an email
when it is published or shared after) and is written for them: the summary, the impact, the war
room's human entries, the root cause, the actions without owners, the lessons. No names, no private
notes, no internal notes, no system noise. Staff keep the internal timeline. Headings in French."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from postmortem import services
from postmortem.models import Postmortem
from tests.factories import OrganisationFactory, UserFactory, make_ticket
from tests.postmortem.conftest import resolve
from tickets import services as ticket_services

HEADINGS_FR = ("Chronologie", "Cause racine", "Actions correctives", "Enseignements")


@pytest.fixture
def linked(incident, other_requester, agent_n1, category):
    ticket = make_ticket(requester=other_requester, category=category, title="Erreur 502 sur le site")
    services.incident_link_ticket(incident=incident, actor=agent_n1, ticket=ticket)
    return ticket


@pytest.fixture
def postmortem(incident, linked, agent_n1, agent_n2) -> Postmortem:
    """Resolved with a war-room entry, a private note, internal notes and an action owned by agent2."""
    services.incident_add_entry(incident=incident, author=agent_n1, at=incident.declared_at,
                                text="Bascule DNS lancée")
    ticket_services.followup_add(ticket=incident.ticket, author=agent_n1, body="NOTE-PRIVEE", is_public=False)
    resolve(incident.ticket, agent=agent_n1)
    postmortem = Postmortem.objects.get(incident=incident)
    services.postmortem_update(postmortem=postmortem, actor=agent_n1, root_cause="Certificat TLS expiré",
                               lessons_learned="Superviser les dates d'expiration", impact_users="Tous les clients",
                               internal_notes="NOTE-INTERNE")
    services.corrective_action_add(postmortem=postmortem, actor=agent_n1, owner=agent_n2,
                                   description="Renouveler les certificats automatiquement",
                                   due_date=date(2026, 12, 15))
    postmortem.refresh_from_db()
    return postmortem


def publish(postmortem, agent, manager):
    services.postmortem_submit(postmortem=postmortem, actor=agent)
    return services.postmortem_publish(postmortem=postmortem, actor=manager)


def postmortem_mails(mailoutbox, postmortem) -> list:
    return [message for message in mailoutbox if postmortem.get_absolute_url() in message.body]


def test_the_requester_version_is_written_for_requesters(client, postmortem, requester, agent_n1, agent_n2,
                                                         manager):
    assert "note privée" in postmortem.timeline and "Nadia Petit" in postmortem.timeline  # the internal one
    services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester], organisations=[])
    publish(postmortem, agent_n1, manager)
    client.force_login(requester)

    response = client.get(postmortem.get_absolute_url())

    assert response.status_code == 200
    content = response.content.decode()
    assert f"Incident : {postmortem.title}" in content
    for heading in HEADINGS_FR:
        assert f">{heading}</h2>" in content, heading
    for text in ("Bascule DNS lancée", "Certificat TLS expiré", "Tous les clients",
                 "Renouveler les certificats automatiquement", "prévue d'ici le 15/12/2026",
                 "Superviser les dates d&#x27;expiration"):
        assert text in content, text
    for secret in ("NOTE-INTERNE", "NOTE-PRIVEE", "note privée", "a pris en charge", "Système",
                   agent_n1.get_full_name(), agent_n2.get_full_name(), agent_n1.get_username(),
                   agent_n2.get_username(), postmortem.incident.get_absolute_url(), 'data-testid="postmortem-form"'):
        assert secret not in content, secret


def test_staff_read_the_published_postmortem_with_french_headings_owners_and_deadlines(client, postmortem,
                                                                                        agent_n1, manager):
    publish(postmortem, agent_n1, manager)
    client.force_login(agent_n1)

    content = client.get(postmortem.get_absolute_url()).content.decode()

    assert f"Incident : {postmortem.title}" in content
    for heading in HEADINGS_FR:
        assert f">{heading}</h2>" in content, heading
    for wrong in ("Timeline", "Cause Racine", "Actions Correctives", "Incident: "):
        assert wrong not in content, wrong
    assert 'type="checkbox" disabled' in content
    assert "Hugo Bernard, 15/12/2026" in content
    assert "a pris en charge" in content  # the internal timeline stays for staff
    assert "NOTE-INTERNE" in content


def test_a_requester_it_is_not_shared_with_gets_404(client, postmortem, requester, other_requester, agent_n1,
                                                    manager):
    services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester], organisations=[])
    publish(postmortem, agent_n1, manager)
    stranger = UserFactory(username="stranger")

    for user in (other_requester, stranger):  # other_requester's own ticket is linked to the incident
        client.force_login(user)
        response = client.get(postmortem.get_absolute_url())
        assert response.status_code == 404, user.username
        assert postmortem.title not in response.content.decode()


def test_the_requesters_it_is_shared_with_are_emailed_when_it_is_published(
    postmortem, requester, other_requester, agent_n1, manager, mailoutbox, django_capture_on_commit_callbacks,
):
    acme = OrganisationFactory(name="Acme")
    member = UserFactory(username="acme_member", organisation=acme)
    acme_agent = UserFactory(username="acme_agent", groups=["N1"], organisation=acme)
    services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester], organisations=[acme])
    services.postmortem_submit(postmortem=postmortem, actor=agent_n1)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.postmortem_publish(postmortem=postmortem, actor=manager)

    mails = postmortem_mails(mailoutbox, postmortem)
    assert sorted(address for mail in mails for address in mail.to) == sorted([requester.email, member.email])
    for mail in mails:
        assert mail.subject == f"Rapport d'incident publié : {postmortem.title}"
        assert postmortem.incident.get_absolute_url() not in mail.body
        html = mail.alternatives[0][0]
        assert f'{postmortem.get_absolute_url()}" style=' in html and "Lire le rapport d'incident" in html
        assert "Ouvrir le ticket" not in html  # the button opens the report, not a ticket they may not see
    assert other_requester.email not in {address for mail in mails for address in mail.to}
    assert acme_agent.email not in {address for mail in mails for address in mail.to}


def test_sharing_a_published_postmortem_emails_only_the_new_readers(
    postmortem, requester, other_requester, agent_n1, manager, mailoutbox, django_capture_on_commit_callbacks,
):
    services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester], organisations=[])
    publish(postmortem, agent_n1, manager)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester, other_requester],
                                  organisations=[])

    assert [mail.to for mail in postmortem_mails(mailoutbox, postmortem)] == [[other_requester.email]]


def test_sharing_a_draft_emails_nobody(postmortem, requester, agent_n1, mailoutbox,
                                       django_capture_on_commit_callbacks):
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester], organisations=[])

    assert postmortem_mails(mailoutbox, postmortem) == []


def test_the_ticket_page_links_the_postmortem_once_published_and_shared(client, postmortem, linked, requester,
                                                                        other_requester, agent_n1, manager):
    services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester], organisations=[])
    ticket = postmortem.incident.ticket
    client.force_login(requester)
    assert b'data-testid="requester-postmortem-link"' not in client.get(ticket.get_absolute_url()).content

    publish(postmortem, agent_n1, manager)

    content = client.get(ticket.get_absolute_url()).content.decode()
    assert f'href="{postmortem.get_absolute_url()}" data-testid="requester-postmortem-link"' in content
    assert "Lire le rapport d'incident" in content
    client.force_login(other_requester)  # their linked ticket: not shared with them, so no link
    assert b'data-testid="requester-postmortem-link"' not in client.get(linked.get_absolute_url()).content

    services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester, other_requester],
                              organisations=[])
    content = client.get(linked.get_absolute_url()).content.decode()
    assert f'href="{postmortem.get_absolute_url()}" data-testid="requester-postmortem-link"' in content


@pytest.mark.parametrize(("language", "link", "headings"), [
    ("fr", "Lire le rapport d'incident", HEADINGS_FR),
    ("en", "Read the incident report", ("Timeline", "Root cause", "Corrective actions", "Lessons learned")),
])
def test_the_link_and_the_requester_version_read_in_the_requesters_language(client, postmortem, requester,
                                                                            agent_n1, manager, language, link,
                                                                            headings):
    services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester], organisations=[])
    publish(postmortem, agent_n1, manager)
    client.force_login(requester)

    ticket_page = client.get(postmortem.incident.ticket.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
    report = client.get(postmortem.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("fr")  # LocaleMiddleware leaves the request's language active in the thread

    assert link in ticket_page.content.decode()
    for heading in headings:
        assert f">{heading}</h2>" in report.content.decode(), heading


def test_the_markdown_export_reads_in_english_for_an_english_reader(client, postmortem, agent_n1):
    client.force_login(agent_n1)

    text = client.get(reverse("postmortem:export", args=[postmortem.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    translation.activate("fr")

    assert text.startswith(f"## Incident: {postmortem.title}\n")
    assert "**Duration**: " in text and "### Root cause\n" in text
