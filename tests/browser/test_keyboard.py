"""Issue 17, the keyboard in Chromium: the skip link comes first; Tab reaches every action of the queue and the workspace
and each shows where the focus is; the queue's help lists every shortcut app.js knows; after an htmx swap
the focus is where it was; the filters put no empty parameter in the URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import login
from tests.factories import CategoryFactory, UserFactory, advance, make_ticket
from tickets.models import Scale

ROWS = ".queue-table tbody tr[data-href]"

# Every element Tab should stop on: visible, enabled, not a hidden field, one stop per radio group.
TAB_STOPS = """() => Array.from(document.querySelectorAll(
    'a[href], button, summary, input:not([type=hidden]), select, textarea, [tabindex="0"]'))
  .filter(el => !el.disabled && !el.closest('[hidden], .dropdown-menu, .modal, noscript'))
  .filter(el => el.type !== 'radio' || el.checked)
  .filter(el => el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})
                || (el.classList.contains('btn-check') && el.nextElementSibling.checkVisibility()))
  .map(el => el.outerHTML.slice(0, 120))"""

# What the focused element shows: an outline, or Bootstrap's focus shadow (for a .btn-check radio, its label).
FOCUS_SHOWN = """() => { const focused = document.activeElement;
  const el = focused.classList.contains('btn-check') ? focused.nextElementSibling : focused;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return [focused.outerHTML.slice(0, 120), outline || style.boxShadow !== 'none'] }"""


def _world():
    requester = UserFactory(username="requester", first_name="Alice", last_name="Martin")
    agent = UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")
    category = CategoryFactory(name="Réseau")
    tickets = [make_ticket(requester=requester, category=category, title=f"Panne n°{n}", urgency=urgency)
               for n, urgency in enumerate([Scale.HIGH, Scale.MEDIUM, Scale.LOW, Scale.MEDIUM], start=1)]
    return agent, advance(tickets[0], to="in_progress", agent=agent), tickets


@pytest.mark.parametrize("where", ["queue", "workspace"])
def test_the_skip_link_comes_first_and_tab_reaches_every_action_with_a_visible_focus(live_server, page: Page,
                                                                                    where):
    agent, ticket, _tickets = _world()
    login(page, live_server, "agent1")
    page.goto(f"{live_server.url}{'/agent/' if where == 'queue' else ticket.get_agent_url()}")

    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    expected = set(page.evaluate(TAB_STOPS))
    reached, hidden_focus = set(), []
    for _step in range(len(expected) + 40):
        page.keyboard.press("Tab")
        html, shown = page.evaluate(FOCUS_SHOWN)
        if html in reached or html.startswith("<body"):  # past the last stop, the focus leaves the page
            continue
        reached.add(html)
        if not shown:
            hidden_focus.append(html)
    missing = {html for html in expected if not html.startswith('<a class="visually-hidden-focusable')} - reached
    assert not missing, "Tab never reaches:\n" + "\n".join(sorted(missing))
    assert not hidden_focus, "focus not visible on:\n" + "\n".join(hidden_focus)


def test_queue_help_lists_every_shortcut_and_focus_survives_an_htmx_swap(live_server, page: Page):
    _agent, _ticket, tickets = _world()
    login(page, live_server, "agent1")
    page.goto(f"{live_server.url}/agent/")
    expect(page.locator(ROWS)).to_have_count(len(tickets))

    # The help lists each key app.js handles on the queue.
    keys = set(page.locator("#keyboard-help [data-testid=shortcut-list] kbd").all_inner_texts())
    assert {"j", "k", "Enter", "x", "/", "?", "Esc"} <= keys, keys
    expect(page.locator("[data-testid=keyboard-help-button]")).to_have_accessible_name(re.compile(r"\w"))

    # A ticked row's checkbox keeps the focus when htmx swaps the table under it; the j/k row stays highlighted.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("j")
    highlighted = page.locator(ROWS).first.get_attribute("data-href")
    reference = tickets[2].reference
    box = page.locator(f'{ROWS} input[name=tickets][value="{reference}"]')
    box.focus()
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.evaluate("htmx.trigger('#queue-filters', 'change')")
    page.wait_for_load_state("networkidle")
    expect(page.locator(f'{ROWS} input[name=tickets][value="{reference}"]')).to_be_focused()
    expect(page.locator(f'{ROWS}[data-href="{highlighted}"]')).to_have_class(re.compile(r"\bactive-row\b"))
    expect(page.locator("#queue-announce")).to_contain_text(str(len(tickets)))

    # A filter change swaps the table and pushes a URL without empty parameters.
    page.locator("#queue-filters select[name=priority]").focus()
    with page.expect_response(lambda r: "priority=P3" in r.url and r.request.headers.get("hx-request") == "true"):
        page.select_option("#queue-filters select[name=priority]", "P3")
    expect(page).to_have_url(re.compile(r"[?&]priority=P3(&|$)"))
    assert all(value for _name, value in parse_qsl(urlparse(page.url).query, keep_blank_values=True)), page.url
    expect(page.locator("#queue-filters select[name=priority]")).to_be_focused()

    # So does a plain submit (the Filter button), as when htmx is not there.
    with page.expect_navigation():
        page.locator("#queue-filters button[type=submit]").click()
    assert "priority=P3" in page.url
    assert all(value for _name, value in parse_qsl(urlparse(page.url).query, keep_blank_values=True)), page.url
