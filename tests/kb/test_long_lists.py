"""The knowledge base's lists at any length (issue 23): search results a page at a time up to a cap (a
capped top N, kb.selectors.SEARCH_CAP), the latest articles by keyset, the same queries on every page, and
never an internal or draft article for a requester on any page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kb import views
from kb.models import Article, ArticleStatus, Audience
from tests.kb.factories import make_article


@pytest.fixture
def small_pages(monkeypatch):
    """5 results a page, the best 10 at most: the cap is reached with a few articles."""
    monkeypatch.setattr(views, "SEARCH_RESULTS", 5)
    monkeypatch.setattr(views, "SEARCH_CAP", 10)


def _articles(author, count: int, **kwargs) -> list[Article]:
    return [make_article(author=author, title=f"Imprimante {n}", body=f"Relancez le spouleur du poste {n}.",
                         **kwargs) for n in range(count)]


def _hits(response) -> list[str]:
    return [hit.article.slug for hit in response.context["hits"]]


def test_search_results_come_a_page_at_a_time_without_repeat(client, requester, agent_n1, small_pages):
    articles = _articles(agent_n1, 8)
    client.force_login(requester)
    first = client.get(reverse("kb:index"), {"q": "spouleur"})
    assert first.context["search_page"]["next"] == "q=spouleur&page=2"
    assert 'href="?q=spouleur&amp;page=2"' in first.content.decode()
    second = client.get(reverse("kb:index"), {"q": "spouleur", "page": 2})
    seen = _hits(first) + _hits(second)
    assert len(_hits(first)) == 5 and len(seen) == 8 and set(seen) == {a.slug for a in articles}
    assert second.context["search_page"]["next"] == "" and second.context["search_page"]["previous"]
    assert "Résultats 6 à 8" in second.content.decode()


def test_search_stops_at_the_cap_and_says_so(client, requester, agent_n1, small_pages):
    _articles(agent_n1, 13)
    client.force_login(requester)
    second = client.get(reverse("kb:index"), {"q": "spouleur", "page": 2})
    assert len(_hits(second)) == 5 and second.context["search_page"]["capped"]
    assert second.context["search_page"]["next"] == ""
    assert "seuls les 10 meilleurs sont affichés" in second.content.decode()
    # A page beyond the cap, or not a number, is the last or the first page: never an error.
    beyond = client.get(reverse("kb:index"), {"q": "spouleur", "page": 99})
    assert beyond.status_code == 200 and _hits(beyond) == _hits(second)
    assert client.get(reverse("kb:index"), {"q": "spouleur", "page": "x"}).context["search_page"]["number"] == 1


def test_a_requester_finds_no_internal_or_draft_article_on_any_page(client, requester, agent_n1, small_pages):
    public = _articles(agent_n1, 3)
    hidden = _articles(agent_n1, 4, audience=Audience.INTERNAL) + _articles(agent_n1, 4, status=ArticleStatus.DRAFT)
    client.force_login(requester)
    seen = []
    for number in (1, 2):
        seen += _hits(client.get(reverse("kb:index"), {"q": "spouleur", "page": number}))
    assert set(seen) == {a.slug for a in public} and not set(seen) & {a.slug for a in hidden}


@pytest.mark.parametrize("count", [3, 40])
def test_each_search_page_costs_the_same_queries(client, requester, agent_n1, count, small_pages,
                                                 django_assert_max_num_queries):
    _articles(agent_n1, count)
    client.force_login(requester)
    # session, user, groups, the categories with their counts, the ranked page (one more row read)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("kb:index"), {"q": "spouleur", "page": 2})
    assert len(_hits(response)) == min(max(count - 5, 0), 5)


def test_the_latest_articles_page_by_keyset_across_equal_times(client, requester, agent_n1, settings):
    settings.HELPDESK_PAGE_SIZE = 4
    articles = _articles(agent_n1, 10)
    same = timezone.now() - timedelta(days=1)
    Article.objects.filter(pk__in=[a.pk for a in articles[:6]]).update(updated_at=same)
    hidden = _articles(agent_n1, 2, audience=Audience.INTERNAL)
    client.force_login(requester)
    seen, params = [], {}
    while True:
        response = client.get(reverse("kb:index"), params)
        seen += [article.slug for article in response.context["articles"]]
        if not response.context["page"].next:
            break
        params = {"older": response.context["page"].next}
    expected = list(Article.objects.filter(audience=Audience.PUBLIC).order_by("-updated_at", "-id")
                    .values_list("slug", flat=True))
    assert seen == expected and not set(seen) & {a.slug for a in hidden}


def test_a_misspelling_s_guesses_are_one_page_and_a_later_page_guesses_nothing(client, requester, agent_n1,
                                                                               small_pages):
    _articles(agent_n1, 8)
    client.force_login(requester)
    first = client.get(reverse("kb:index"), {"q": "imprimnte"})
    assert _hits(first) and all(hit.fuzzy for hit in first.context["hits"])
    assert first.context["search_page"]["next"] == ""
    assert _hits(client.get(reverse("kb:index"), {"q": "imprimnte", "page": 2})) == []
