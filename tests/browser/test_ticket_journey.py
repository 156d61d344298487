"""One ticket's whole life, driven in Chromium: requester creates, agent takes and asks, requester answers,
agent resolves, requester confirms. Selectors go by form action, name and data-testid, never by UI text."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import logout
from tests.factories import CategoryFactory, UserFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STATUS = "[data-testid=status]"


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _logout(page: Page) -> None:
    logout(page)


def _submit(page: Page, form_selector: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form_selector} [type=submit]").first.click()


def _expect_status(page: Page, label: str) -> None:
    # The page's own ticket: the summary card (the workspace also lists other tickets' badges).
    expect(page.locator(f"[data-testid=ticket-summary] {STATUS}")).to_have_text(label)


def test_ticket_journey(live_server, page: Page, settings):
    # Six form logins: a cheap hasher saves ~1-2 s each (PBKDF2 is slow by design); set before users exist.
    UserFactory(username="requester", first_name="Alice", last_name="Martin")
    UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")
    category = CategoryFactory(name="Réseau")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    # The requester files the ticket.
    _login(page, base, "requester")
    page.goto(f"{base}/tickets/new/")
    page.select_option("select[name=ticket_type]", "incident")
    page.select_option("select[name=category]", str(category.pk))
    page.fill("input[name=title]", "Le Wi-Fi du 3e étage tombe")
    page.fill("textarea[name=description]", "Depuis ce matin, la connexion se coupe toutes les dix minutes.")
    page.select_option("select[name=urgency]", "high")
    page.select_option("select[name=impact]", "medium")
    _submit(page, "main form:has(select[name=ticket_type])")
    match = re.search(r"/tickets/([^/]+)/$", page.url)
    assert match, page.url
    reference = match.group(1)
    _expect_status(page, "Nouveau")
    expect(page.locator("h1")).to_contain_text(reference)
    _logout(page)

    # The agent finds it in the queue, takes it and puts it on hold with a question.
    _login(page, base, "agent1")
    page.goto(f"{base}/agent/")
    with page.expect_navigation():
        page.locator(f'[data-testid=queue] a[href$="/agent/tickets/{reference}/"]').click()
    _expect_status(page, "Nouveau")
    _submit(page, 'form[action$="/take/"]')
    _expect_status(page, "En cours")
    wait = page.locator('details:has(form[action$="/wait/"])')
    wait.locator("summary").click()
    wait.locator("textarea[name=message]").fill("Quel est le nom du réseau affiché sur votre poste ?")
    _submit(page, 'form[action$="/wait/"]')
    _expect_status(page, "En attente")
    page.screenshot(path=str(ARTIFACTS / "agent-workspace.png"), full_page=True)
    _logout(page)

    # The requester answers: the ticket goes back to the agent.
    _login(page, base, "requester")
    page.goto(f"{base}/tickets/{reference}/")
    _expect_status(page, "En attente")
    page.fill('form[action$="/reply/"] textarea[name=body]', "Le réseau s'appelle « Bureau-3 ».")
    _submit(page, 'form[action$="/reply/"]')
    _expect_status(page, "En cours")
    _logout(page)

    # The agent resolves.
    _login(page, base, "agent1")
    page.goto(f"{base}/agent/tickets/{reference}/")
    _expect_status(page, "En cours")
    resolve = page.locator('details:has(form[action$="/resolve/"])')
    resolve.locator("summary").click()
    resolve.locator("textarea[name=solution]").fill("Borne Wi-Fi du 3e étage remplacée.")
    _submit(page, 'form[action$="/resolve/"]')
    _expect_status(page, "Résolu")
    _logout(page)

    # The requester confirms the solution: closed.
    _login(page, base, "requester")
    page.goto(f"{base}/tickets/{reference}/")
    _expect_status(page, "Résolu")
    with page.expect_navigation():
        page.locator('form[action$="/confirm/"] button[type=submit]').click()
    _expect_status(page, "Clos")
    entries = page.locator("[data-testid=timeline] > li")
    expect(entries.first).to_be_visible()
    assert entries.count() >= 6, entries.all_inner_texts()
    page.screenshot(path=str(ARTIFACTS / "ticket-journey.png"), full_page=True)
