"""Three articles that differ only in who may read them: the public published one is the only one
a requester may ever see."""

from __future__ import annotations

import pytest

from kb.models import ArticleStatus, Audience
from tests.kb.factories import make_article


@pytest.fixture
def public_article(agent_n1, category):
    return make_article(author=agent_n1, title="VPN : se connecter depuis la maison", category=category,
                        body="Lancez le client **GlobalConnect**, puis saisissez votre identifiant.", tags="vpn, télétravail")


@pytest.fixture
def internal_article(agent_n1, category):
    return make_article(author=agent_n1, title="VPN : réinitialiser le concentrateur", category=category,
                        audience=Audience.INTERNAL,
                        body="Procédure interne : redémarrer le concentrateur GlobalConnect depuis la console.")


@pytest.fixture
def draft_article(agent_n1, category):
    return make_article(author=agent_n1, title="VPN : nouvelle version du client", category=category,
                        status=ArticleStatus.DRAFT,
                        body="Brouillon : la version 6 du client GlobalConnect arrive bientôt.")
