"""Writing articles: agents only (a 404 for requesters), crispy forms, 400 with errors, publish by POST."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kb.models import Article, ArticleStatus, Audience

VALID = {"title": "Configurer la messagerie sur mobile", "body": "1. Ouvrez **Réglages**.\n2. Ajoutez le compte.",
         "tags": "Mobile, messagerie ; MOBILE", "audience": "public", "category": ""}


def test_agent_creates_a_draft_article(client, agent_n1, category):
    client.force_login(agent_n1)

    response = client.post(reverse("kb:new"), {**VALID, "category": category.pk})

    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()
    assert (article.slug, article.status, article.audience, article.author, article.category) == (
        "configurer-la-messagerie-sur-mobile", ArticleStatus.DRAFT, Audience.PUBLIC, agent_n1, category)
    assert article.tags == "messagerie, mobile"  # normalised: lower case, deduplicated, sorted


def test_the_article_page_renders_the_markdown(client, agent_n1, public_article):
    client.force_login(agent_n1)

    html = client.get(public_article.get_absolute_url()).content.decode()

    assert "<strong>GlobalConnect</strong>" in html


@pytest.mark.parametrize("field", ["title", "body"])
def test_an_article_without_title_or_text_is_refused_with_the_errors_shown(client, agent_n1, field):
    client.force_login(agent_n1)

    response = client.post(reverse("kb:new"), {**VALID, field: "   "})

    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not Article.objects.exists()


def test_agent_edits_an_article(client, agent_n1, public_article):
    client.force_login(agent_n1)

    response = client.post(reverse("kb:edit", args=[public_article.slug]),
                           {**VALID, "title": "VPN : depuis la maison", "audience": "internal", "revision": 1})

    assert response.status_code == 302
    public_article.refresh_from_db()
    assert (public_article.title, public_article.audience) == ("VPN : depuis la maison", Audience.INTERNAL)
    assert public_article.revisions.count() == 2


def test_the_edit_form_is_prefilled(client, agent_n1, public_article):
    client.force_login(agent_n1)

    html = client.get(reverse("kb:edit", args=[public_article.slug])).content.decode()

    assert f'value="{public_article.title}"' in html.replace("&#x27;", "'")
    assert "Lancez le client **GlobalConnect**" in html


def test_agent_publishes_and_unpublishes(client, agent_n1, draft_article):
    client.force_login(agent_n1)

    client.post(reverse("kb:publish", args=[draft_article.slug]))
    draft_article.refresh_from_db()
    assert draft_article.status == ArticleStatus.PUBLISHED and draft_article.published_at is not None

    client.post(reverse("kb:unpublish", args=[draft_article.slug]))
    draft_article.refresh_from_db()
    assert draft_article.status == ArticleStatus.DRAFT


def test_publishing_needs_a_post(client, agent_n1, draft_article):
    client.force_login(agent_n1)

    assert client.get(reverse("kb:publish", args=[draft_article.slug])).status_code == 405


@pytest.mark.parametrize("url", ["kb:new", "kb:edit", "kb:history", "kb:publish", "kb:unpublish"])
def test_requester_gets_404_on_the_agent_pages(client, requester, public_article, url):
    client.force_login(requester)
    path = reverse(url, args=[] if url == "kb:new" else [public_article.slug])

    assert client.get(path).status_code == 404
    assert client.post(path, VALID).status_code == 404
    public_article.refresh_from_db()
    assert public_article.status == ArticleStatus.PUBLISHED and public_article.revisions.count() == 1


def test_a_title_like_a_fixed_path_gets_another_slug(client, agent_n1):
    client.force_login(agent_n1)

    client.post(reverse("kb:new"), {**VALID, "title": "New"})
    client.post(reverse("kb:new"), {**VALID, "title": "Suggest"})
    client.post(reverse("kb:new"), {**VALID, "title": "New"})

    assert sorted(Article.objects.values_list("slug", flat=True)) == ["new-2", "new-3", "suggest-2"]


def test_every_logged_in_user_has_the_knowledge_base_in_the_navbar(client, requester):
    client.force_login(requester)

    html = client.get(reverse("tickets:list")).content.decode()

    link = re.search(rf'href="{reverse("kb:index")}">(.*?)</a>', html, re.S)
    assert link and link.group(1).endswith("Base de connaissances")  # French by default, after its icon
