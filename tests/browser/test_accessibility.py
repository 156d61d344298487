"""WCAG 2.2 A/AA checked by a machine: axe-core (shipped inside axe-playwright-python, nothing fetched
at run time) runs on every page of every role, in French and English, at desktop (1366 px) and phone
(390 px) widths; forms are checked empty and with their errors shown, the queue after an htmx swap.
Any violation fails the test with the list of them. One browser context per role, logged in once.
What axe cannot judge (reading order, the meaning of a text alternative) is in docs/accessibility.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from kb import services as kb_services
from postmortem import services as postmortem_services
from postmortem.models import MajorIncident, Postmortem
from tests.browser.conftest import login
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, advance, make_ticket
from tickets import services as ticket_services
from tickets.models import Scale

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
LANGUAGES = ("fr", "en")
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
AXE = Axe()
TOP_BAR_ONE_LINE = 64  # px: the top bar's height when its items fit on one line

ARTICLE_BODY = """# Imprimante : erreur 0x51

L'erreur **0x51** indique un bourrage dans le module recto-verso.

## Que faire ?

1. Éteignez l'imprimante.
2. Ouvrez la trappe arrière et retirez la feuille coincée.

| Code | Signification |
|------|---------------|
| 0x51 | Bourrage recto-verso |
| 0x52 | Bac vide |
"""
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class Check:
    """One state of one page: open `path`, then optionally do `then` (submit, swap) before axe runs."""

    name: str
    path: str
    then: Callable[[Page], None] | None = None


def _submit_empty(form: str) -> Callable[[Page], None]:
    """Submit a form with nothing typed, past the browser's own `required` check, to show the errors."""

    def act(page: Page) -> None:
        page.locator(form).evaluate("f => { f.noValidate = true; }")
        with page.expect_navigation():
            page.locator(f"{form} [type=submit]").first.click()
        expect(page.locator(".invalid-feedback, .errorlist, .alert-danger").first).to_be_visible()

    return act


def _swap_queue(page: Page) -> None:
    panel = page.locator("#queue-filters details.queue-filter-panel")
    if panel.get_attribute("open") is None:  # folded on a phone: open it as a person would
        panel.locator("summary").click()
    with page.expect_response(lambda r: "priority=P1" in r.url and r.request.headers.get("hx-request") == "true"):
        page.select_option("#queue-filters select[name=priority]", "P1")
    page.wait_for_load_state("networkidle")


def _wrong_login(page: Page) -> None:
    page.fill("input[name=username]", "personne")
    page.fill("input[name=password]", "mauvais")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


@pytest.fixture
def world(transactional_db):
    """Every kind of page with something on it: tickets in each state, an attachment, a published
    article with a table, a major incident and its postmortem."""
    vip = OrganisationFactory(name="Acme Industries", is_vip=True)
    requester = UserFactory(username="requester", first_name="Camille", last_name="Dubois", organisation=vip)
    agent = UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")
    UserFactory(username="manager", groups=["Manager"], first_name="Claire", last_name="Moreau")
    category = CategoryFactory(name="Matériel")
    ticket = make_ticket(requester=requester, category=category, title="Imprimante du 2e étage bloquée",
                         attachments=[SimpleUploadedFile("capture.png", PNG, "image/png")])
    ticket = advance(ticket, to="in_progress", agent=agent)
    ticket_services.followup_add(ticket=ticket, author=agent, body="Pouvez-vous redémarrer l'imprimante ?")
    ticket_services.followup_add(ticket=ticket, author=agent, body="Note : bourrage probable.", is_public=False)
    advance(make_ticket(requester=requester, category=category, title="Écran noir"), to="resolved", agent=agent)
    make_ticket(requester=requester, category=category, title="Clavier défectueux", urgency=Scale.LOW)
    article = kb_services.article_create(author=agent, title="Imprimante bloquée : erreur 0x51",
                                         body=ARTICLE_BODY, tags="imprimante, 0x51")
    article = kb_services.article_publish(article=article, actor=agent)
    major = make_ticket(requester=requester, category=category, title="La messagerie est en panne",
                        urgency=Scale.HIGH, impact=Scale.HIGH)
    incident = MajorIncident.objects.get(ticket=major)
    postmortem_services.incident_add_entry(incident=incident, author=agent, at=timezone.now(),
                                           text="Serveur SMTP saturé")
    other = make_ticket(requester=requester, category=category, title="Messagerie lente",
                        urgency=Scale.HIGH, impact=Scale.HIGH)
    major = ticket_services.ticket_take(ticket=major, actor=agent)
    ticket_services.ticket_resolve(ticket=major, actor=agent, solution="Relais SMTP rétabli.")
    return {"ticket": ticket, "article": article, "incident": MajorIncident.objects.get(ticket=other),
            "postmortem": Postmortem.objects.get(incident=incident)}


def _audit(browser: Browser, base: str, username: str | None, checks: list[Check]) -> list[str]:
    """Run axe on every check in every language and width, in one context logged in once."""
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    found: list[str] = []
    try:
        if username:
            login(page, base, username)
        for language in LANGUAGES:
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])
            for width_name, (width, height) in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                for check in checks:
                    page.goto(base + check.path)
                    if check.then:
                        check.then(page)
                    where = f"{check.name} [{language}, {width_name}] {page.url.removeprefix(base)}"
                    results = AXE.run(page, options=AXE_OPTIONS).response
                    bar = page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")
                    if width_name == "desktop" and bar > TOP_BAR_ONE_LINE:
                        found.append(f"{where}: the top bar wraps ({bar:.0f} px high)")
                    overflow = page.evaluate("document.documentElement.scrollWidth") - width
                    if overflow > 0:  # WCAG 1.4.10 Reflow: nothing scrolls the whole page sideways
                        found.append(f"{where}: reflow: the page is {overflow} px wider than the window")
                    for violation in results["violations"]:
                        targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:6])
                        found.append(f"{where}: {violation['id']} ({violation['impact']}) "
                                     f"{violation['help']} × {len(violation['nodes'])}: {targets}")
    finally:
        context.close()
    return found


def _report(found: list[str]) -> str:
    return f"{len(found)} WCAG violation(s):\n" + "\n".join(found)


def test_anonymous_pages_meet_wcag_22_aa(live_server, browser: Browser, world):
    found = _audit(browser, live_server.url, None, [
        Check("login", "/accounts/login/"),
        Check("login with errors", "/accounts/login/", _wrong_login),
        Check("404", "/page-that-does-not-exist/"),
    ])
    assert not found, _report(found)


def test_requester_pages_meet_wcag_22_aa(live_server, browser: Browser, world):
    ticket, article = world["ticket"], world["article"]
    found = _audit(browser, live_server.url, "requester", [
        Check("my tickets", "/tickets/"),
        Check("new ticket", "/tickets/new/"),
        Check("new ticket with errors", "/tickets/new/", _submit_empty("main form[enctype]")),
        Check("ticket", ticket.get_absolute_url()),
        Check("ticket reply with errors", ticket.get_absolute_url(),
              _submit_empty("form[action$='/reply/']")),
        Check("knowledge base", "/kb/"),
        Check("knowledge base search", "/kb/?q=imprimante"),
        Check("article", article.get_absolute_url()),
        Check("my personal data", "/privacy/me/"),
        Check("404", "/tickets/2000-000001/"),
    ])
    assert not found, _report(found)


def test_agent_pages_meet_wcag_22_aa(live_server, browser: Browser, world):
    ticket = world["ticket"]
    found = _audit(browser, live_server.url, "agent1", [
        Check("queue", "/agent/"),
        Check("queue after an htmx swap", "/agent/", _swap_queue),
        Check("workspace", ticket.get_agent_url()),
        Check("workspace reply with errors", ticket.get_agent_url(),
              _submit_empty("form[action$='/reply/']")),
        Check("knowledge base", "/kb/"),
        Check("article", world["article"].get_absolute_url()),
    ])
    assert not found, _report(found)


def test_manager_pages_meet_wcag_22_aa(live_server, browser: Browser, world):
    found = _audit(browser, live_server.url, "manager", [
        Check("dashboard", "/dashboard/"),
        Check("SLA", "/sla/"),
        Check("escalation", "/escalation/"),
        Check("postmortems", "/postmortems/"),
        Check("war room", f"/postmortems/incidents/{world['incident'].pk}/"),
        Check("postmortem", f"/postmortems/{world['postmortem'].pk}/"),
        Check("audit log", "/privacy/audit/"),
        Check("dispatch team", "/dispatch/team/"),
        Check("at-risk queue", "/agent/?view=at_risk"),
        Check("next-up queue", "/agent/?view=next"),
    ])
    assert not found, _report(found)
