"""Satisfaction survey: sent once at close, a signed link that expires, one answer per ticket."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import advance
from tickets import services
from tickets.models import Survey
from tickets.surveys import survey_token


@pytest.fixture
def closed(ticket, agent_n1, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return advance(ticket, to="closed", agent=agent_n1)


def link(survey):
    return reverse("tickets:survey_link", args=[survey_token(survey)])


def test_closing_sends_one_survey_email_with_a_signed_link(closed, mailoutbox, requester):
    survey = Survey.objects.get(ticket=closed)

    survey_mails = [m for m in mailoutbox if survey_token(survey)[:20] in m.body]
    assert len(survey_mails) == 1
    assert survey_mails[0].to == [requester.email]


def test_a_ticket_reopened_then_closed_is_surveyed_once(ticket, agent_n1, requester, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    from core.exceptions import ActionRefused

    with django_capture_on_commit_callbacks(execute=True):
        resolved = advance(ticket, to="resolved", agent=agent_n1)
        reopened = services.ticket_reopen(ticket=resolved, actor=requester, reason="Toujours en panne")
        resolved = services.ticket_resolve(ticket=reopened, actor=agent_n1, solution="Carte réseau changée")
        closed = services.ticket_close(ticket=resolved, actor=requester)
        with pytest.raises(ActionRefused):
            services.ticket_close(ticket=closed, actor=requester)

    survey = Survey.objects.get(ticket=closed)
    assert sum(survey_token(survey)[:20] in m.body for m in mailoutbox) == 1


def test_the_link_works_without_logging_in_and_records_the_answer(client, closed, agent_n1):
    survey = Survey.objects.get(ticket=closed)

    page = client.get(link(survey))
    response = client.post(link(survey), {"score": 4, "comment": "Rapide et efficace"})

    assert page.status_code == 200
    assert response.status_code == 200
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "Rapide et efficace")
    client.force_login(agent_n1)
    assert "Rapide et efficace" in client.get(closed.get_agent_url()).content.decode()


def test_a_reused_link_is_refused_with_a_clear_page(client, closed):
    survey = Survey.objects.get(ticket=closed)
    client.post(link(survey), {"score": 5})

    again = client.post(link(survey), {"score": 1})

    assert again.status_code == 409
    assert 'data-testid="survey-page"' in again.content.decode()
    survey.refresh_from_db()
    assert survey.score == 5


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
    lambda token: "x" + token,
    lambda token: "not-a-token",
])
def test_a_forged_link_is_refused(client, closed, tamper):
    survey = Survey.objects.get(ticket=closed)

    response = client.post(reverse("tickets:survey_link", args=[tamper(survey_token(survey))]), {"score": 1})

    assert response.status_code == 400
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_an_expired_link_is_refused(client, closed, settings):
    survey = Survey.objects.get(ticket=closed)
    token = survey_token(survey)

    with time_machine.travel(timezone.now() + timedelta(days=settings.HELPDESK_SURVEY_LINK_DAYS + 1)):
        response = client.post(reverse("tickets:survey_link", args=[token]), {"score": 3})

    assert response.status_code == 400
    assert "expir" in response.content.decode().lower()
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_the_requester_answers_on_the_ticket_page_once(client, closed, requester):
    client.force_login(requester)
    assert 'data-testid="survey-box"' in client.get(closed.get_absolute_url()).content.decode()

    client.post(reverse("tickets:survey", args=[closed.reference]), {"score": 2, "comment": "Trop long"})
    second = client.post(reverse("tickets:survey", args=[closed.reference]), {"score": 5})

    assert second.status_code == 409
    survey = Survey.objects.get(ticket=closed)
    assert survey.score == 2
    assert closed.events.filter(kind="survey").count() == 1


def test_a_score_outside_one_to_five_is_a_form_error(client, closed, requester):
    client.force_login(requester)

    response = client.post(reverse("tickets:survey", args=[closed.reference]), {"score": 9})

    assert response.status_code == 400
    assert Survey.objects.get(ticket=closed).answered_at is None


def test_another_requester_gets_404_on_the_survey_form(client, closed, other_requester):
    client.force_login(other_requester)

    response = client.post(reverse("tickets:survey", args=[closed.reference]), {"score": 1})

    assert response.status_code == 404
    assert Survey.objects.get(ticket=closed).answered_at is None


def test_answers_are_shown_to_agents_not_in_the_requesters_timeline(client, closed, requester, agent_n1):
    Survey.objects.get(ticket=closed)
    client.force_login(requester)
    client.post(reverse("tickets:survey", args=[closed.reference]), {"score": 3, "comment": "Moyen"})

    requester_page = client.get(closed.get_absolute_url()).content.decode()
    client.force_login(agent_n1)
    agent_page = client.get(closed.get_agent_url()).content.decode()

    assert "event-survey" not in requester_page
    assert "event-survey" in agent_page
