"""Issue 6, manual escalation in Chromium: an N1 agent hands an in-progress ticket to N2 with a reason
and a detailed private followup; the requester never sees that followup. Selectors go by form action,
name and data-testid, never by UI text."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from escalation.models import Escalation
from tests.browser.conftest import login, logout, screenshot
from tests.factories import CategoryFactory, UserFactory, advance, make_ticket
from tickets.models import Status, Ticket

PANEL = "[data-testid=escalation-panel]"
FOLLOWUP = ("Diagnostic N1 : DHCP et câblage vérifiés, la borne redémarre en boucle après la mise à jour "
            "du micrologiciel ; il faut un accès console (réf. interne ESC-4242).")


def test_escalation_to_n2(live_server, page: Page, settings):
    requester = UserFactory(username="requester", first_name="Alice", last_name="Martin")
    agent1 = UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")
    UserFactory(username="agent2", groups=["N2"], first_name="Hugo", last_name="Bernard")
    ticket = make_ticket(requester=requester, category=CategoryFactory(name="Réseau"),
                         title="La borne Wi-Fi redémarre sans cesse")
    ticket = advance(ticket, to="in_progress", agent=agent1)
    assert (ticket.status, ticket.level, ticket.assignee_id) == (Status.IN_PROGRESS, "N1", agent1.pk)
    assert len(FOLLOWUP) >= 40

    login(page, live_server, "agent1")
    workspace = f"{live_server.url}/agent/tickets/{ticket.reference}/"
    page.goto(workspace)
    panel = page.locator(PANEL)
    expect(panel.locator("h2 .badge")).to_have_text("N1")

    escalate = panel.locator('details:has(form[action$="/escalate/"])')
    escalate.locator("summary").first.click()
    form = escalate.locator('form[action$="/escalate/"]')
    form.locator("select[name=reason]").select_option("complex_incident")
    form.locator("textarea[name=followup]").fill(FOLLOWUP)
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()

    # Back on the workspace (the redirect), now at N2.
    assert page.url == workspace, page.url
    expect(panel.locator("h2 .badge")).to_have_text("N2")
    expect(page.locator("[data-testid=ticket-summary]")).to_contain_text("N2")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.level == "N2"
    escalation = Escalation.objects.get(ticket=ticket)
    assert (escalation.from_level, escalation.to_level, escalation.reason) == ("N1", "N2", "complex_incident")
    # The followup is a private note on the ticket.
    assert (escalation.followup.body, escalation.followup.is_public) == (FOLLOWUP, False)
    # The agents' workspace shows the private followup.
    expect(page.locator("main")).to_contain_text("ESC-4242")
    screenshot(page, "escalation-workspace.png")
    logout(page)

    # The requester's page of the same ticket says nothing of the private followup.
    login(page, live_server, "requester")
    response = page.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    assert response.status == 200
    expect(page.locator("[data-testid=ticket-summary]")).to_be_visible()
    expect(page.locator("h1")).to_contain_text(ticket.reference)
    html = page.content()
    assert "ESC-4242" not in html
    assert "micrologiciel" not in html
    screenshot(page, "escalation-requester.png")
