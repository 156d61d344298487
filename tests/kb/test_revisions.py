"""Every save writes a revision; the history page shows a unified diff between consecutive ones."""

from __future__ import annotations

from django.urls import reverse

from kb import services
from kb.models import ArticleRevision
from tests.kb.factories import make_article


def _edit(article, editor, **changes):
    data = {"title": article.title, "body": article.body, "audience": article.audience,
            "category": article.category, "tags": article.tags, **changes}
    return services.article_update(article=article, editor=editor, **data)


def test_creating_an_article_writes_revision_one(agent_n1):
    article = make_article(author=agent_n1)

    revision = ArticleRevision.objects.get(article=article)
    assert (revision.number, revision.title, revision.body, revision.author) == (1, article.title, article.body,
                                                                                 agent_n1)


def test_each_save_writes_the_next_revision_with_its_editor(agent_n1, agent_n2):
    article = make_article(author=agent_n1, body="Étape 1")

    _edit(article, agent_n2, body="Étape 1\nÉtape 2")
    _edit(article, agent_n1, title="Nouveau titre", body="Étape 1\nÉtape 2\nÉtape 3")

    revisions = list(article.revisions.order_by("number").values_list("number", "title", "body", "author__username"))
    assert revisions == [
        (1, article.title, "Étape 1", "agent1"),
        (2, article.title, "Étape 1\nÉtape 2", "agent2"),
        (3, "Nouveau titre", "Étape 1\nÉtape 2\nÉtape 3", "agent1"),
    ]
    article.refresh_from_db()
    assert article.title == "Nouveau titre"


def test_the_slug_stays_when_the_title_changes(agent_n1):
    article = make_article(author=agent_n1, title="Imprimante bloquée")

    updated = _edit(article, agent_n1, title="Imprimante bloquée : vider la file d'attente")

    assert updated.slug == article.slug == "imprimante-bloquee"


def test_history_shows_the_diff_between_consecutive_revisions_escaped(client, agent_n1):
    article = make_article(author=agent_n1, body="Redémarrer le poste.\nVérifier le câble.")
    _edit(article, agent_n1, body="Redémarrer le poste.\nVérifier le câble <b>réseau</b>.\nAppeler le N2.")
    client.force_login(agent_n1)

    response = client.get(reverse("kb:history", args=[article.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="revision"') == 2
    assert '<span class="d-block text-danger-emphasis bg-danger-subtle" data-diff="remove">-Vérifier le câble.</span>' in html
    assert ('<span class="d-block text-success-emphasis bg-success-subtle" data-diff="add">'
            '+Vérifier le câble &lt;b&gt;réseau&lt;/b&gt;.</span>') in html
    assert 'data-diff="add">+Appeler le N2.</span>' in html
    assert "<b>réseau</b>" not in html


def test_requester_gets_404_on_the_history(client, requester, public_article):
    client.force_login(requester)

    assert client.get(reverse("kb:history", args=[public_article.slug])).status_code == 404
