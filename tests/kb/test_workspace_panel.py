"""The knowledge base panel of the agent workspace: find an article by title, link it as the
ticket's solution, unlink it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kb.models import TicketArticleLink
from tests.factories import advance


@pytest.fixture
def working(ticket, agent_n1):
    return advance(ticket, to="in_progress", agent=agent_n1)


def test_the_panel_searches_articles_by_title_with_htmx(client, agent_n1, working, public_article, internal_article):
    client.force_login(agent_n1)

    response = client.get(reverse("kb:ticket_articles", args=[working.reference]), {"q": "VPN"},
                          HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert public_article.title in html and internal_article.title in html
    assert html.count(f'action="{reverse("kb:ticket_link", args=[working.reference])}"') == 2


def test_without_javascript_the_search_is_a_page(client, agent_n1, working, public_article):
    client.force_login(agent_n1)

    html = client.get(reverse("kb:ticket_articles", args=[working.reference]), {"q": "VPN"}).content.decode()

    assert "<html" in html and public_article.title in html


def test_agent_links_an_article_as_the_solution(client, agent_n1, working, public_article):
    client.force_login(agent_n1)

    response = client.post(reverse("kb:ticket_link", args=[working.reference]), {"article": public_article.slug})

    assert response.status_code == 302
    assert response["Location"] == working.get_agent_url()
    link = TicketArticleLink.objects.get()
    assert (link.ticket, link.article, link.linked_by) == (working, public_article, agent_n1)
    assert public_article.title in client.get(working.get_agent_url()).content.decode()


def test_linking_twice_keeps_one_link(client, agent_n1, working, public_article):
    client.force_login(agent_n1)

    for _ in range(2):
        client.post(reverse("kb:ticket_link", args=[working.reference]), {"article": public_article.slug})

    assert TicketArticleLink.objects.count() == 1


def test_agent_unlinks_an_article(client, agent_n1, working, public_article):
    client.force_login(agent_n1)
    client.post(reverse("kb:ticket_link", args=[working.reference]), {"article": public_article.slug})

    client.post(reverse("kb:ticket_unlink", args=[working.reference]), {"article": public_article.slug})

    assert not TicketArticleLink.objects.exists()


def test_linking_an_unknown_article_is_refused_with_400_in_the_workspace(client, agent_n1, working):
    client.force_login(agent_n1)

    response = client.post(reverse("kb:ticket_link", args=[working.reference]), {"article": "nope"})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="kb-panel"' in html and "alert-danger" in html
    assert not TicketArticleLink.objects.exists()


def test_requester_cannot_link_articles(client, requester, working, public_article):
    client.force_login(requester)

    response = client.post(reverse("kb:ticket_link", args=[working.reference]), {"article": public_article.slug})

    assert response.status_code == 404
    assert not TicketArticleLink.objects.exists()


def test_a_linked_article_shows_on_the_requesters_ticket_page(client, agent_n1, requester, working, public_article):
    client.force_login(agent_n1)
    client.post(reverse("kb:ticket_link", args=[working.reference]), {"article": public_article.slug})
    client.force_login(requester)

    html = client.get(working.get_absolute_url()).content.decode()

    assert f'href="{public_article.get_absolute_url()}"' in html
