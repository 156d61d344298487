"""Deflection on the new-ticket form, in Chromium: typing a title suggests public articles (htmx), the
article opens in a new tab with “This solved my problem”, and a click there counts a deflection instead
of a ticket. Internal articles are never suggested to a requester."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from kb.models import Audience, Deflection
from tests.browser.conftest import login
from tests.factories import CategoryFactory, UserFactory
from tests.kb.factories import make_article
from tickets.models import Ticket

SUGGESTIONS = "[data-testid=kb-suggestions]"


def test_a_requester_finds_the_answer_while_typing_and_files_no_ticket(live_server, page: Page, settings):
    requester = UserFactory(username="requester")
    author = UserFactory(username="agent1", groups=["N1"])
    category = CategoryFactory(name="Réseau")
    public = make_article(author=author, category=category, title="VPN : se connecter depuis la maison",
                          body="Lancez le client **GlobalConnect**, puis saisissez votre identifiant.")
    internal = make_article(author=author, category=category, audience=Audience.INTERNAL,
                            title="VPN : réinitialiser le concentrateur",
                            body="Procédure interne : redémarrer le concentrateur depuis la console.")

    login(page, live_server, "requester")
    page.goto(f"{live_server.url}/tickets/new/")
    page.locator("input[name=title]").press_sequentially("VPN maison", delay=30)

    suggestions = page.locator(SUGGESTIONS)
    expect(suggestions).to_be_visible()
    expect(suggestions.locator(f'a[href^="{public.get_absolute_url()}"]')).to_have_count(1)
    expect(suggestions.locator(f'a[href^="{internal.get_absolute_url()}"]')).to_have_count(0)

    with page.context.expect_page() as new_tab:
        suggestions.locator(f'a[href^="{public.get_absolute_url()}"]').click()
    article_page = new_tab.value
    article_page.wait_for_load_state()
    expect(article_page.locator("[data-testid=article-body]")).to_contain_text("GlobalConnect")
    with article_page.expect_navigation():
        article_page.locator("[data-testid=deflect-box] button[type=submit]").click()
    expect(article_page.locator("[data-testid=deflected]")).to_be_visible()

    deflection = Deflection.objects.get()
    assert (deflection.article_id, deflection.user_id) == (public.pk, requester.pk)
    assert deflection.query == "VPN maison"
    assert not Ticket.objects.exists()
