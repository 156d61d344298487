"""Issue 7, a major incident in Chromium: a P1 ticket declares it by itself; an agent writes in the war
room's timeline (which htmx keeps fresh); the ticket is resolved, the postmortem opens, and a manager
fills it in, submits and publishes it. Selectors go by form action, name and data-testid, never by UI text."""

from __future__ import annotations

from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from postmortem import services as postmortem_services
from postmortem.models import (
    IncidentEntry,
    IncidentState,
    MajorIncident,
    Postmortem,
    PostmortemState,
    Trigger,
)
from tests.browser.conftest import login, logout, screenshot
from tests.factories import CategoryFactory, UserFactory, make_ticket
from tickets import services as ticket_services
from tickets.models import Priority, Scale, Status

TIMELINE = "#war-room-timeline [data-testid=war-room-timeline]"


def test_war_room_to_published_postmortem(live_server, page: Page, settings):
    requester = UserFactory(username="requester", first_name="Alice", last_name="Martin")
    agent1 = UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")
    manager = UserFactory(username="manager", groups=["Manager"], first_name="Claire", last_name="Moreau")
    agent4 = UserFactory(username="agent4", groups=["N4"], first_name="Léa", last_name="Garnier")

    # The requester's P1 ticket declares the major incident by itself and alerts the stakeholders.
    ticket = make_ticket(requester=requester, category=CategoryFactory(name="Messagerie"),
                         title="La messagerie est en panne pour tout le siège",
                         urgency=Scale.HIGH, impact=Scale.HIGH)
    assert ticket.priority == Priority.P1
    incident = MajorIncident.objects.get(ticket=ticket)
    assert (incident.state, incident.trigger, incident.declared_by) == (IncidentState.ALERT, Trigger.CREATED, None)
    alerted = {address for message in mail.outbox for address in message.to}
    assert {manager.email, agent4.email} <= alerted, alerted

    # agent1 opens the war room and writes what happened.
    login(page, live_server, "agent1")
    page.goto(f"{live_server.url}/postmortems/incidents/{incident.pk}/")
    expect(page.locator("[data-testid=incident-state]")).to_be_visible()
    at = timezone.localtime().strftime("%H:%M")
    text = "Serveur SMTP principal saturé : file d'attente à 40 000 messages"
    form = page.locator("[data-testid=incident-entry-form]")
    form.locator("input[name=time]").fill(at)
    form.locator("textarea[name=text]").fill(text)
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()
    timeline = page.locator(TIMELINE)
    entry = timeline.locator("li[data-source=human]", has_text=text)
    expect(entry).to_be_visible()
    expect(entry).to_contain_text(at)
    assert IncidentEntry.objects.filter(incident=incident, author=agent1, text=text).exists()
    incident.refresh_from_db()
    assert incident.state == IncidentState.MOBILISATION  # Writing in the war room joins it.
    assert incident.participants.filter(pk=agent1.pk).exists()

    # Someone else writes meanwhile: the htmx poll (every 10 s) brings it in without reloading the page.
    page.evaluate("window.__sameDocument = true")
    other = "Bascule sur le relais SMTP de secours"
    postmortem_services.incident_add_entry(incident=incident, author=agent4, at=timezone.now(), text=other)
    expect(timeline.locator("li[data-source=human]", has_text=other)).to_be_visible(timeout=20_000)
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "war-room.png")
    logout(page)

    # Resolved through the services (the assignee resolves: agent1 takes it first): the postmortem opens.
    ticket = ticket_services.ticket_take(ticket=ticket, actor=agent1)
    ticket = ticket_services.ticket_resolve(ticket=ticket, actor=agent1, solution="Relais SMTP rétabli.")
    assert ticket.status == Status.RESOLVED
    postmortem = Postmortem.objects.get(incident=incident)
    assert (postmortem.state, postmortem.owner_id) == (PostmortemState.DRAFT, agent1.pk)
    assert text in postmortem.timeline

    # The manager writes the analysis, submits it for review and publishes it.
    login(page, live_server, "manager")
    page.goto(f"{live_server.url}/postmortems/{postmortem.pk}/")
    form = page.locator("[data-testid=postmortem-form]")
    form.locator("textarea[name=root_cause]").fill("Une campagne interne a saturé le serveur SMTP principal.")
    form.locator("textarea[name=lessons_learned]").fill("Limiter le débit des envois de masse ; alerter "
                                                         "sur la longueur de la file.")
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()
    postmortem.refresh_from_db()
    assert postmortem.root_cause.startswith("Une campagne interne")
    if page.locator("[data-testid=postmortem-submit]").count():
        with page.expect_navigation():
            page.locator("[data-testid=postmortem-submit]").click()
    publish = page.locator("[data-testid=postmortem-publish]")
    expect(publish).to_be_visible()
    with page.expect_navigation():
        publish.click()
    expect(page.locator("[data-testid=postmortem-publish]")).to_have_count(0)
    expect(page.locator("[data-testid=postmortem-form]")).to_have_count(0)  # Published: read-only.
    postmortem.refresh_from_db()
    assert postmortem.state == PostmortemState.PUBLISHED
    assert postmortem.published_at is not None
    incident.refresh_from_db()
    assert incident.state == IncidentState.POSTMORTEM
    screenshot(page, "postmortem-published.png")


def test_entry_date_confirmation_requester_banner_and_dismissal(live_server, page: Page, settings):
    """B3, B4, B10 in Chromium: a time still to come today asks to confirm yesterday's date; a status
    update shows on the requester's ticket page; an agent dismisses a P2 alert as not major."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    requester = UserFactory(username="requester", first_name="Alice", last_name="Martin")
    UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")
    category = CategoryFactory(name="Messagerie")
    ticket = make_ticket(requester=requester, category=category, title="La messagerie est en panne",
                         urgency=Scale.HIGH, impact=Scale.HIGH)
    incident = MajorIncident.objects.get(ticket=ticket)
    alert = make_ticket(requester=requester, category=category, title="Un poste ne reçoit plus ses mails",
                        urgency=Scale.HIGH, impact=Scale.MEDIUM)
    assert alert.priority == Priority.P2

    login(page, live_server, "agent1")
    page.goto(f"{live_server.url}/postmortems/incidents/{incident.pk}/")
    now = timezone.localtime()
    typed = "23:59"  # still to come today, unless the test runs in the last minutes of the day
    form = page.locator("[data-testid=incident-entry-form]")
    form.locator("input[name=time]").fill(typed)
    form.locator("textarea[name=text]").fill("Mise en production de la veille")
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()
    if now.strftime("%H:%M") < "23:57":
        confirm = page.locator("[data-testid=entry-date-confirm]")
        expect(confirm).to_be_visible()
        yesterday = (now - timezone.timedelta(days=1)).strftime("%d/%m")
        expect(confirm).to_contain_text(f"{yesterday} 23:59")
        assert not IncidentEntry.objects.exists()
        screenshot(page, "war-room-entry-confirm.png")
        confirm.locator("input[name=confirm]").check()
        with page.expect_navigation():
            page.locator("[data-testid=incident-entry-form] [type=submit]").first.click()
    entry = IncidentEntry.objects.get()
    assert timezone.localtime(entry.at).strftime("%H:%M") == typed and entry.date_explicit

    update = "Le relais SMTP de secours prend le relais ; retour attendu vers 11 h."
    update_form = page.locator("[data-testid=incident-update-form]")
    update_form.locator("textarea[name=body]").fill(update)
    with page.expect_navigation():
        update_form.locator("[type=submit]").first.click()

    page.goto(f"{live_server.url}{alert.get_agent_url()}")
    page.locator("[data-testid=dismiss-incident]").click()
    dismiss = page.locator(f"form[action$='/postmortems/incidents/{alert.major_incident.pk}/dismiss/']")
    dismiss.locator("textarea[name=reason]").fill("Un seul poste touché : pas un incident majeur.")
    with page.expect_navigation():
        dismiss.locator("[type=submit]").first.click()
    expect(page.locator("[data-testid=incident-dismissed]")).to_be_visible()
    assert MajorIncident.objects.get(ticket=alert).state == IncidentState.DISMISSED
    logout(page)

    login(page, live_server, "requester")
    page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    banner = page.locator("[data-testid=incident-banner]")
    expect(banner).to_contain_text(update)
    expect(banner).not_to_contain_text("Nadia")
    screenshot(page, "requester-incident-banner.png")
    page.goto(f"{live_server.url}{alert.get_absolute_url()}")
    expect(page.locator("[data-testid=incident-banner]")).to_have_count(0)
