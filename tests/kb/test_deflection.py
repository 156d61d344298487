"""Deflection: suggestions under the new ticket's title, and “this solved my problem” counted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kb.models import Deflection
from tests.kb.factories import make_article


def test_the_new_ticket_form_has_the_suggestion_slot_under_the_title(client, requester):
    client.force_login(requester)

    html = client.get(reverse("tickets:new")).content.decode()

    slot = ('<div id="kb-suggestions" hx-get="/kb/suggest/" hx-trigger="keyup changed delay:400ms from:#id_title" '
            'hx-include="#id_title" hx-target="this"')
    assert slot in html
    assert html.index('id="id_title"') < html.index(slot) < html.index('id="id_description"')
    assert "<script>" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # no inline script in the page


def test_suggest_reads_the_title_field_and_links_open_in_a_new_tab(client, requester, public_article):
    client.force_login(requester)

    response = client.get("/kb/suggest/", {"title": "connexion VPN maison"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="kb-suggestions"' in html
    assert f'href="{public_article.get_absolute_url()}?from=new-ticket&amp;q=connexion%20VPN%20maison"' in html
    assert 'target="_blank" rel="noopener"' in html
    assert "<html" not in html  # a partial


def test_suggest_also_reads_q(client, requester, public_article):
    client.force_login(requester)

    html = client.get("/kb/suggest/", {"q": "GlobalConnect"}).content.decode()

    assert public_article.title in html


@pytest.mark.parametrize("title", ["Mes imprimantes sont bloquees", "imprimnte bloqee",
                                   "IMPRIMANTE BLOQUEE depuis ce matin", "erreur 0x51"])
def test_suggestions_forgive_case_accents_plurals_and_a_typo_in_the_title(client, requester, agent_n1, title):
    article = make_article(author=agent_n1, title="Imprimante bloquée : que faire en cas d'erreur 0x51 ?",
                           body="Retirez la feuille coincée puis rallumez l'appareil.")
    make_article(author=agent_n1, title="Mot de passe oublié", body="Utilisez le portail de réinitialisation.")
    client.force_login(requester)

    response = client.get("/kb/suggest/", {"title": title}, HTTP_HX_REQUEST="true")

    assert [hit.article for hit in response.context["hits"]] == [article]
    assert f'href="{article.get_absolute_url()}?from=new-ticket' in response.content.decode()


def test_a_short_or_unmatched_title_suggests_nothing(client, requester, public_article):
    client.force_login(requester)

    assert client.get("/kb/suggest/", {"title": "vp"}).content.decode().strip() == ""
    assert client.get("/kb/suggest/", {"title": "photocopieuse"}).content.decode().strip() == ""


def test_the_article_opened_from_a_suggestion_offers_this_solved_my_problem(client, requester, public_article):
    client.force_login(requester)

    html = client.get(public_article.get_absolute_url(), {"from": "new-ticket", "q": "VPN maison"}).content.decode()

    assert f'action="{reverse("kb:deflect", args=[public_article.slug])}"' in html
    assert 'name="query" value="VPN maison"' in html
    # Opened from elsewhere, the article does not offer it.
    assert 'data-testid="deflect-box"' not in client.get(public_article.get_absolute_url()).content.decode()


def test_this_solved_my_problem_records_a_deflection_and_thanks(client, requester, public_article):
    client.force_login(requester)

    response = client.post(reverse("kb:deflect", args=[public_article.slug]), {"query": "VPN maison"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="deflected"' in html
    assert f'href="{reverse("tickets:list")}"' in html
    deflection = Deflection.objects.get()
    assert (deflection.article, deflection.user, deflection.query) == (public_article, requester, "VPN maison")


def test_a_double_click_counts_one_deflection(client, requester, public_article):
    client.force_login(requester)

    for _ in range(2):
        client.post(reverse("kb:deflect", args=[public_article.slug]), {"query": "VPN"})

    assert Deflection.objects.count() == 1


def test_deflection_on_an_internal_article_is_a_404(client, requester, internal_article):
    client.force_login(requester)

    assert client.post(reverse("kb:deflect", args=[internal_article.slug]), {"query": "x"}).status_code == 404
    assert not Deflection.objects.exists()


def test_deflection_needs_a_post(client, requester, public_article):
    client.force_login(requester)

    assert client.get(reverse("kb:deflect", args=[public_article.slug])).status_code == 405
