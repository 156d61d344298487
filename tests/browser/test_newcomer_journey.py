"""The newcomer's path, in French and in English, driven in Chromium: every page it visits must read as
words in the reader's language and work.

A requester files a P3; an N1 agent takes it, replies publicly and escalates it to the whole N2 group;
an N2 agent resolves it directly (assigned and resolved in one step); the requester confirms and answers
the survey. Then a P1: the requester files it and it alerts by itself; an N4 agent opens the war room
from the workspace, mobilises it and posts a status update, which the requester sees on their ticket;
the ticket is resolved, the postmortem written, submitted and shared with the requester, a manager
publishes it, and the requester reads it from their ticket page: headings in their language, no names.

The walk fails on any visited page showing a code (a snake_case token such as `sla_breach`) or a word of
the other language (tests/test_no_raw_codes.py's lists; URLs, addresses and what the walk typed are left
out), on a Django debug page, on an HTTP 5xx (DEBUG is False: a 500 is the plain error page), and on a
browser console error or an uncaught page error (a CSP violation, a failed request, a broken script).

The language is chosen as a person would: the navbar's language buttons (/i18n/setlang/, the
django_language cookie), which outlive logging in and out. Selectors go by data-testid, form action and
field name, never by visible text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Locator, Page, Response, expect

from escalation.models import Escalation
from postmortem.models import IncidentState, MajorIncident, Postmortem, PostmortemState
from tests.browser.conftest import login, logout, screenshot
from tests.factories import CategoryFactory, UserFactory
from tests.test_no_raw_codes import NOT_ENGLISH, NOT_FRENCH, SNAKE_CASE, URL_OR_ADDRESS
from tickets.models import Priority, Status, Survey, Ticket

# What Django shows when DEBUG is on (the yellow technical 500 and 404 pages), and its plain 500 page.
DEBUG_MARKERS = ("Traceback", "DEBUG = True", "Exception Value", "Request Method:", "Using the URLconf",
                 "Server Error (500)")

# In English, any word with a French accent is French left over (people's names are left out first).
FRENCH_LETTERS = re.compile(r"\w*[àâçéèêëîïôœùûüÿ]\w*", re.IGNORECASE)

# What the people of the walk type, in the reader's language (none of it holds a word of the lists).
WORDS = {
    "fr": {
        "title": "Imprimante du deuxième étage en panne",
        "description": "Elle affiche un voyant orange depuis ce matin, rien ne sort.",
        "reply": "Bonjour, nous regardons votre imprimante dans la matinée.",
        "followup": "Voyant orange fixe : carte du bac à remplacer, pièce à commander par le niveau 2.",
        "solution": "Carte du bac remplacée, une page de test est sortie correctement.",
        "comment": "Rapide et bien expliqué, merci.",
        "p1_title": "Messagerie coupée pour tout le siège",
        "p1_description": "Plus aucun courriel ne part ni n'arrive depuis neuf heures.",
        "entry": "File du serveur de messagerie à quarante mille courriels.",
        "update": "Serveur de messagerie saturé ; retour attendu vers onze heures.",
        "p1_solution": "File des messages vidée, serveur redémarré, courriels rétablis.",
        "root_cause": "Une campagne interne a saturé le serveur de messagerie principal.",
        "lessons": "Limiter le débit des envois de masse et surveiller la longueur de la file.",
        "closed": "Clos",
        "headings": ["Chronologie", "Cause racine", "Actions correctives", "Enseignements"],
    },
    "en": {
        "title": "Second floor printer is broken",
        "description": "It shows an orange light since this morning, nothing comes out.",
        "reply": "Hello, we will look at your printer this morning.",
        "followup": "Steady orange light: the tray board must be replaced, a part for level 2 to order.",
        "solution": "Tray board replaced, a test page came out fine.",
        "comment": "Quick and well explained, thanks.",
        "p1_title": "Email down for the whole head office",
        "p1_description": "No email goes out or comes in since nine o'clock.",
        "entry": "Mail server queue at forty thousand messages.",
        "update": "Mail server saturated; expected back around eleven.",
        "p1_solution": "Message queue emptied, server restarted, email is back.",
        "root_cause": "An internal campaign saturated the main mail server.",
        "lessons": "Throttle mass mailings and watch the length of the queue.",
        "closed": "Closed",
        "headings": ["Timeline", "Root cause", "Corrective actions", "Lessons learned"],
    },
}


@dataclass
class Walk:
    """One language's walk: navigates, types, submits, and checks every page it lands on."""

    page: Page
    base: str
    language: str
    typed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error on {self.page.url}: {error}"))
        self.page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error on {self.page.url}: {message.text} ({message.location})")

    def _on_response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    # --- Moving around

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")
        self.check()

    def click_through(self, target: Locator) -> None:
        """Click a link or a submit button and land on the next page."""
        with self.page.expect_navigation():
            target.click()
        self.check()

    def submit(self, form: Locator) -> None:
        self.click_through(form.locator("[type=submit]").first)

    def fill(self, target: Locator, text: str) -> None:
        self.typed.append(text)
        target.fill(text)

    def login(self, username: str) -> None:
        login(self.page, self.base, username)
        self.check()

    def logout(self) -> None:
        logout(self.page)
        self.check()

    # --- The checks

    def check(self) -> None:
        """The page as it is now: no debug page, no 5xx, no console error, no code, no other language."""
        page = self.page
        page.wait_for_load_state("load")
        assert not self.problems, self.problems
        expect(page.locator("html")).to_have_attribute("lang", self.language)
        text = page.title() + "\n" + page.locator("body").inner_text()
        for marker in DEBUG_MARKERS:
            assert marker not in text, (page.url, marker, text)
        found = self.raw_words(text)
        assert not found, (page.url, found, text)

    def raw_words(self, text: str) -> list[str]:
        """tests/test_no_raw_codes.py's raw_words, on a page's visible text, without what the walk typed."""
        for typed in sorted(self.typed, key=len, reverse=True):
            text = text.replace(typed, " ")
        text = URL_OR_ADDRESS.sub(" ", text)
        found = SNAKE_CASE.findall(text)
        found += (NOT_FRENCH if self.language == "fr" else NOT_ENGLISH).findall(text)
        if self.language == "en":
            found += FRENCH_LETTERS.findall(text)
        return found


def _cast():
    people = {
        "requester": UserFactory(username="alice.req", first_name="Alice", last_name="Martin"),
        "n1": UserFactory(username="nadia.n1", groups=["N1"], first_name="Nadia", last_name="Petit"),
        "n2": UserFactory(username="hugo.n2", groups=["N2"], first_name="Hugo", last_name="Bernard"),
        "n4": UserFactory(username="lea.n4", groups=["N4"], first_name="Léa", last_name="Roux"),
        "manager": UserFactory(username="claire.mgr", groups=["Manager"], first_name="Claire",
                               last_name="Moreau"),
    }
    return people, CategoryFactory(name="Impression"), CategoryFactory(name="Messagerie")


def _status(page: Page) -> Locator:
    # The page's own ticket: the summary card (the workspace also lists other tickets' badges).
    return page.locator("[data-testid=ticket-summary] [data-testid=status]")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_newcomer_journey(live_server, page: Page, language: str):
    people, printing, mail = _cast()
    words = WORDS[language]
    walk = Walk(page, live_server.url, language)
    # People's names and the categories are data, not words of the interface.
    walk.typed += [name for person in people.values() for name in (person.get_full_name(), person.first_name)]
    walk.typed += [printing.name, mail.name]
    page.set_default_timeout(10_000)

    # The language, chosen with the navbar's buttons before logging in; the cookie keeps it.
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_navigation():
        page.locator(f"button[name=language][value={language}]").click()
    walk.check()
    assert any(cookie["name"] == "django_language" and cookie["value"] == language
               for cookie in page.context.cookies())

    # 1. The requester files a P3.
    walk.login("alice.req")
    walk.goto("/tickets/new/")
    form = page.locator("main form:has(select[name=ticket_type])")
    form.locator("select[name=ticket_type]").select_option("incident")
    form.locator("select[name=category]").select_option(str(printing.pk))
    walk.fill(form.locator("input[name=title]"), words["title"])
    walk.fill(form.locator("textarea[name=description]"), words["description"])
    form.locator("select[name=urgency]").select_option("medium")
    form.locator("select[name=impact]").select_option("medium")
    walk.submit(form)
    match = re.search(r"/tickets/([^/]+)/$", page.url)
    assert match, page.url
    reference = match.group(1)
    ticket = Ticket.objects.get(reference=reference)
    assert (ticket.priority, ticket.status, ticket.level) == (Priority.P3, Status.NEW, "N1")
    walk.logout()

    # 2. The N1 agent finds it in the queue, takes it and replies publicly.
    walk.login("nadia.n1")
    walk.goto("/agent/")
    walk.click_through(page.locator(f'a[href$="/agent/tickets/{reference}/"]').first)
    walk.submit(page.locator('form[action$="/take/"]'))
    reply = page.locator("form#reply-form")
    walk.fill(reply.locator("textarea[name=body]"), words["reply"])
    # The public reply: its tab (a radio, checked by default when the last message was public).
    reply.locator("input[name=is_public][value=on]").check()
    walk.submit(reply)
    expect(page.locator("[data-testid=timeline]")).to_contain_text(words["reply"])

    # 3. Escalated to the whole N2 group, with a reason and a detailed followup.
    panel = page.locator("[data-testid=escalation-panel]")
    escalate = panel.locator('details:has(form[action$="/escalate/"])')
    escalate.locator("summary").first.click()
    form = escalate.locator('form[action$="/escalate/"]')
    form.locator("select[name=reason]").select_option("complex_incident")
    assert len(words["followup"]) >= 40
    walk.fill(form.locator("textarea[name=followup]"), words["followup"])
    if form.locator("select[name=assignee]").count():
        form.locator("select[name=assignee]").select_option("")  # the whole group
    walk.submit(form)
    ticket.refresh_from_db()
    assert (ticket.level, ticket.assignee_id, ticket.status) == ("N2", None, Status.IN_PROGRESS)
    assert Escalation.objects.filter(ticket=ticket, to_level="N2", reason="complex_incident").exists()
    walk.logout()

    # 4. An N2 agent resolves it directly: assigned and resolved in one step, as the form says.
    walk.login("hugo.n2")
    walk.goto(f"/agent/tickets/{reference}/")
    expect(page.locator("[data-testid=assign-me]")).to_be_visible()
    resolve = page.locator('details:has(form[action$="/resolve/"])')
    resolve.locator("summary").first.click()
    expect(resolve.locator("[data-testid=resolve-takes-over]")).to_be_visible()
    walk.check()  # the opened form's words too
    walk.fill(resolve.locator("textarea[name=solution]"), words["solution"])
    walk.submit(resolve.locator('form[action$="/resolve/"]'))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (Status.RESOLVED, people["n2"].pk)
    walk.logout()

    # 5. The requester confirms the solution and answers the survey on the ticket page.
    walk.login("alice.req")
    walk.goto(f"/tickets/{reference}/")
    expect(page.locator("[data-testid=solution-box]")).to_contain_text(words["solution"])
    expect(page.locator("[data-testid=timeline]")).not_to_contain_text(words["followup"])  # private
    walk.submit(page.locator('form[action$="/confirm/"]'))
    expect(_status(page)).to_have_text(words["closed"])
    survey = page.locator("[data-testid=survey-box]")
    survey.locator("input[name=score][value='4']").check()
    walk.fill(survey.locator("textarea[name=comment]"), words["comment"])
    walk.submit(survey.locator("form"))
    expect(page.locator("[data-testid=survey-box]")).to_contain_text("4/5")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    answered = Survey.objects.get(ticket=ticket)
    assert (answered.score, answered.comment) == (4, words["comment"])

    # 6. A P1, filed by the requester: the major incident alert is raised by itself.
    walk.goto("/tickets/new/")
    form = page.locator("main form:has(select[name=ticket_type])")
    form.locator("select[name=ticket_type]").select_option("incident")
    form.locator("select[name=category]").select_option(str(mail.pk))
    walk.fill(form.locator("input[name=title]"), words["p1_title"])
    walk.fill(form.locator("textarea[name=description]"), words["p1_description"])
    form.locator("select[name=urgency]").select_option("high")
    form.locator("select[name=impact]").select_option("high")
    walk.submit(form)
    critical = Ticket.objects.get(reference=re.search(r"/tickets/([^/]+)/$", page.url).group(1))
    assert critical.priority == Priority.P1
    incident = MajorIncident.objects.get(ticket=critical)
    assert incident.state == IncidentState.ALERT
    walk.logout()

    # The N4 agent opens the war room from the workspace's incident panel, mobilises, posts an update.
    walk.login("lea.n4")
    walk.goto(f"/agent/tickets/{critical.reference}/")
    walk.click_through(page.locator("[data-testid=incident-panel] [data-testid=war-room-link]"))
    expect(page.locator("[data-testid=incident-state]")).to_be_visible()
    walk.submit(page.locator('form[action$="/mobilise/"]'))
    incident.refresh_from_db()
    assert incident.state == IncidentState.MOBILISATION
    entry = page.locator("[data-testid=incident-entry-form]")
    entry.locator("input[name=time]").fill(timezone.localtime().strftime("%H:%M"))
    walk.fill(entry.locator("textarea[name=text]"), words["entry"])
    walk.submit(entry)
    expect(page.locator("[data-testid=war-room-timeline]")).to_contain_text(words["entry"])
    update = page.locator("[data-testid=incident-update-form]")
    walk.fill(update.locator("textarea[name=body]"), words["update"])
    walk.submit(update)
    walk.logout()

    # The requester sees the update's banner on their ticket page, without the author's name.
    walk.login("alice.req")
    walk.goto(f"/tickets/{critical.reference}/")
    banner = page.locator("[data-testid=incident-banner]")
    expect(banner).to_contain_text(words["update"])
    expect(banner).not_to_contain_text("Léa")
    walk.logout()

    # 7. The N4 agent resolves the ticket (takes it, then resolves): the postmortem opens; written,
    # submitted for review and shared with the requester.
    walk.login("lea.n4")
    walk.goto(f"/agent/tickets/{critical.reference}/")
    walk.submit(page.locator('form[action$="/take/"]'))
    resolve = page.locator('details:has(form[action$="/resolve/"])')
    resolve.locator("summary").first.click()
    walk.fill(resolve.locator("textarea[name=solution]"), words["p1_solution"])
    walk.submit(resolve.locator('form[action$="/resolve/"]'))
    critical.refresh_from_db()
    assert critical.status == Status.RESOLVED
    postmortem = Postmortem.objects.get(incident=incident)
    walk.click_through(page.locator(f'[data-testid=incident-panel] a[href$="/postmortems/{postmortem.pk}/"]'))
    form = page.locator("[data-testid=postmortem-form]")
    walk.fill(form.locator("textarea[name=root_cause]"), words["root_cause"])
    walk.fill(form.locator("textarea[name=lessons_learned]"), words["lessons"])
    walk.submit(form)
    walk.click_through(page.locator("[data-testid=postmortem-submit]"))
    share = page.locator("[data-testid=postmortem-share-form]")
    share.locator("select[name=users]").select_option(str(people["requester"].pk))
    walk.submit(share)
    postmortem.refresh_from_db()
    assert postmortem.state == PostmortemState.IN_REVIEW
    assert list(postmortem.shared_with_users.all()) == [people["requester"]]
    walk.logout()

    # A manager publishes it from the list of major incidents.
    walk.login("claire.mgr")
    walk.goto("/postmortems/")
    walk.click_through(page.locator(f'a[href$="/postmortems/{postmortem.pk}/"]').first)
    walk.click_through(page.locator("[data-testid=postmortem-publish]"))
    expect(page.locator("[data-testid=postmortem-state]")).to_be_visible()
    postmortem.refresh_from_db()
    assert postmortem.state == PostmortemState.PUBLISHED
    walk.logout()

    # The requester opens it from their ticket page: the headings of their language, no one's name.
    walk.login("alice.req")
    walk.goto(f"/tickets/{critical.reference}/")
    walk.click_through(page.locator("[data-testid=requester-postmortem-link]"))
    document = page.locator("[data-testid=postmortem-document]")
    expect(document).to_contain_text(words["entry"])
    expect(document).to_contain_text(words["root_cause"])
    expect(document).to_contain_text(words["lessons"])
    headings = [" ".join(text.split()) for text in document.get_by_role("heading").all_inner_texts()]
    assert headings == words["headings"], headings
    main = page.locator("main").inner_text()
    for person in people.values():
        for name in (person.username, person.first_name, person.last_name):
            if person is people["requester"] and name != person.username:
                continue  # their own name may be said to them; their login never is
            assert name not in main, (name, main)
    screenshot(page, f"newcomer-journey-{language}.png")
    assert not walk.problems, walk.problems


# --- The walk's checks bite: each fault on a page of its own, served by Playwright (no server needed).

FAULTS = {
    "a code": ("fr", 200, "<p>Motif : sla_breach</p>", "sla_breach"),
    "an English word in French": ("fr", 200, "<p>Statut : Resolved</p>", "Resolved"),
    "a French word in English": ("en", 200, "<p>From Diagnostic to Résolution</p>", "Résolution"),
    "a debug page": ("fr", 200, "<h1>ValueError</h1><pre>Traceback (most recent call last)</pre>", "Traceback"),
    "a server error": ("fr", 500, "<p>Erreur du serveur</p>", "HTTP 500"),
    "a console error": ("fr", 200, "<script>console.error('boum')</script>", "console error"),
    "an uncaught error": ("fr", 200, "<script>throw new Error('boum')</script>", "page error"),
}


def _serve(page: Page, language: str, status: int, body: str) -> None:
    html = f"<!doctype html><html lang='{language}'><head><title>Page</title></head><body>{body}</body></html>"
    page.route("http://walk.test/**", lambda route: route.fulfill(status=status, content_type="text/html; charset=utf-8",
                                                                  body=html))


@pytest.mark.parametrize("fault", FAULTS)
def test_the_walk_fails_on(page: Page, fault: str):
    language, status, body, expected = FAULTS[fault]
    _serve(page, language, status, body)
    walk = Walk(page, "http://walk.test", language)

    with pytest.raises(AssertionError, match=re.escape(expected)):
        walk.goto("/")


def test_the_walk_leaves_out_what_people_typed_and_addresses(page: Page):
    _serve(page, "fr", 200, "<p>Note : « voir sla_breach » · https://exemple.fr/a_b · alice_m@exemple.fr</p>")
    walk = Walk(page, "http://walk.test", "fr")
    walk.typed.append("voir sla_breach")

    walk.goto("/")
    text = page.locator("body").inner_text()

    assert walk.raw_words(text) == []  # checked by goto too: the typed text and the addresses are left out
    walk.typed.clear()
    assert walk.raw_words(text) == ["sla_breach"]  # what the walk typed, once forgotten, is a code again
