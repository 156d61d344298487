"""At closure an agent turns the ticket's solution into an internal draft, prefilled and linked."""

from __future__ import annotations

from django.urls import reverse

from kb.models import Article, ArticleStatus, Audience, TicketArticleLink
from tests.factories import advance
from tickets import services as ticket_services


def _resolved(ticket, agent):
    ticket = advance(ticket, to="in_progress", agent=agent)
    ticket = ticket_services.ticket_record_root_cause(ticket=ticket, actor=agent,
                                                      root_cause="Pilote d'impression corrompu.")
    return ticket_services.ticket_resolve(ticket=ticket, actor=agent, solution="Pilote réinstallé, file vidée.")


def test_agent_turns_a_resolved_ticket_into_a_prefilled_internal_draft(client, ticket, agent_n1):
    ticket = _resolved(ticket, agent_n1)
    client.force_login(agent_n1)

    response = client.post(reverse("kb:ticket_draft", args=[ticket.reference]))

    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("kb:edit", args=[article.slug])
    assert (article.title, article.status, article.audience, article.author, article.category) == (
        ticket.title, ArticleStatus.DRAFT, Audience.INTERNAL, agent_n1, ticket.category)
    assert "Pilote d'impression corrompu." in article.body
    assert "Pilote réinstallé, file vidée." in article.body
    assert article.source_ticket == ticket
    assert TicketArticleLink.objects.filter(ticket=ticket, article=article, linked_by=agent_n1).exists()
    assert article.revisions.count() == 1


def test_the_edit_page_is_prefilled_with_the_draft(client, ticket, agent_n1):
    ticket = _resolved(ticket, agent_n1)
    client.force_login(agent_n1)

    response = client.post(reverse("kb:ticket_draft", args=[ticket.reference]), follow=True)

    assert response.status_code == 200
    assert "Pilote réinstallé, file vidée." in response.content.decode()


def test_a_second_request_opens_the_same_draft(client, ticket, agent_n1):
    ticket = _resolved(ticket, agent_n1)
    client.force_login(agent_n1)

    client.post(reverse("kb:ticket_draft", args=[ticket.reference]))
    client.post(reverse("kb:ticket_draft", args=[ticket.reference]))

    assert Article.objects.count() == 1


def test_the_workspace_offers_the_draft_only_once_the_ticket_is_resolved(client, ticket, agent_n1):
    working = advance(ticket, to="in_progress", agent=agent_n1)
    client.force_login(agent_n1)
    draft_action = reverse("kb:ticket_draft", args=[ticket.reference])

    assert draft_action not in client.get(working.get_agent_url()).content.decode()
    _resolved_ticket = ticket_services.ticket_resolve(ticket=working, actor=agent_n1, solution="Câble changé.")
    assert draft_action in client.get(working.get_agent_url()).content.decode()


def test_an_open_ticket_cannot_become_an_article(client, ticket, agent_n1):
    working = advance(ticket, to="in_progress", agent=agent_n1)
    client.force_login(agent_n1)

    response = client.post(reverse("kb:ticket_draft", args=[working.reference]))

    assert response.status_code == 409
    assert not Article.objects.exists()


def test_requester_cannot_draft_an_article(client, requester, ticket, agent_n1):
    ticket = _resolved(ticket, agent_n1)
    client.force_login(requester)

    assert client.post(reverse("kb:ticket_draft", args=[ticket.reference])).status_code == 404
    assert not Article.objects.exists()
