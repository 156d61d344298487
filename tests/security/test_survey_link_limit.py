"""The signed survey link: only forged or expired tokens count toward HELPDESK_RATE_SURVEY, per real client IP."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import advance, make_ticket
from tickets.models import Survey
from tickets.surveys import survey_token

PROXY = "10.0.0.1"
OFFICE = "203.0.113.20"
ATTACKER = "198.51.100.66"


@pytest.fixture
def survey_limit(settings):
    settings.PROXY_COUNT = 1
    settings.RATELIMIT_ENABLE = True
    settings.HELPDESK_RATE_SURVEY = "2/h"
    cache.clear()
    yield settings
    cache.clear()


def closed_surveys(requester, category, agent, count):
    tickets = [make_ticket(requester=requester, category=category) for _ in range(count)]
    return [Survey.objects.get(ticket=advance(ticket, to="closed", agent=agent)) for ticket in tickets]


def link(survey):
    return reverse("tickets:survey_link", args=[survey_token(survey)])


def forged_link(survey):
    return reverse("tickets:survey_link", args=[survey_token(survey)[:-3] + "xyz"])


def test_valid_answers_from_one_address_never_count(client, survey_limit, requester, category, agent_n1):
    surveys = closed_surveys(requester, category, agent_n1, 4)

    pages = [client.get(link(s), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE).status_code for s in surveys]
    answers = [client.post(link(s), {"score": 4}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE).status_code
               for s in surveys]

    assert pages == [200] * 4
    assert answers == [200] * 4
    assert all(s.score == 4 for s in Survey.objects.filter(pk__in=[s.pk for s in surveys]))


def test_forged_tokens_count_and_past_the_limit_even_a_valid_link_gets_429(client, survey_limit, ticket,
                                                                          agent_n1):
    survey = Survey.objects.get(ticket=advance(ticket, to="closed", agent=agent_n1))
    headers = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ATTACKER}

    forged_get = client.get(forged_link(survey), **headers)
    forged_post = client.post(forged_link(survey), {"score": 1}, **headers)
    valid = client.post(link(survey), {"score": 1}, **headers)

    assert (forged_get.status_code, forged_post.status_code) == (400, 400)
    assert valid.status_code == 429
    assert b'data-testid="rate-limited"' in valid.content
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_forged_tokens_from_one_client_leave_others_behind_the_proxy_alone(client, survey_limit, ticket, agent_n1):
    survey = Survey.objects.get(ticket=advance(ticket, to="closed", agent=agent_n1))
    for _ in range(3):
        client.get(forged_link(survey), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)

    response = client.post(link(survey), {"score": 5}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE)

    assert response.status_code == 200
    survey.refresh_from_db()
    assert survey.score == 5
