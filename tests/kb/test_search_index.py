"""The search follows every write of kb.services at once: an edit, a deletion, an unpublishing. On SQLite this is the FTS5 index that the services keep in step (kb/fts.py), filled from
the existing articles by migration 0004; on PostgreSQL, the search vector."""

from __future__ import annotations

import importlib

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from kb import fts, services
from kb.models import Article
from kb.selectors import article_search, article_suggestions
from tests.kb.factories import make_article


@pytest.fixture
def printer_article(agent_n1, category):
    return make_article(author=agent_n1, title="Imprimante bloquée", category=category,
                        body="Retirez la feuille coincée puis relancez le travail.")


def _titles(hits):
    return [hit.article.title for hit in hits]


def _indexed_ids():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {fts.FTS_TABLE} ORDER BY rowid")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def test_an_edited_title_is_searched_by_its_new_words_only(requester, agent_n1, printer_article):
    services.article_update(article=printer_article, editor=agent_n1, title="Scanner en panne",
                            body=printer_article.body, audience=printer_article.audience)

    assert article_search(user=requester, query="imprimante", limit=10) == []
    assert article_search(user=requester, query="imprimnte", limit=10) == []
    assert _titles(article_search(user=requester, query="scanner", limit=10)) == ["Scanner en panne"]
    assert _titles(article_suggestions(query="Mon scanner est en panne")) == ["Scanner en panne"]


def test_an_edited_body_is_searched_by_its_new_words_only(requester, agent_n1, printer_article):
    services.article_update(article=printer_article, editor=agent_n1, title=printer_article.title,
                            body="Videz la file d'attente du spouleur.", audience=printer_article.audience)

    assert article_search(user=requester, query="feuille", limit=10) == []
    assert _titles(article_search(user=requester, query="spouleur", limit=10)) == ["Imprimante bloquée"]


def test_a_deleted_article_leaves_the_search_for_everyone(requester, agent_n1, printer_article):
    services.article_delete(article=printer_article, actor=agent_n1)

    for user in (requester, agent_n1):
        assert article_search(user=user, query="imprimante", limit=10) == []
        assert article_search(user=user, query="imprimnte", limit=10) == []
    assert article_suggestions(query="imprimante bloquée") == []


def test_only_agents_delete_articles(requester, printer_article):
    with pytest.raises(PermissionDenied):
        services.article_delete(article=printer_article, actor=requester)

    assert Article.objects.filter(pk=printer_article.pk).exists()


def test_an_unpublished_article_leaves_requester_search_and_suggestions(requester, agent_n1, printer_article):
    services.article_unpublish(article=printer_article, actor=agent_n1)

    for query in ("imprimante", "imprimantes bloquees", "imprimnte"):
        assert article_search(user=requester, query=query, limit=10) == []
    assert article_suggestions(query="Mon imprimante est bloquée") == []
    # A draft again: agents still find it, and publishing it brings it back.
    assert _titles(article_search(user=agent_n1, query="imprimante", limit=10)) == ["Imprimante bloquée"]
    services.article_publish(article=printer_article, actor=agent_n1)
    assert _titles(article_search(user=requester, query="imprimante", limit=10)) == ["Imprimante bloquée"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index exists on SQLite only")
def test_the_index_holds_one_row_per_article_with_its_latest_text(agent_n1, printer_article):
    other = make_article(author=agent_n1, title="Wi-Fi invité")
    services.article_update(article=printer_article, editor=agent_n1, title="Imprimante débloquée",
                            body=printer_article.body, audience=printer_article.audience)

    assert _indexed_ids() == [printer_article.pk, other.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT title FROM {fts.FTS_TABLE} WHERE rowid = %s", [printer_article.pk])  # noqa: S608
        assert cursor.fetchone() == ("Imprimante débloquée",)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index exists on SQLite only")
def test_the_migration_indexes_the_articles_that_already_exist(requester, printer_article):
    migration = importlib.import_module("kb.migrations.0004_sqlite_fts")

    class Editor:  # The statements as the migration runs them, without a schema editor's transaction rules.
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    (operation,) = migration.Migration.operations  # core.migrations_indexes.VendorSQL, SQLite's statements
    operation.database_backwards("kb", Editor(), None, None)
    operation.database_forwards("kb", Editor(), None, None)

    assert _indexed_ids() == [printer_article.pk]
    assert _titles(article_search(user=requester, query="imprimantes bloquees", limit=10)) == ["Imprimante bloquée"]
    assert _titles(article_search(user=requester, query="imprimnte", limit=10)) == ["Imprimante bloquée"]
