"""Signing in with the organisation's identity in Chromium: the "Se connecter avec …" button through a real
OpenID Connect provider (tests/oidc_provider) and back into the queue, logging out of both; and an LDAP
directory's password typed in the login form (tests/ldap_server.py). Selectors go by data-testid, name
and URL, never by UI text."""

from __future__ import annotations

import re

from axes.utils import reset
from playwright.sync_api import Page, expect

from accounts.roles import agent_level, is_manager
from tests.browser.conftest import login, open_user_menu
from tests.ldap_server import JEAN, Slapd, ldap_settings, require_slapd
from tests.oidc_idp import ALICE


def test_sign_in_with_the_provider_lands_in_the_queue_and_log_out_of_both(live_server, page: Page, oidc_settings):
    from django.contrib.auth import get_user_model

    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_navigation():
        page.locator("[data-testid=oidc-login]").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/login/"))
    page.fill("input[name=username]", ALICE.username)
    page.fill("input[name=password]", ALICE.password)
    page.locator("#idp-sign-in").click()

    expect(page).to_have_url(f"{live_server.url}/agent/")
    alice = get_user_model().objects.get(email=ALICE.email)
    assert agent_level(alice) == "N2" and not is_manager(alice)
    assert alice.profile.organisation.name == "Acme"

    open_user_menu(page)
    with page.expect_navigation():
        page.locator('form[action$="/accounts/logout/"] button').click()
    end_session = page.locator("[data-testid=end-session]")
    expect(end_session).to_be_visible()
    end_session.click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")

    # Signed out at the provider too: the button asks for the password again.
    page.locator("[data-testid=oidc-login]").click()
    expect(page.locator("#idp-sign-in")).to_be_visible()


def test_a_directory_password_in_the_login_form_lands_in_the_queue(live_server, page: Page, settings, tmp_path):
    require_slapd()
    server = Slapd(tmp_path / "slapd")
    try:
        ldap_settings(settings, server)
        reset()

        login(page, live_server, "jdupont", JEAN.password)

        expect(page).to_have_url(f"{live_server.url}/agent/")
    finally:
        server.stop()


def _violations(page: Page) -> list[str]:
    from tests.browser.test_accessibility import AXE, AXE_OPTIONS

    results = AXE.run(page, options=AXE_OPTIONS).response
    return [f"{page.url}: {violation['id']} {violation['help']}: "
            + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:6])
            for violation in results["violations"]]


def test_the_sign_in_pages_meet_wcag_22_aa(live_server, page: Page, oidc_settings):
    found = []
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("[data-testid=oidc-login]")).to_be_visible()
    found += _violations(page)

    # The person cancels at the provider: the provider sends them back with an error.
    page.locator("[data-testid=oidc-login]").click()
    expect(page.locator("#idp-sign-in")).to_be_visible()
    state = re.search(r"state%3D([\w-]+)|state=([\w-]+)", page.url)
    state = state.group(1) or state.group(2)
    page.goto(f"{live_server.url}/accounts/oidc/callback/?error=access_denied&state={state}")
    expect(page.locator("[data-testid=sign-in-problem]")).to_be_visible()
    found += _violations(page)

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("[data-testid=oidc-login]").click()
    page.fill("input[name=username]", ALICE.username)
    page.fill("input[name=password]", ALICE.password)
    page.locator("#idp-sign-in").click()
    expect(page).to_have_url(f"{live_server.url}/agent/")
    open_user_menu(page)
    with page.expect_navigation():
        page.locator('form[action$="/accounts/logout/"] button').click()
    expect(page.locator("[data-testid=end-session]")).to_be_visible()
    found += _violations(page)

    assert found == []
