"""A reply from a stale page is not lost: one agent has the same workspace open in two tabs, replies in
the first, then in the second (now stale). Both replies are on the ticket. Selectors go by form id,
name and data-testid, never by UI text."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import login, screenshot
from tests.factories import CategoryFactory, UserFactory, advance, make_ticket
from tickets.models import Followup

FIRST = "Premier onglet : nous regardons le pilote de l'imprimante."
SECOND = "Second onglet : pouvez-vous nous envoyer le modèle exact ?"


def test_a_reply_from_a_stale_tab_is_added_too(live_server, context: BrowserContext, page: Page, settings):
    requester = UserFactory(username="requester", first_name="Alice", last_name="Martin")
    agent = UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")
    ticket = make_ticket(requester=requester, category=CategoryFactory(name="Matériel"))
    ticket = advance(ticket, to="in_progress", agent=agent)

    login(page, live_server, "agent1")
    first, second = page, context.new_page()  # two tabs of one session
    workspace = f"{live_server.url}/agent/tickets/{ticket.reference}/"
    first.goto(workspace)
    second.goto(workspace)

    for tab, body in ((first, FIRST), (second, SECOND)):  # the second tab still has the old version
        form = tab.locator("form#reply-form")
        form.locator("textarea[name=body]").fill(body)
        form.locator("label[for=reply-kind-public]").click()  # the "Public reply" tab
        with tab.expect_navigation():
            form.locator("button[type=submit]").click()
        assert tab.url == workspace, tab.url

    assert list(Followup.objects.filter(ticket=ticket).order_by("id").values_list("body", flat=True)) == [
        FIRST, SECOND,
    ]
    timeline = second.locator("[data-testid=timeline]")
    expect(timeline).to_contain_text(FIRST)
    expect(timeline).to_contain_text(SECOND)
    expect(second.locator("[data-testid=conflict]")).to_have_count(0)
    # The second tab's message says the ticket had changed meanwhile (its form was one version behind).
    expect(second.locator("main > .alert-success")).to_contain_text("avait changé")
    screenshot(second, "stale-reply-workspace.png")
