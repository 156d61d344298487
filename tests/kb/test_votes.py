"""Helpful / not helpful: one vote per user, which they can change; the counters follow."""

from __future__ import annotations

from django.urls import reverse

from kb import services
from kb.models import ArticleVote


def _vote(client, article, helpful: bool):
    return client.post(reverse("kb:vote", args=[article.slug]), {"helpful": "1" if helpful else "0"})


def _counts(article):
    article.refresh_from_db()
    return article.helpful_count, article.not_helpful_count


def test_requester_votes_an_article_helpful(client, requester, public_article):
    client.force_login(requester)

    response = _vote(client, public_article, True)

    assert response.status_code == 302
    assert _counts(public_article) == (1, 0)
    assert ArticleVote.objects.get(article=public_article, user=requester).helpful is True


def test_voting_twice_the_same_way_counts_once(client, requester, public_article):
    client.force_login(requester)

    _vote(client, public_article, True)
    _vote(client, public_article, True)

    assert _counts(public_article) == (1, 0)
    assert ArticleVote.objects.filter(article=public_article).count() == 1


def test_changing_a_vote_moves_it_to_the_other_counter(client, requester, other_requester, public_article):
    client.force_login(other_requester)
    _vote(client, public_article, True)
    client.force_login(requester)

    _vote(client, public_article, True)
    _vote(client, public_article, False)

    assert _counts(public_article) == (1, 1)
    assert ArticleVote.objects.get(article=public_article, user=requester).helpful is False


def test_the_page_shows_the_users_current_vote(client, requester, public_article):
    services.article_vote(article=public_article, user=requester, helpful=False)
    client.force_login(requester)

    html = client.get(public_article.get_absolute_url()).content.decode()

    assert 'value="0" class="btn btn-sm btn-danger" aria-pressed="true"' in html


def test_a_requester_cannot_vote_on_an_internal_article(client, requester, internal_article):
    client.force_login(requester)

    assert _vote(client, internal_article, True).status_code == 404
    assert _counts(internal_article) == (0, 0)


def test_an_invalid_vote_is_refused_with_400(client, requester, public_article):
    client.force_login(requester)

    response = client.post(reverse("kb:vote", args=[public_article.slug]), {"helpful": "maybe"})

    assert response.status_code == 400
    assert _counts(public_article) == (0, 0)


def test_voting_needs_a_post(client, requester, public_article):
    client.force_login(requester)

    assert client.get(reverse("kb:vote", args=[public_article.slug]), {"helpful": "1"}).status_code == 405
