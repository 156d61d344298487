"""Internal articles and drafts never reach a requester — by page, search, suggestions or the ticket
page — while agents see everything."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kb import services
from kb.selectors import article_search, article_suggestions, articles_visible_to
from tests.factories import advance


@pytest.fixture
def articles(public_article, internal_article, draft_article):
    return {"public": public_article, "internal": internal_article, "draft": draft_article}


@pytest.mark.parametrize("which", ["internal", "draft"])
def test_requester_gets_404_on_an_internal_or_draft_article(client, requester, articles, which):
    client.force_login(requester)

    response = client.get(reverse("kb:article", args=[articles[which].slug]))

    assert response.status_code == 404


@pytest.mark.parametrize("which", ["public", "internal", "draft"])
def test_agent_reads_every_article(client, agent_n2, articles, which):
    client.force_login(agent_n2)

    response = client.get(reverse("kb:article", args=[articles[which].slug]))

    assert response.status_code == 200
    assert articles[which].title in response.content.decode()


def test_anonymous_visitor_is_sent_to_the_login_page(client, articles):
    response = client.get(reverse("kb:article", args=[articles["public"].slug]))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_requester_browses_public_published_articles_only(client, requester, articles):
    client.force_login(requester)

    html = client.get(reverse("kb:index")).content.decode()

    assert articles["public"].title in html
    assert articles["internal"].title not in html
    assert articles["draft"].title not in html
    assert ">1<" in html  # the category count: one article for this requester


def test_agent_browses_drafts_and_internal_articles_marked_as_such(client, agent_n1, articles):
    client.force_login(agent_n1)

    html = client.get(reverse("kb:index")).content.decode()

    for article in articles.values():
        assert article.title in html
    assert 'data-testid="badge-draft"' in html and 'data-testid="badge-internal"' in html


def test_requester_search_never_returns_internal_or_draft_articles(client, requester, articles):
    client.force_login(requester)

    # Every article mentions GlobalConnect and VPN.
    html = client.get(reverse("kb:index"), {"q": "GlobalConnect"}).content.decode()
    hits = article_search(user=requester, query="VPN", limit=20)

    assert articles["public"].title in html
    assert articles["internal"].title not in html and "concentrateur" not in html
    assert articles["draft"].title not in html and "Brouillon" not in html
    assert [hit.article for hit in hits] == [articles["public"]]


def test_agent_search_finds_internal_articles_and_drafts(agent_n1, articles):
    hits = article_search(user=agent_n1, query="GlobalConnect", limit=20)

    assert {hit.article.pk for hit in hits} == {article.pk for article in articles.values()}


@pytest.mark.parametrize(("which", "query"), [
    ("internal", "concentrateur"), ("internal", "CONCENTRATEURS"), ("internal", "concentrteur"),
    ("internal", "réinitialisé"), ("draft", "brouillons"), ("draft", "nouvele"),
])
def test_a_requester_never_finds_an_internal_or_draft_article_however_the_words_match(requester, agent_n1, articles,
                                                                                     which, query):
    # Plurals, case, accents and typos widen the match (the SQLite index, PostgreSQL's stems and
    # trigrams); who sees the result is still articles_visible_to.
    assert article_search(user=requester, query=query, limit=20) == []
    assert article_suggestions(query=query) == []
    assert [hit.article for hit in article_search(user=agent_n1, query=query, limit=20)] == [articles[which]]


def test_suggestions_offer_public_published_articles_only_even_to_agents(client, agent_n1, requester, articles):
    for user in (requester, agent_n1):
        client.force_login(user)
        html = client.get(reverse("kb:suggest"), {"title": "GlobalConnect VPN"}).content.decode()

        assert articles["public"].title in html
        assert articles["internal"].title not in html
        assert articles["draft"].title not in html
    assert [hit.article for hit in article_suggestions(query="concentrateur")] == []


def test_unpublishing_hides_an_article_from_requesters_at_once(client, requester, agent_n1, articles):
    services.article_unpublish(article=articles["public"], actor=agent_n1)
    client.force_login(requester)

    assert client.get(reverse("kb:article", args=[articles["public"].slug])).status_code == 404
    assert article_search(user=requester, query="GlobalConnect") == []
    assert not articles_visible_to(requester).exists()


def test_requester_ticket_page_lists_linked_public_articles_only(client, requester, agent_n1, ticket, articles):
    for article in articles.values():
        services.article_link_to_ticket(article=article, ticket=ticket, actor=agent_n1)
    client.force_login(requester)

    html = client.get(ticket.get_absolute_url()).content.decode()

    assert 'data-testid="solution-articles"' in html
    assert articles["public"].get_absolute_url() in html
    assert articles["internal"].title not in html
    assert articles["draft"].title not in html


def test_the_ticket_page_shows_no_solution_block_when_only_internal_articles_are_linked(
    client, requester, agent_n1, ticket, internal_article
):
    services.article_link_to_ticket(article=internal_article, ticket=ticket, actor=agent_n1)
    client.force_login(requester)

    html = client.get(ticket.get_absolute_url()).content.decode()

    assert 'data-testid="solution-articles"' not in html
    assert internal_article.title not in html


def test_the_agent_workspace_lists_every_linked_article(client, agent_n1, ticket, articles):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    for article in articles.values():
        services.article_link_to_ticket(article=article, ticket=ticket, actor=agent_n1)
    client.force_login(agent_n1)

    html = client.get(ticket.get_agent_url()).content.decode()

    assert 'data-testid="kb-panel"' in html
    for article in articles.values():
        assert article.title in html


def test_other_requester_cannot_see_the_links_of_someone_elses_ticket(client, other_requester, ticket):
    client.force_login(other_requester)

    assert client.get(ticket.get_absolute_url()).status_code == 404
