"""Search: by a word of the body, ranked, with escaped highlighted snippets; stems, and one misspelling
forgiven, on PostgreSQL (full-text search, trigram similarity on the title) as on SQLite (the FTS5
index of kb/fts.py: accents and case folded, prefixes of stems, words one typo away)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from kb.selectors import article_search, snippet_from_headline
from tests.kb.factories import make_article


@pytest.fixture
def printer_article(agent_n1, category):
    return make_article(author=agent_n1, title="Imprimante bloquée", category=category,
                        body="Ouvrez la file d'attente et supprimez le document coincé, puis relancez le spouleur.")


@pytest.fixture
def password_article(agent_n1, category):
    return make_article(author=agent_n1, title="Mot de passe oublié", category=category,
                        body="Utilisez le portail de réinitialisation ; le lien expire après une heure.")


def test_search_finds_an_article_by_a_word_of_its_body(requester, printer_article, password_article):
    hits = article_search(user=requester, query="spouleur", limit=10)

    assert [hit.article for hit in hits] == [printer_article]
    assert "<mark>spouleur</mark>" in hits[0].snippet


def test_every_word_must_match_on_the_search_page(requester, printer_article, password_article):
    assert article_search(user=requester, query="spouleur portail", limit=10) == []


def test_a_title_match_ranks_before_a_body_match(requester, agent_n1, printer_article):
    body_only = make_article(author=agent_n1, title="Bourrage papier",
                             body="Si l'imprimante affiche un bourrage, ouvrez le capot arrière.")

    hits = article_search(user=requester, query="imprimante", limit=10)

    assert [hit.article for hit in hits] == [printer_article, body_only]


def test_the_search_page_shows_results_with_highlighted_snippets(client, requester, printer_article):
    client.force_login(requester)

    response = client.get(reverse("kb:index"), {"q": "spouleur"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="kb-results"' in html
    assert printer_article.get_absolute_url() in html
    assert "<mark>spouleur</mark>" in html


def test_a_search_without_results_says_so(client, requester, printer_article):
    client.force_login(requester)

    html = client.get(reverse("kb:index"), {"q": "photocopieuse"}).content.decode()

    assert 'data-testid="kb-no-results"' in html


def test_article_text_in_a_snippet_is_escaped(requester, agent_n1):
    make_article(author=agent_n1, title="Balises", body="Le message <img src=x onerror=alert(1)> apparaît au spouleur.")

    hits = article_search(user=requester, query="spouleur", limit=10)

    assert "<img" not in hits[0].snippet
    assert "&lt;img src=x onerror=alert(1)&gt;" in hits[0].snippet
    assert "<mark>spouleur</mark>" in hits[0].snippet


def test_the_snippet_builder_escapes_everything_but_its_own_marks():
    headline = snippet_from_headline("a <script>x</script> \ue000mot\ue001 <b>b</b>")

    assert headline == "a &lt;script&gt;x&lt;/script&gt; <mark>mot</mark> &lt;b&gt;b&lt;/b&gt;"


def test_search_filters_by_category(requester, agent_n1, printer_article):
    from tests.factories import CategoryFactory

    other = CategoryFactory(name="Téléphonie")
    make_article(author=agent_n1, title="Imprimante du standard", category=other, body="Imprimante du standard.")

    hits = article_search(user=requester, query="imprimante", limit=10, category_id=other.pk)

    assert [hit.article.category for hit in hits] == [other]


def test_search_forgives_a_misspelling(requester, printer_article, password_article):
    hits = article_search(user=requester, query="imprimente", limit=10)

    assert [hit.article for hit in hits] == [printer_article]


def test_search_uses_french_stemming(requester, printer_article):
    # “relancer” finds “relancez”; “documents” finds “document”.
    hits = article_search(user=requester, query="relancer documents", limit=10)

    assert [hit.article for hit in hits] == [printer_article]


@pytest.fixture
def error_article(agent_n1, category):
    return make_article(author=agent_n1, title="Imprimante bloquée : que faire en cas d'erreur 0x51 ?",
                        category=category, body="Si l'écran de l'appareil affiche 0x51, éteignez-le, retirez la feuille coincée et "
                             "rallumez-le.")


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="PostgreSQL's stems keep their accents (no unaccent) and its typo fallback reads titles only",
)


@pytest.mark.parametrize("query", [
    "imprimante", "bloquée",
    "bloquee", "imprimantes", "imprimnte", "imprimnte bloqee", "IMPRIMANTE BLOQUEE",
    pytest.param("ecran", marks=sqlite_only), "écrans", "erreur 0x51",
])
def test_accents_case_plurals_and_one_typo_find_the_article(requester, error_article, password_article, query):
    hits = article_search(user=requester, query=query, limit=10)

    assert [hit.article for hit in hits] == [error_article]


@sqlite_only
def test_the_snippet_marks_the_words_as_written_in_the_article(requester, error_article):
    hits = article_search(user=requester, query="ECRAN coincee", limit=10)

    assert "<mark>écran</mark>" in hits[0].snippet
    assert "<mark>coincée</mark>" in hits[0].snippet


def test_search_syntax_in_a_query_never_breaks_the_search(requester, error_article):
    # A stray quote, star or column filter would be an FTS5 syntax error on SQLite: only words are searched.
    for query in ['imprimante OR "', "title:imprimante", "imprim* NEAR(0x51)", "^bloquée -coincée", "AND", "*"]:
        article_search(user=requester, query=query, limit=10)

    assert [hit.article for hit in article_search(user=requester, query='"imprimante" OR 0x51', limit=10)] == [
        error_article]
