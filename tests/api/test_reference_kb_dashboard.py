"""Categories, organisations, the knowledge base (read as the person may, written by agents through
kb.services) and the managers' figures."""

from __future__ import annotations

from accounts.models import Organisation
from kb import services as kb_services
from tests.factories import OrganisationFactory, UserFactory


def test_categories_are_listed_for_everyone(as_requester, category):
    assert as_requester.get("/api/v1/categories/").json() == [
        {"id": category.pk, "name": "Réseau", "full_name": "Réseau", "parent": None}]


def test_a_requester_sees_only_their_organisation(requester):
    from tests.api.conftest import ApiClient, token_for

    acme = OrganisationFactory(name="Acme")
    OrganisationFactory(name="Globex")
    member = UserFactory(username="member", organisation=acme)

    assert [row["name"] for row in ApiClient(token_for(member)).get("/api/v1/organisations/").json()] == ["Acme"]
    assert ApiClient(token_for(requester)).get("/api/v1/organisations/").json() == []


def test_agents_see_every_organisation(as_agent):
    Organisation.objects.create(name="Acme")
    Organisation.objects.create(name="Globex")

    assert [row["name"] for row in as_agent.get("/api/v1/organisations/").json()] == ["Acme", "Globex"]


def test_articles_are_read_as_the_person_may(as_requester, as_agent, agent_n1):
    public = kb_services.article_create(author=agent_n1, title="Réinitialiser son mot de passe",
                                        body="Cliquez sur « mot de passe oublié ».")
    kb_services.article_publish(article=public, actor=agent_n1)
    draft = kb_services.article_create(author=agent_n1, title="Brouillon secret", body="Pas encore.")

    listed = [row["article"]["slug"] for row in as_requester.get("/api/v1/kb/articles/").json()]
    found = as_requester.get("/api/v1/kb/articles/", {"q": "mot de passe"}).json()

    assert listed == [public.slug]
    assert [hit["article"]["slug"] for hit in found] == [public.slug]
    assert as_requester.get(f"/api/v1/kb/articles/{public.slug}/").json()["body"].startswith("Cliquez")
    assert as_requester.get(f"/api/v1/kb/articles/{draft.slug}/").status_code == 404
    assert as_agent.get(f"/api/v1/kb/articles/{draft.slug}/").status_code == 200


def test_agents_write_and_publish_articles(as_agent):
    created = as_agent.post("/api/v1/kb/articles/", {"title": "VPN", "body": "Installez le client.",
                                                     "audience": "public"})
    slug = created.json()["slug"]
    edited = as_agent.put(f"/api/v1/kb/articles/{slug}/", {"title": "VPN", "body": "Installez le client 2.",
                                                          "audience": "public", "revision": 1})
    stale = as_agent.put(f"/api/v1/kb/articles/{slug}/", {"title": "VPN", "body": "Ancienne version.",
                                                         "audience": "public", "revision": 1})
    published = as_agent.post(f"/api/v1/kb/articles/{slug}/publish/")

    assert created.status_code == 201 and created.json()["status"] == "draft"
    assert edited.status_code == 200 and edited.json()["body"] == "Installez le client 2."
    assert stale.status_code == 412
    assert published.json()["status"] == "published"


def test_the_dashboard_is_for_managers(as_manager, as_agent, ticket):
    response = as_manager.get("/api/v1/dashboard/", {"period": "7d"})

    assert response.status_code == 200
    body = response.json()
    assert body["period"]["key"] == "7d" and "overall" in body["figures"] and "backlog" in body["figures"]
    assert as_agent.get("/api/v1/dashboard/").status_code == 404


def test_the_index_links_every_resource(as_requester):
    links = as_requester.get("/api/v1/").json()["links"]

    assert links["tickets"].endswith("/api/v1/tickets/") and links["schema"].endswith("/api/v1/schema/")
