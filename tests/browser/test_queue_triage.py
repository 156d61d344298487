"""Issue 4, the agent queue in Chromium: htmx filtering with a pushed URL, a saved view, a bulk "take",
and the keyboard (j/k/Enter, ?). Selectors go by id, name, form action and data-testid, never by UI text."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot
from tests.factories import CategoryFactory, UserFactory, make_ticket
from tickets.models import Priority, Scale, Status, Ticket

ROWS = ".queue-table tbody tr[data-href]"
WORKSPACE_URL = re.compile(r"/agent/tickets/\d{4}-\d{6}/$")

# (urgency, impact) -> priority by the ITIL matrix: 3 × P1, 2 × P2, 2 × P3, 1 × P4.
MIX = [
    (Scale.HIGH, Scale.HIGH), (Scale.MEDIUM, Scale.MEDIUM), (Scale.HIGH, Scale.HIGH), (Scale.LOW, Scale.LOW),
    (Scale.HIGH, Scale.MEDIUM), (Scale.HIGH, Scale.HIGH), (Scale.MEDIUM, Scale.HIGH), (Scale.LOW, Scale.HIGH),
]


def _row_references(page: Page) -> set[str]:
    return set(page.locator(f"{ROWS} input[name=tickets]").evaluate_all("boxes => boxes.map(b => b.value)"))


def test_queue_triage(live_server, page: Page, settings):
    requester = UserFactory(username="requester", first_name="Alice", last_name="Martin")
    agent = UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")
    category = CategoryFactory(name="Réseau")
    tickets = [
        make_ticket(requester=requester, category=category, title=f"Panne n°{n}", urgency=urgency, impact=impact)
        for n, (urgency, impact) in enumerate(MIX, start=1)
    ]
    p1 = {t.reference for t in tickets if t.priority == Priority.P1}
    assert len(p1) == 3, [t.priority for t in tickets]

    login(page, live_server, "agent1")
    page.goto(f"{live_server.url}/agent/")
    expect(page.locator(ROWS)).to_have_count(len(tickets))

    # Filter on P1: htmx swaps #queue-table in place (no page load: the marker survives) and pushes the URL.
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: "/agent/" in r.url and "priority=P1" in r.url
                              and r.request.headers.get("hx-request") == "true"):
        page.select_option("#queue-filters select[name=priority]", "P1")
    expect(page).to_have_url(re.compile(r"[?&]priority=P1(&|$)"))
    expect(page.locator(ROWS)).to_have_count(len(p1))
    assert _row_references(page) == p1
    assert page.evaluate("window.__sameDocument") is True, "the filter reloaded the page instead of swapping"

    # Save the view: it comes back in "My views" with the P1 filter in its link.
    page.fill("[data-testid=save-view] input[name=name]", "Critiques")
    with page.expect_navigation():
        page.locator("[data-testid=save-view] button[type=submit]").click()
    expect(page.locator(ROWS)).to_have_count(len(p1))
    saved = page.locator("[data-testid=saved-views]")
    expect(saved).to_be_visible()
    saved.click()
    link = page.locator("[data-testid=saved-views] + .dropdown-menu a.dropdown-item", has_text="Critiques")
    expect(link).to_be_visible()
    assert parse_qs(urlparse(link.get_attribute("href")).query)["priority"] == ["P1"]
    page.keyboard.press("Escape")

    # Bulk "take" on two ticked rows (the card footer's form).
    chosen = sorted(p1)[:2]
    for reference in chosen:
        page.locator(f'{ROWS} input[name=tickets][value="{reference}"]').check()
    page.select_option("#bulk-action", "take")
    with page.expect_navigation():
        page.locator("[data-testid=bulk-form] .card-footer button[type=submit]").click()
    expect(page.locator(ROWS)).to_have_count(len(p1))
    taken = Ticket.objects.filter(reference__in=chosen)
    assert {(t.status, t.assignee_id) for t in taken} == {(Status.IN_PROGRESS, agent.pk)}
    untouched = Ticket.objects.get(reference=(p1 - set(chosen)).pop())
    assert (untouched.status, untouched.assignee_id) == (Status.NEW, None)
    screenshot(page, "queue-triage.png")

    # "?" opens the keyboard help (focus on the page, not in a field, or the shortcut is ignored).
    page.evaluate("document.activeElement && document.activeElement.blur()")
    help_dialog = page.locator("#keyboard-help")
    expect(help_dialog).to_be_hidden()
    # Bootstrap ignores Escape while the modal fades in: wait for its "shown" event before closing it.
    page.evaluate("""() => { window.__helpShown = new Promise(resolve => document.getElementById("keyboard-help")
                               .addEventListener("shown.bs.modal", resolve, {once: true})); }""")
    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    page.evaluate("() => window.__helpShown")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # j, j, Enter opens the second row's workspace.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = page.locator(ROWS).nth(1)
    expect(second).to_have_class(re.compile(r"\bactive-row\b"))
    href = second.get_attribute("data-href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(WORKSPACE_URL)
    assert page.url.endswith(href), (page.url, href)
