"""Articles are made through kb.services, so revisions and search vectors are real."""

from __future__ import annotations

from kb import services
from kb.models import Article, ArticleStatus, Audience


def make_article(*, author, title: str = "Réinitialiser son mot de passe",
                 body: str = "Ouvrez le portail, cliquez sur **Mot de passe oublié** et suivez le lien reçu.",
                 audience: str = Audience.PUBLIC, status: str = ArticleStatus.PUBLISHED, category=None,
                 tags: str = "") -> Article:
    article = services.article_create(author=author, title=title, body=body, audience=audience, category=category,
                                      tags=tags)
    if status == ArticleStatus.PUBLISHED:
        article = services.article_publish(article=article, actor=author)
    return article
