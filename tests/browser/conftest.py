"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live_server."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.test.utils import override_settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an event loop in the test thread; without this Django refuses DB access there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _require_chromium():
    # Session scope: it must run before pytest-playwright's session-scoped `browser` tries to launch.
    if CHROMIUM.exists():
        return
    reason = (
        f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium); browser tests need it"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; they must run in CI.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live_server, built with a MEDIA_URL its media handler can read.

    helpdesk.settings sets MEDIA_URL = None (uploads are only served by the access-checked view), and
    Django's LiveServerThread wraps the app in a _MediaFilesHandler that parses MEDIA_URL when the server
    starts: urlparse(None) gives bytes and every request then dies with a TypeError. A URL on another host
    makes that handler step aside for every path, so the live server keeps the production rule."""
    addr = (
        request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    )
    with override_settings(MEDIA_URL="http://media.invalid/"):
        server = LiveServer(addr)
    yield server
    server.stop()


# --- Helpers shared by the browser tests (import them: `from tests.browser.conftest import login`).

ARTIFACTS = BROWSER_DIR.parents[1] / "test-artifacts"
DEMO_PASSWORD = "demo"  # UserFactory's and seed_demo's


def login(page: Page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form (a real session cookie); `live_server` is the fixture or its URL."""
    base = getattr(live_server, "url", live_server)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def open_user_menu(page: Page) -> None:
    """Open the top bar's user menu (language, own requests, log out), behind the toggler on a phone."""
    toggler = page.locator("nav .navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    menu = page.locator("[data-testid=user-menu]")
    if menu.get_attribute("aria-expanded") != "true":
        menu.click()


def logout(page: Page) -> None:
    open_user_menu(page)
    with page.expect_navigation():
        page.locator('form[action$="/accounts/logout/"] button').click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot saved as test-artifacts/<name>."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
