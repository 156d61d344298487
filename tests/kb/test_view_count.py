"""Each view of an article page counts, in the database (F expression: no lost update)."""

from __future__ import annotations

from kb import services


def test_each_page_view_increments_the_view_count(client, requester, public_article):
    client.force_login(requester)

    client.get(public_article.get_absolute_url())
    response = client.get(public_article.get_absolute_url())

    public_article.refresh_from_db()
    assert public_article.view_count == 2
    assert 'data-testid="view-count">2<' in response.content.decode()


def test_the_increment_is_done_by_the_database_not_from_a_stale_copy(public_article):
    stale = type(public_article).objects.get(pk=public_article.pk)
    services.article_record_view(article=public_article)

    services.article_record_view(article=stale)  # still holds view_count == 0

    public_article.refresh_from_db()
    assert public_article.view_count == 2


def test_a_refused_page_does_not_count(client, requester, draft_article):
    client.force_login(requester)

    client.get(draft_article.get_absolute_url())

    draft_article.refresh_from_db()
    assert draft_article.view_count == 0
