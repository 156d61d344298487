"""Issue 9, the managers' dashboard in Chromium on the demo data: the five metric cards, the SVG charts,
the period switch, a full-page screenshot (test-artifacts/dashboard.png); an agent gets a 403 page.
Selectors go by name and data-testid, never by UI text."""

from __future__ import annotations

import re
from io import StringIO

from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import login, logout, screenshot
from tickets.models import Ticket

METRICS = ["mttr", "first_response", "resolution_rate", "csat", "reopening_rate"]
CARDS = "[data-testid=metric-cards] [data-testid^=metric-]"


def test_dashboard_screenshot(live_server, page: Page, settings):
    # seed_demo hashes the demo password once with the first hasher: a cheap one saves seconds per login.
    call_command("seed_demo", "--force", stdout=StringIO())
    assert Ticket.objects.count() >= 30
    assert Ticket.objects.filter(response_due_at__isnull=False).exists()  # The demo runs under the SLA.

    login(page, live_server, "manager")
    response = page.goto(f"{live_server.url}/dashboard/")
    assert response.status == 200
    cards = page.locator(CARDS)
    expect(cards).to_have_count(len(METRICS))
    for key in METRICS:
        expect(page.locator(f"[data-testid=metric-{key}]")).to_be_visible()
    charts = page.locator("main svg.chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4
    # The demo data put points on the trend charts (one <circle> per bucket with a value), not only axes.
    assert page.locator("main svg.chart circle").count() > 0

    # Switch the period to the quarter.
    period = page.locator("main form[method=get] select[name=period]")
    period.select_option("quarter")
    with page.expect_navigation():
        page.locator("main form[method=get] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]period=quarter(&|$)"))
    expect(period).to_have_value("quarter")
    expect(cards).to_have_count(len(METRICS))
    expect(charts.first).to_be_visible()
    screenshot(page, "dashboard.png")
    logout(page)

    # An agent is refused with the 403 page (requesters get a 404: they do not learn it exists).
    login(page, live_server, "agent1")
    response = page.goto(f"{live_server.url}/dashboard/")
    assert response.status == 403
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator(CARDS)).to_have_count(0)
    screenshot(page, "dashboard-403-agent.png")
