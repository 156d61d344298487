"""Every page keeps the Content-Security-Policy: a violation reported by Chromium fails the test."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import login, logout
from tests.factories import CategoryFactory, UserFactory, advance, make_ticket

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def visit(page: Page, url: str, console: list[str]) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__cspViolations") + [f"console: {m}" for m in console if "Content Security" in m]


def test_pages_of_every_role_raise_no_csp_violation(live_server, page: Page):
    requester = UserFactory(username="requester")
    agent = UserFactory(username="agent1", groups=["N1"])
    UserFactory(username="manager", groups=["Manager"])
    category = CategoryFactory(name="Réseau")
    ticket = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)
    base = live_server.url
    violations = []

    violations += visit(page, f"{base}/accounts/login/", console)
    login(page, live_server, "requester")
    for path in ("/tickets/", ticket.get_absolute_url(), "/kb/", "/tickets/new/"):
        violations += visit(page, base + path, console)
    page.fill("input[name=title]", "imprimante")  # htmx suggestions swap in without violations
    page.wait_for_timeout(800)
    logout(page)
    login(page, live_server, "agent1")
    for path in ("/agent/", ticket.get_agent_url(), "/agent/?view=mine&priority=P3", "/postmortems/"):
        violations += visit(page, base + path, console)
    page.keyboard.press("?")  # the keyboard help dialog (Bootstrap's JS) opens without inline code
    logout(page)
    login(page, live_server, "manager")
    for path in ("/dashboard/", "/sla/", "/escalation/", "/agent/canned-replies/"):
        violations += visit(page, base + path, console)

    assert violations == []
