"""/kb/ and its search cost the same number of queries with 3 articles as with 30 (docs/architecture.md, "Tests")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import CategoryFactory
from tests.kb.factories import make_article


@pytest.fixture(params=[3, 30], ids=["3-articles", "30-articles"])
def library(request, agent_n1, settings):
    settings.HELPDESK_PAGE_SIZE = 25
    categories = [CategoryFactory(name=f"Catégorie {number}") for number in range(3)]
    for number in range(request.param):
        make_article(author=agent_n1, title=f"Imprimante {number}", category=categories[number % 3],
                     body=f"Relancez le spouleur d'impression sur le poste {number}.", tags="impression")
    return request.param


# /kb/ (browse) as the requester or an agent:
#  1. the session
#  2. the user
#  3. the user's groups (is_agent, read once and cached on the user)
#  4. the categories with their article counts (one grouped query)
#  5. the page of articles, category joined (keyset: no count)
BROWSE = 5

# /kb/?q=… (search):
#  1. the session
#  2. the user
#  3. the user's groups
#  4. the categories with their article counts
#  5. the ranked matches with their snippets, category joined
SEARCH = 5
# When nothing matches, the misspelling fallback:
#  PostgreSQL: the trigram threshold set for the transaction, the trigram query (and, inside the test's
#    transaction, the savepoint and its release around them)
#  SQLite: the one-typo variants looked up in the index's vocabulary, the search again
FALLBACK = {"postgresql": 4, "sqlite": 2}


@pytest.mark.parametrize("user", ["requester", "agent_n1"])
def test_browsing_the_knowledge_base_has_a_fixed_budget(client, library, user, request,
                                                        django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(user))

    with django_assert_max_num_queries(BROWSE):
        response = client.get(reverse("kb:index"))

    assert response.status_code == 200
    assert len(response.context["articles"]) == min(library, 25)


@pytest.mark.parametrize("user", ["requester", "agent_n1"])
def test_searching_the_knowledge_base_has_a_fixed_budget(client, library, user, request,
                                                         django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(user))

    with django_assert_max_num_queries(SEARCH):
        response = client.get(reverse("kb:index"), {"q": "spouleur"})

    assert response.status_code == 200
    assert len(response.context["hits"]) == min(library, 20)


@pytest.mark.parametrize("user", ["requester", "agent_n1"])
def test_a_misspelt_search_costs_at_most_the_fallback_queries_more(client, library, user, request,
                                                                  django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(user))

    with django_assert_max_num_queries(SEARCH + FALLBACK[connection.vendor]):
        response = client.get(reverse("kb:index"), {"q": "imprimnte"})

    assert response.status_code == 200
    assert len(response.context["hits"]) == min(library, 20)


# /kb/suggest/?title=… (htmx, on every pause in typing):
#  1. the session
#  2. the user
#  3. the user's groups (the roles context processor, even for a partial)
#  4. the matching public articles with their snippets
SUGGEST = 4


def test_suggestions_have_a_fixed_budget(client, requester, library, django_assert_max_num_queries):
    client.force_login(requester)

    with django_assert_max_num_queries(SUGGEST):
        response = client.get(reverse("kb:suggest"), {"title": "Mon spouleur d'impression est bloqué"})

    assert response.status_code == 200
    assert len(response.context["hits"]) == min(library, 5)
